from django.db import migrations, models


def mark_team_withdrawals(apps, schema_editor):
    """Invitations and places ended by a member of staff were saved as the patient's own
    answer (`declined`, `cancelled`); the user who made the change says whose doing it was."""
    GroupBooking = apps.get_model("reviews", "GroupBooking")
    GroupBooking.objects.filter(
        status__in=["declined", "cancelled"], updated_by__isnull=False
    ).exclude(updated_by__role="patient").update(status="withdrawn")


def unmark_team_withdrawals(apps, schema_editor):
    GroupBooking = apps.get_model("reviews", "GroupBooking")
    withdrawn = GroupBooking.objects.filter(status="withdrawn")
    withdrawn.filter(booked_at__isnull=True).update(status="declined")
    withdrawn.update(status="cancelled")


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_safetyalert_review"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="groupbooking",
            name="reviews_groupbooking_status_valid",
        ),
        migrations.RemoveConstraint(
            model_name="groupbooking",
            name="reviews_groupbooking_cancel_has_time",
        ),
        migrations.AlterField(
            model_name="groupbooking",
            name="status",
            field=models.CharField(
                choices=[
                    ("invited", "Invited"),
                    ("booked", "Booked"),
                    ("attended", "Attended"),
                    ("did_not_attend", "Did not attend"),
                    ("cancelled", "Cancelled"),
                    ("declined", "Declined"),
                    ("withdrawn", "Withdrawn by the care team"),
                ],
                default="invited",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="groupbooking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "invited",
                            "booked",
                            "attended",
                            "did_not_attend",
                            "cancelled",
                            "declined",
                            "withdrawn",
                        ],
                    )
                ),
                name="reviews_groupbooking_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="groupbooking",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["cancelled", "declined", "withdrawn"]), _negated=True),
                    ("cancelled_at__isnull", False),
                    _connector="OR",
                ),
                name="reviews_groupbooking_cancel_has_time",
            ),
        ),
        migrations.RunPython(mark_team_withdrawals, unmark_team_withdrawals),
    ]
