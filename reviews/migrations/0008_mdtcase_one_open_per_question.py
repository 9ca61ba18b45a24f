import django.db.models.functions.text
from django.db import migrations, models
from django.utils import timezone

# Begins the agreed actions of a case closed below, so that the reverse finds them.
COPY_CLOSED = "Not discussed: closed as a copy of the same question"


def close_repeated_questions(apps, schema_editor):
    """Before one open case per patient and question is enforced: a question waiting more than
    once for a patient (a form sent twice) keeps its first case open, and each later copy is
    closed, saying so in its agreed actions (the constraint on a discussed case needs some).
    No row is deleted; the wording tells the team the copy was never discussed."""
    MdtCase = apps.get_model("reviews", "MdtCase")
    first = {}
    now = timezone.now()
    for case in MdtCase.objects.filter(status="open").order_by("created_at", "pk"):
        key = (case.patient_id, case.question)
        if key not in first:
            first[key] = case
            continue
        added = timezone.localtime(first[key].created_at)
        MdtCase.objects.filter(pk=case.pk).update(
            status="discussed",
            discussed_at=now,
            updated_at=now,
            agreed_actions=(
                f"{COPY_CLOSED} added at {added:%H:%M} on {added:%-d %B %Y}, which stays on "
                "the MDT list."
            ),
        )


def reopen_repeated_questions(apps, schema_editor):
    MdtCase = apps.get_model("reviews", "MdtCase")
    MdtCase.objects.filter(status="discussed", agreed_actions__startswith=COPY_CLOSED).update(
        status="open", discussed_at=None, agreed_actions=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0007_appointment_not_rebooked"),
    ]

    operations = [
        migrations.RunPython(close_repeated_questions, reopen_repeated_questions),
        migrations.AddConstraint(
            model_name="mdtcase",
            constraint=models.UniqueConstraint(
                models.F("patient"),
                django.db.models.functions.text.MD5("question"),
                condition=models.Q(("status", "open")),
                name="reviews_mdtcase_one_open_per_question",
            ),
        ),
    ]
