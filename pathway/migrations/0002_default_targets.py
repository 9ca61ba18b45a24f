"""The pathway's default timeframe targets (DESIGN.md section 3). Admins may edit them."""

from django.db import migrations

DEFAULT_TARGETS = [
    ("Referral to triage", "referral_received", "triaged", "any", 5),
    ("Triage to first contact (urgent)", "triaged", "first_contact", "urgent", 14),
    ("Triage to first contact (routine)", "triaged", "first_contact", "routine", 28),
    ("First contact to care plan agreed", "first_contact", "care_plan_agreed", "any", 14),
    ("Treatment started to effectiveness review", "treatment_started", "review_held", "any", 84),
    ("Last review to next annual review", "review_held", "review_held", "any", 365),
    ("Referral to first treatment (18 weeks)", "referral_received", "treatment_started", "any", 126),
]


def add_targets(apps, schema_editor):
    Target = apps.get_model("pathway", "Target")
    for name, start, end, priority, days in DEFAULT_TARGETS:
        Target.objects.get_or_create(
            from_milestone=start,
            to_milestone=end,
            priority=priority,
            defaults={"name": name, "days": days},
        )


def remove_targets(apps, schema_editor):
    Target = apps.get_model("pathway", "Target")
    for _, start, end, priority, _ in DEFAULT_TARGETS:
        Target.objects.filter(from_milestone=start, to_milestone=end, priority=priority).delete()


class Migration(migrations.Migration):
    dependencies = [("pathway", "0001_initial")]

    operations = [migrations.RunPython(add_targets, remove_targets)]
