"""Self-referrals rejected or redirected in the 90 days before outcomes to tell were kept, whose
outcome no message could lead the patient to, join the list: their clinician had only a message
on screen when deciding."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

DAYS = 90


def _can_receive(patient, channel):
    if patient.date_of_death or patient.opted_out_at or patient.entered_in_error:
        return False
    if channel == "sms":
        return patient.sms_consent and bool(patient.mobile)
    return patient.email_consent and bool(patient.email)


def _reason(referral):
    patient = referral.patient
    if patient is None:
        return "not_matched"
    if patient.date_of_death is not None:
        return ""
    if not (_can_receive(patient, "sms") or _can_receive(patient, "email")):
        return "no_message"
    if patient.user_id is None:
        return "no_account"
    return ""


def backfill(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    since = timezone.now() - timedelta(days=DAYS)
    decided = Referral.objects.filter(
        source="self",
        status__in=["rejected", "redirected"],
        entered_in_error=False,
        decided_at__gte=since,
        tell_by_team="",
    ).select_related("patient")
    for referral in decided.iterator(chunk_size=500):
        reason = _reason(referral)
        if reason:
            Referral.objects.filter(pk=referral.pk).update(tell_by_team=reason)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0012_outcome_told")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
