"""A dose belongs to its diary day and, optionally, to one of the day's headaches: medicines
taken apart from a headache make a medication day too. Existing doses take their episode's day
and superseded time."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE diaries_medicationdose SET
    entry_id = (SELECT e.entry_id FROM diaries_headacheepisode e
                WHERE e.id = diaries_medicationdose.episode_id),
    superseded_at = (SELECT e.superseded_at FROM diaries_headacheepisode e
                     WHERE e.id = diaries_medicationdose.episode_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("diaries", "0007_episode_believed_migraine_eased_by_triptan"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="diaryentry",
            name="diaries_diaryentry_medication_needs_headache",
        ),
        migrations.AddField(
            model_name="medicationdose",
            name="entry",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="doses",
                to="diaries.diaryentry",
            ),
        ),
        migrations.AddField(
            model_name="medicationdose",
            name="superseded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="medicationdose",
            name="episode",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="doses",
                to="diaries.headacheepisode",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="medicationdose",
            name="entry",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="doses",
                to="diaries.diaryentry",
            ),
        ),
        migrations.AddConstraint(
            model_name="medicationdose",
            constraint=models.UniqueConstraint(
                condition=models.Q(("episode__isnull", True), ("superseded_at__isnull", True)),
                fields=("entry", "medicine"),
                name="diaries_medicationdose_one_live_row_apart_per_medicine",
            ),
        ),
    ]
