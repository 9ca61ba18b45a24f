"""GP attendance import: row-level errors, nothing half-imported, scope, and the dashboard rate."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pathway.attendance import ImportRejected, parse_attendance_csv
from pathway.dashboard import metrics, snapshots
from pathway.dashboard.rules import period_for
from pathway.models import DashboardSnapshot, GpAttendanceCount, Milestone
from tests.factories import EpisodeFactory, PatientFactory

HEADER = "nhs_number,period_start,period_end,attendances\n"


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_it_parses_good_rows_and_normalises_the_nhs_number():
    rows = parse_attendance_csv(_csv("943 476 5919,2025-01-01,2026-01-01,6"))
    assert rows[0].nhs_number == "9434765919"
    assert rows[0].attendances == 6


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1234567890,2025-01-01,2026-01-01,6", "Row 2: the NHS number is not valid"),
        ("9434765919,01/01/2025,2026-01-01,6", "Row 2: period_start must be a date"),
        ("9434765919,2026-01-01,2025-01-01,6", "Row 2: period_end must be after period_start"),
        ("9434765919,2025-01-01,2026-01-01,-3", "Row 2: attendances must be a whole number"),
        ("9434765919,2025-01-01,2025-01-05,9", "Row 2: more attendances than days"),
        ("9434765919,2025-01-01", "Row 2: expected 4 columns, found 2"),
        ("=cmd|' /C calc'!A0,2025-01-01,2026-01-01,1", "Row 2: the NHS number is not valid"),
    ],
)
def test_it_rejects_a_bad_row_with_a_row_level_message(line, message):
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(_csv(line))
    assert any(error.startswith(message) for error in rejected.value.errors)


def test_it_rejects_a_wrong_header_binary_data_and_an_oversized_file():
    for raw in (b"a,b,c\n1,2,3\n", b"\xff\xfe\x00bad", b"x" * (2 * 1024 * 1024 + 1)):
        with pytest.raises(ImportRejected):
            parse_attendance_csv(raw)


@pytest.mark.django_db
def test_a_file_with_one_bad_row_imports_nothing(world, login):
    client = login(world.clinician)
    good = f"{world.patient.nhs_number},2025-01-01,2025-07-01,3"
    outside = f"{world.patient_in_c.nhs_number},2025-01-01,2025-07-01,3"
    upload = SimpleUploadedFile("counts.csv", _csv(good, outside), content_type="text/csv")
    response = client.post("/gp-attendance/import/", {"file": upload})
    assert response.status_code == 200
    assert "Row 3: no patient you can see has this NHS number" in response.content.decode()
    assert GpAttendanceCount.objects.count() == 0


@pytest.mark.django_db
def test_a_good_file_imports_every_row_once(world, login):
    client = login(world.clinician)
    body = _csv(
        f"{world.patient.nhs_number},2025-01-01,2025-07-01,3",
        f"{world.patient_in_b.nhs_number},2025-01-01,2025-07-01,0",
    )
    response = client.post(
        "/gp-attendance/import/", {"file": SimpleUploadedFile("c.csv", body)}, follow=True
    )
    assert "Imported 2 rows" in response.content.decode()
    again = client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("c.csv", body)})
    assert "imported before" in again.content.decode()
    assert GpAttendanceCount.objects.count() == 2


@pytest.mark.django_db
def test_an_import_makes_the_dashboard_recompute_its_kept_figures(world, login):
    snapshots.refresh(world.icb, period_for("year", today=timezone.localdate()))
    client = login(world.clinician)
    body = _csv(f"{world.patient.nhs_number},2025-01-01,2025-07-01,3")
    client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("c.csv", body)})
    assert not DashboardSnapshot.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_csv_is_refused(world, login):
    upload = SimpleUploadedFile("counts.xlsx", b"PK\x03\x04", content_type="application/zip")
    response = login(world.clinician).post("/gp-attendance/import/", {"file": upload})
    assert "The file must be a .csv file." in response.content.decode()


@pytest.mark.django_db
def test_the_dashboard_rate_compares_before_and_after_first_contact(world):
    from pathway.attendance import import_attendance

    contact = timezone.now() - timedelta(days=200)
    lines = []
    for _ in range(8):
        patient = PatientFactory(registered_practice=world.practice_a)
        episode = EpisodeFactory(patient=patient, opened_at=contact - timedelta(days=30))
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=contact)
        day = timezone.localdate(contact)
        lines.append(f"{patient.nhs_number},{day - timedelta(days=365)},{day},10")
        lines.append(f"{patient.nhs_number},{day},{day + timedelta(days=365)},4")
    import_attendance(actor=world.admin, filename="x.csv", rows=parse_attendance_csv(_csv(*lines)))
    table = metrics.gp_attendance_table(practice_ids=[world.practice_a.id])
    assert table.rows[0] == ("Before first contact", "10", "10.01")
    assert table.rows[1] == ("After first contact", "10", "4.00")
