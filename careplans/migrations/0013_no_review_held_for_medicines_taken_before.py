"""Take off the "review held" milestones written when the outcome of a medicine taken before
referral (`already_taking`) was recorded: no treatment the pathway started was reviewed, and
the milestone stopped the wait for the real effectiveness review and counted as a review on
the worklist and the commissioner dashboard.

Such a milestone is dated at the trial's `outcome_recorded_at` as it was then, written in the
same save as the audit row naming that field; a later change of outcome stamps the field
again. So a milestone of the trial's episode is taken off when it is dated at the trial's
stamp now, or in the few seconds before an audited save of its outcome; never one dated at
another treatment's own outcome (a real effectiveness review)."""

from datetime import timedelta

from django.db import migrations

# From the outcome's stamp to its audit row: the same save, well under a second apart.
SAME_SAVE = timedelta(seconds=5)


def remove(apps, schema_editor):
    TreatmentTrial = apps.get_model("careplans", "TreatmentTrial")
    Milestone = apps.get_model("pathway", "Milestone")
    AuditEvent = apps.get_model("pathway", "AuditEvent")
    taken_before = TreatmentTrial.objects.filter(already_taking=True).exclude(
        outcome_recorded_at=None
    )
    for trial in taken_before.select_related("plan").iterator():
        episode_id = trial.plan.episode_id
        held = Milestone.objects.filter(episode_id=episode_id, kind="review_held")
        if not held.exists():
            continue
        real = set(
            TreatmentTrial.objects.filter(plan__episode_id=episode_id, already_taking=False)
            .exclude(outcome_recorded_at=None)
            .values_list("outcome_recorded_at", flat=True)
        )
        saves = [
            at
            for at, fields in AuditEvent.objects.filter(
                object_uuid=trial.uuid, action="update"
            ).values_list("at", "fields")
            if "outcome_recorded_at" in (fields or [])
        ]
        for milestone in held:
            when = milestone.occurred_at
            if when in real:
                continue
            if when == trial.outcome_recorded_at or any(
                at - SAME_SAVE <= when <= at for at in saves
            ):
                milestone.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0012_leaflet_corrections"),
        ("pathway", "0019_next_review_due_label"),
    ]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
