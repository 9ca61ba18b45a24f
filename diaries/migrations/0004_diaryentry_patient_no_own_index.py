# The patient column keeps its foreign key but loses its single-column index: the indexes that
# start with the patient (diaries_entry_patient_day_idx, diaries_entry_saved_idx and the
# one-live-record-per-day constraint) serve every lookup by patient, and each save wrote one
# index more. Only the index is dropped, so the foreign key is not checked again row by row.

import django.db.models.deletion
from django.db import migrations, models

INDEX = "diaries_diaryentry_patient_id_55c4188d"


class Migration(migrations.Migration):
    dependencies = [
        ("diaries", "0003_saved_since_index"),
        ("pathway", "0007_patient_scope_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="diaryentry",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="diary_entries",
                        to="pathway.patient",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON diaries_diaryentry (patient_id)",
                ),
            ],
        ),
    ]
