"""Correct the medicine limits in three library leaflets (clinical-rules.md 8.2): triptans,
opioids and combination painkillers are overused from 10 days a month, and so is any mix of
classes, so "2 or 3 days a week" was too many for them. And say how to refer yourself: on the
website, with no account, not by signing in.

Only the corrected sentences are replaced, where the text still reads as the library wrote it;
the rest of a leaflet an admin edited is left as it is."""

import re

from django.db import migrations

CORRECTIONS = [
    (
        "understanding-migraine",
        "Take painkillers and triptans on no more than 2 or 3 days a week.",
        "Take triptans, or painkillers with codeine in them such as co-codamol, on no more than 2 "
        "days a week. Keep paracetamol, aspirin and ibuprofen to no more than 3 days a week. If "
        "you use more than one kind, such as a triptan and a painkiller, take any of them on no "
        "more than 2 days a week in all. Paracetamol, aspirin and ibuprofen count as one kind.",
    ),
    (
        "medication-overuse-headache",
        "- triptans, co-codamol, codeine or other opioids on 10 or more days a month\n",
        "- triptans, co-codamol, codeine or other opioids on 10 or more days a month, or\n"
        "- more than one of these kinds, such as a triptan and a painkiller, on 10 or more days a "
        "month\n  in all (paracetamol, aspirin and ibuprofen count as one kind)\n",
    ),
    (
        "medication-overuse-headache",
        "Keep painkillers to no more than 2 or 3 days a week. Your care plan says how many days "
        "a week are safe for each of your medicines.",
        "Keep triptans and painkillers with codeine in them, such as co-codamol, to no more than "
        "2 days a week. Keep paracetamol, aspirin and ibuprofen to no more than 3 days a week. If "
        "you use more than one kind, such as a triptan and a painkiller, take any of them on no "
        "more than 2 days a week in all. Paracetamol, aspirin and ibuprofen count as one kind. "
        "Your care plan says how many days are safe for each of your medicines.",
    ),
    (
        "acute-treatment",
        "Count days, not tablets. Two doses on the same day count as one day.",
        "Count days, not tablets. Two doses on the same day count as one day. If you use medicines "
        "from more than one row of this table, take any of them on no more than 2 days a week in "
        "all (fewer than 10 days a month).",
    ),
    (
        "about-this-service",
        'You can also **refer yourself**. Sign in and choose "Refer myself", or ask at your GP '
        "practice reception.",
        "You can also **refer yourself** on this website. On the first page, choose \"Refer "
        'yourself to the service". You do not need to sign in. Or ask at your GP practice '
        "reception.",
    ),
]


def _words(text: str) -> re.Pattern:
    """The text wherever its lines were broken (a leaflet's Markdown wraps at any space)."""
    return re.compile(r"\s+".join(re.escape(word) for word in text.split()))


def correct(apps, schema_editor):
    Leaflet = apps.get_model("careplans", "Leaflet")
    corrected = set()
    for slug, old, new in CORRECTIONS:
        leaflet = Leaflet.objects.filter(slug=slug).first()
        # A library loaded from the corrected files already says it (and the old words can be
        # the start of the new).
        if leaflet is None or _words(new).search(leaflet.body_markdown):
            continue
        body, count = _words(old).subn(lambda _: new.rstrip("\n"), leaflet.body_markdown, count=1)
        if count:
            # A new version of the leaflet, as an admin's edit of its text makes one: the page
            # and the PDF print the number, so the corrected copy is told from the old.
            bumped = slug not in corrected
            corrected.add(slug)
            leaflet.body_markdown = body
            leaflet.version += bumped
            leaflet.save(update_fields=["body_markdown", "version"])


class Migration(migrations.Migration):
    dependencies = [("careplans", "0011_goal_rated_on")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
