# The patient column keeps its foreign key but loses its single-column index:
# pathway_audit_patient_at_idx starts with the patient and serves every lookup by patient, and
# each audited change wrote one index more. Only the index is dropped, so the foreign key is
# not checked again row by row.

import django.db.models.deletion
from django.db import migrations, models

INDEX = "pathway_auditevent_patient_id_8aa4023f"


class Migration(migrations.Migration):
    dependencies = [
        ("pathway", "0007_patient_scope_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="patient",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="audit_events",
                        to="pathway.patient",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON pathway_auditevent (patient_id)",
                ),
            ],
        ),
    ]
