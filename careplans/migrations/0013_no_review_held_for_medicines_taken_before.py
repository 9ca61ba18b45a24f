"""Take off the "review held" milestones written when the outcome of a medicine taken before
referral (`already_taking`) was recorded: no treatment the pathway started was reviewed, and
the milestone stopped the wait for the real effectiveness review and counted as a review on
the worklist and the commissioner dashboard. Each is found by its episode and its time, which
is the trial's `outcome_recorded_at` to the microsecond."""

from django.db import migrations


def remove(apps, schema_editor):
    TreatmentTrial = apps.get_model("careplans", "TreatmentTrial")
    Milestone = apps.get_model("pathway", "Milestone")
    trials = TreatmentTrial.objects.filter(
        already_taking=True, outcome_recorded_at__isnull=False
    ).values_list("plan__episode_id", "outcome_recorded_at")
    for episode_id, recorded_at in trials.iterator():
        Milestone.objects.filter(
            episode_id=episode_id, kind="review_held", occurred_at=recorded_at
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0012_leaflet_corrections"),
        ("pathway", "0018_user_messages"),
    ]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
