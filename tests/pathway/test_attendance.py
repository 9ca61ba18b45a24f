"""GP attendance import: row-level errors, nothing half-imported, scope, and the dashboard rate."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pathway.attendance import (
    ImportRejected,
    StoredPeriods,
    overlapping_rows,
    parse_attendance_csv,
)
from pathway.dashboard import metrics, snapshots
from pathway.dashboard.rules import period_for
from pathway.models import (
    AttendanceImport,
    AuditEvent,
    DashboardSnapshot,
    GpAttendanceCount,
    Milestone,
)
from tests.factories import EpisodeFactory, PatientFactory
from tests.pathway.pages import page_text

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
        ("9434765919,2026-01-01,2025-01-01,6", "Row 2: period_end must be on or after"),
        ("9434765919,2025-01-01,2026-01-01,-3", "Row 2: attendances must be a whole number"),
        ("9434765919,2025-01-01,2025-01-05,6", "Row 2: attendances is more than the 5 days"),
        ("9434765919,2025-01-01,2025-12-31,2000000", "Row 2: attendances is more than the 365"),
        ("9434765919,2025-01-01,2025-12-31," + "9" * 30, "Row 2: attendances is more than"),
        ("9434765919,2015-01-01,2025-12-31,6", "Row 2: a period can be at most 5 years long"),
        ("9434765919,0001-01-01,0001-12-31,6", "Row 2: period_start must be on or after 2000"),
        ("9434765919,2025-01-01,9999-12-31,6", "Row 2: the period must have ended before today"),
        ("9434765919,2025-01-01", "Row 2: expected 4 columns, found 2"),
        ("9434765919,2025-01-01,2025-12-31,", "Row 2: attendances is empty"),
        (",2025-01-01,2025-12-31,6", "Row 2: nhs_number is empty"),
        ("9434765919,,2025-12-31,6", "Row 2: period_start is empty"),
        ("=cmd|' /C calc'!A0,2025-01-01,2026-01-01,1", "Row 2: the NHS number is not valid"),
    ],
)
def test_it_rejects_a_bad_row_with_a_row_level_message(line, message):
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(_csv(line))
    assert any(error.startswith(message) for error in rejected.value.errors)


def test_period_end_is_the_last_day_of_the_period():
    (row,) = parse_attendance_csv(_csv("9434765919,2024-01-01,2024-12-31,366"))
    # Kept as GpAttendanceCount keeps periods: up to the day after the last.
    assert (row.period_start, row.period_end) == (date(2024, 1, 1), date(2025, 1, 1))
    (one_day,) = parse_attendance_csv(_csv("9434765919,2025-03-03,2025-03-03,1"))
    assert one_day.period_end - one_day.period_start == timedelta(days=1)


def test_a_period_must_have_ended_before_today():
    today = date(2026, 12, 4)
    (row,) = parse_attendance_csv(_csv("9434765919,2026-11-01,2026-12-03,2"), today=today)
    assert row.period_end == date(2026, 12, 4)
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(_csv("9434765919,2026-11-01,2026-12-04,2"), today=today)
    assert rejected.value.errors == [
        "Row 2: the period must have ended before today (2026-12-04), when its count is complete"
    ]


def test_an_end_before_the_start_is_one_problem_not_two():
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(_csv("9434765919,2025-06-01,2025-01-01,6"))
    assert rejected.value.errors == ["Row 2: period_end must be on or after period_start"]


def test_overlapping_periods_of_one_patient_in_a_file_are_refused():
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(
            _csv(
                "9434765919,2025-01-01,2025-06-30,3",
                "9434765919,2025-07-01,2025-12-31,3",  # follows on: fine
                "9434765919,2025-06-30,2025-08-01,1",  # shares 30 June and July
                "4010232137,2025-01-01,2025-06-30,3",  # another patient: fine
            )
        )
    # Row 4 shares days with the rows either side of it.
    assert rejected.value.errors == [
        "Row 3: this patient's period overlaps row 4, so attendances would be counted twice",
        "Row 4: this patient's period overlaps row 2, so attendances would be counted twice",
    ]


def test_empty_columns_a_spreadsheet_adds_after_the_last_are_ignored():
    body = (
        b"nhs_number,period_start,period_end,attendances,,\n9434765919,2025-01-01,2025-06-30,3,,\n"
    )
    (row,) = parse_attendance_csv(body)
    assert row.attendances == 3


def test_an_empty_count_is_reported_as_a_count_not_as_a_missing_column():
    with pytest.raises(ImportRejected) as rejected:
        parse_attendance_csv(_csv("9434765919,2025-01-01,2025-06-30,"))
    assert rejected.value.errors == ["Row 2: attendances is empty"]


def test_overlaps_are_found_among_many_periods_of_one_patient():
    day = date(2000, 1, 1)
    periods = [("p", day + timedelta(n), day + timedelta(n + 1), n) for n in range(20_000)]
    assert overlapping_rows(periods) == []  # each day follows on from the one before
    periods.append(("p", day + timedelta(500), day + timedelta(502), "extra"))
    periods.append(("q", day + timedelta(500), day + timedelta(502), "other patient"))
    assert sorted(overlapping_rows(periods), key=str) == [("extra", 500), (501, "extra")]


def test_stored_periods_find_any_overlap_even_among_overlapping_ones():
    stored = StoredPeriods()
    for start, end in [(10, 100), (20, 30), (200, 210)]:
        stored.add(date(2025, 1, 1) + timedelta(start), date(2025, 1, 1) + timedelta(end))

    def clash(start, end):
        found = stored.overlapping(
            date(2025, 1, 1) + timedelta(start), date(2025, 1, 1) + timedelta(end)
        )
        return found and tuple((d - date(2025, 1, 1)).days for d in found)

    assert clash(40, 50) == (10, 100)  # inside the long one, after the short one
    assert clash(0, 10) is None  # ends the day the first begins
    assert clash(100, 200) is None  # between them, touching both
    assert clash(99, 101) == (10, 100)
    assert clash(205, 300) == (200, 210)
    assert clash(0, 400) == (200, 210)  # the one reaching furthest


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
    assert "<title>Error: Import GP attendances" in response.content.decode()
    # The summary takes keyboard focus as the form's own error summary does.
    assert 'data-module="nhsuk-error-summary" aria-labelledby="import-errors-title"' in (
        response.content.decode()
    )
    assert GpAttendanceCount.objects.count() == 0


@pytest.mark.django_db
def test_every_problem_in_a_file_is_listed_in_one_round_in_row_order(world, login):
    """A file with a badly written row and a readable row for a patient the user cannot see
    lists both at once, so the user fixes the file in one go."""
    client = login(world.clinician)
    body = _csv(
        f"{world.patient_in_c.nhs_number},2025-01-01,2025-07-01,3",
        f"{world.patient.nhs_number},2025-13-01,2025-07-01,3",
        f"{world.patient_in_b.nhs_number},2025-01-01,2025-07-01,2",
    )
    response = client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("c.csv", body)})
    page = response.content.decode()
    unknown = "Row 2: no patient you can see has this NHS number"
    unreadable = "Row 3: period_start must be a date like 2026-04-01"
    assert unknown in page
    assert unreadable in page
    assert page.index(unknown) < page.index(unreadable)
    assert "Row 4" not in page
    assert GpAttendanceCount.objects.count() == 0


@pytest.mark.django_db
def test_the_worklist_links_to_the_import(world, login, settings):
    settings.WORKLIST_CACHE_SECONDS = 0
    page = login(world.clinician).get("/reviews/team/").content.decode()
    assert 'href="/gp-attendance/import/">Import GP attendance counts</a>' in page


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
    assert (
        "Row 2: this patient already has imported attendances for 2025-01-01 to 2025-07-01, "
        "which this period overlaps"
    ) in again.content.decode()
    assert GpAttendanceCount.objects.count() == 2


@pytest.mark.django_db
def test_a_period_overlapping_one_imported_before_is_refused_and_one_row_is_one_row(world, login):
    client = login(world.clinician)
    first = _csv(f"{world.patient.nhs_number},2025-01-01,2025-06-30,3")
    done = client.post(
        "/gp-attendance/import/", {"file": SimpleUploadedFile("a.csv", first)}, follow=True
    )
    assert "Imported 1 row from a.csv." in done.content.decode()
    # Kept up to the day after, shown with the last day as the file gave it.
    kept = GpAttendanceCount.objects.get()
    assert kept.period_end == date(2025, 7, 1)
    assert str(kept) == "3 attendances 2025-01-01 to 2025-06-30"
    overlapping = _csv(f"{world.patient.nhs_number},2025-06-01,2025-09-30,2")
    refused = client.post(
        "/gp-attendance/import/", {"file": SimpleUploadedFile("b.csv", overlapping)}
    )
    assert "already has imported attendances for 2025-01-01 to 2025-06-30" in (
        refused.content.decode()
    )
    following = _csv(f"{world.patient.nhs_number},2025-07-01,2025-09-30,2")
    client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("c.csv", following)})
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

    contact = timezone.now() - timedelta(days=400)  # the year after it has ended
    lines = []
    for _ in range(8):
        patient = PatientFactory(registered_practice=world.practice_a)
        episode = EpisodeFactory(patient=patient, opened_at=contact - timedelta(days=30))
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=contact)
        day = timezone.localdate(contact)
        # The year before first contact (its last day the day before), and the year from it.
        lines.append(
            f"{patient.nhs_number},{day - timedelta(days=365)},{day - timedelta(days=1)},10"
        )
        lines.append(f"{patient.nhs_number},{day},{day + timedelta(days=364)},4")
    # Patients with counts on one side of their first contact only: not compared.
    for before in (True, False) * 4:
        patient = PatientFactory(registered_practice=world.practice_a)
        episode = EpisodeFactory(patient=patient, opened_at=contact - timedelta(days=30))
        Milestone.objects.create(episode=episode, kind="first_contact", occurred_at=contact)
        day = timezone.localdate(contact)
        start = day - timedelta(days=365) if before else day
        lines.append(f"{patient.nhs_number},{start},{start + timedelta(days=364)},30")
    import_attendance(actor=world.admin, filename="x.csv", rows=parse_attendance_csv(_csv(*lines)))
    table = metrics.gp_attendance_table(practice_ids=[world.practice_a.id])
    assert table.rows[0] == ("Before first contact", "10", "10.01")
    assert table.rows[1] == ("After first contact", "10", "4.00")


@pytest.mark.django_db
def test_an_import_is_withdrawn_so_a_corrected_file_can_be_imported(world, login):
    client = login(world.clinician)
    wrong = _csv(
        f"{world.patient.nhs_number},2025-01-01,2025-06-30,30",
        f"{world.patient_in_b.nhs_number},2025-01-01,2025-06-30,2",
    )
    client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("wrong.csv", wrong)})
    batch = AttendanceImport.objects.get()
    page = client.get("/gp-attendance/import/").content.decode()
    withdraw = f"/gp-attendance/imports/{batch.pk}/withdraw/"
    assert f'href="{withdraw}">Withdraw' in page
    # The action keeps to one line beside a long file name (static/css/app.css), which breaks
    # instead.
    assert f'<td class="nhsuk-table__cell app-table-action"><a href="{withdraw}">Withdraw' in page

    confirm = client.get(withdraw).content.decode()
    assert "Withdraw wrong.csv?" in confirm and "with 2 rows" in confirm
    assert GpAttendanceCount.objects.count() == 2
    done = client.post(withdraw, follow=True).content.decode()
    assert "Withdrawn: wrong.csv." in done
    assert GpAttendanceCount.objects.count() == 0
    batch.refresh_from_db()
    assert batch.withdrawn_by == world.clinician and batch.withdrawn_at is not None
    assert sorted(
        AuditEvent.objects.filter(action="entered_in_error").values_list("patient", flat=True)
    ) == sorted([world.patient.pk, world.patient_in_b.pk])
    listed = page_text(client.get("/gp-attendance/import/"))
    assert f"Withdrawn {timezone.localtime(batch.withdrawn_at):%-d %b %Y}" in listed

    corrected = _csv(f"{world.patient.nhs_number},2025-01-01,2025-06-30,3")
    again = client.post(
        "/gp-attendance/import/", {"file": SimpleUploadedFile("right.csv", corrected)}, follow=True
    )
    assert "Imported 1 row from right.csv." in again.content.decode()
    assert list(GpAttendanceCount.objects.values_list("attendances", flat=True)) == [3]


@pytest.mark.django_db
def test_an_import_withdrawn_twice_is_withdrawn_once(world, login):
    client = login(world.clinician)
    body = _csv(f"{world.patient.nhs_number},2025-01-01,2025-06-30,3")
    client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("a.csv", body)})
    withdraw = f"/gp-attendance/imports/{AttendanceImport.objects.get().pk}/withdraw/"
    client.post(withdraw)
    second = client.post(withdraw, follow=True).content.decode()
    assert "a.csv was withdrawn already, on" in second
    assert AuditEvent.objects.filter(action="entered_in_error").count() == 1


@pytest.mark.django_db
def test_only_the_importer_or_an_administrator_sees_and_withdraws_an_import(world, login):
    body = _csv(f"{world.patient.nhs_number},2025-01-01,2025-06-30,3")
    login(world.clinician).post(
        "/gp-attendance/import/", {"file": SimpleUploadedFile("a.csv", body)}, follow=True
    )
    withdraw = f"/gp-attendance/imports/{AttendanceImport.objects.get().pk}/withdraw/"
    colleague = login(world.other_clinician)
    assert "a.csv" not in colleague.get("/gp-attendance/import/").content.decode()
    assert "No files imported yet." in colleague.get("/gp-attendance/import/").content.decode()
    assert colleague.post(withdraw).status_code == 404
    assert GpAttendanceCount.objects.count() == 1
    admin_page = login(world.admin).get("/gp-attendance/import/").content.decode()
    assert "a.csv" in admin_page and world.clinician.full_name in admin_page


@pytest.mark.django_db
def test_withdrawing_makes_the_dashboard_recompute_its_kept_figures(world, login):
    body = _csv(f"{world.patient.nhs_number},2025-01-01,2025-06-30,3")
    client = login(world.clinician)
    client.post("/gp-attendance/import/", {"file": SimpleUploadedFile("a.csv", body)})
    snapshots.refresh(world.icb, period_for("year", today=timezone.localdate()))
    assert DashboardSnapshot.objects.exists()
    client.post(f"/gp-attendance/imports/{AttendanceImport.objects.get().pk}/withdraw/")
    assert not DashboardSnapshot.objects.exists()
