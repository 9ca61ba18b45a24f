"""The urgent tier's target counted from referral (clinical-rules.md section 11: "the app's
`urgent` tier carries a 14-calendar-day target from referral"), beside DESIGN.md's triage to
first contact target. Admins may edit it."""

from django.db import migrations

TARGET = ("Referral to first contact (urgent)", "referral_received", "first_contact", "urgent", 14)


def add_target(apps, schema_editor):
    Target = apps.get_model("pathway", "Target")
    name, start, end, priority, days = TARGET
    Target.objects.get_or_create(
        from_milestone=start,
        to_milestone=end,
        priority=priority,
        defaults={"name": name, "days": days},
    )


def remove_target(apps, schema_editor):
    Target = apps.get_model("pathway", "Target")
    _, start, end, priority, _ = TARGET
    Target.objects.filter(from_milestone=start, to_milestone=end, priority=priority).delete()


class Migration(migrations.Migration):
    dependencies = [("pathway", "0009_notification_expires_at")]

    operations = [migrations.RunPython(add_target, remove_target)]
