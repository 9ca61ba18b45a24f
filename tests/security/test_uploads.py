"""Uploaded files (the GP-attendance CSV, the only file field): size and type limits, a message
for every malformed row, never a 500, and nothing half-imported. Extends
tests/pathway/test_attendance.py with hostile files."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from pathway.attendance import MAX_FILE_BYTES, MAX_ROWS
from pathway.models import AttendanceImport, GpAttendanceCount
from tests.security.fuzzing import FUZZ
from tests.security.journeys import as_user

pytestmark = pytest.mark.django_db

URL = reverse("pathway:attendance-import")
HEADER = b"nhs_number,period_start,period_end,attendances\n"


def _upload(client, body: bytes, name="counts.csv", content_type="text/csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, body, content_type=content_type)})


def _row(world, count="3", start="2025-01-01", end="2025-07-01") -> bytes:
    return f"{world.patient.nhs_number},{start},{end},{count}\n".encode()


@pytest.fixture
def clinician(client, world):
    return as_user(client, world.clinician)


def _nothing_saved():
    return not GpAttendanceCount.objects.exists() and not AttendanceImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(clinician, world):
    body = HEADER + _row(world) * ((MAX_FILE_BYTES // len(_row(world))) + 10)
    assert len(body) > MAX_FILE_BYTES
    response = _upload(clinician, body)
    assert response.status_code == 200
    assert "The file is larger than 2 MB." in response.content.decode()
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("counts.xlsx", b"PK\x03\x04", "The file must be a .csv file."),
        ("counts.csv.exe", b"MZ\x90\x00", "The file must be a .csv file."),
        ("counts", HEADER, "The file must be a .csv file."),
        ("counts.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "saved as UTF-8"),
        ("counts.csv", "nhs_number\n".encode("utf-16"), "saved as UTF-8"),
        ("counts.csv", b"", "The submitted file is empty."),
        ("counts.csv", b"\n", "The first row must be the column names"),
        ("counts.csv", HEADER, "The file has no rows to import."),
        ("counts.csv", HEADER + b"\n\n ,,, \n", "The file has no rows to import."),
        ("counts.csv", b"nhs_number;period_start;period_end;attendances\n", "column names"),
    ],
)
def test_a_file_of_the_wrong_type_or_shape_is_refused_with_a_message(
    clinician, name, body, message
):
    response = _upload(clinician, body, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (b"9434765919,2025-01-01,2025-07-01,\xc2\xb2\n", "Row 2: attendances must be a whole"),
        (b"9434765919,2025-01-01,2025-07-01,\xd9\xa3\n", "Row 2: attendances must be a whole"),
        (b"9434765919,2025-01-01,2025-07-01," + b"9" * 5000 + b"\n", "Row 2: attendances"),
        (b'"' + b"9" * 200_000 + b'",2025-01-01,2025-07-01,1\n', "Row 2"),
        (b'9434765919,"2025-01-01,2025-07-01,1\n', "Row 2"),
        (b"943\x004765919,2025-01-01,2025-07-01,1\n", "Row 2: the NHS number is not valid"),
        (b"\xd9\xa9434765919,2025-01-01,2025-07-01,1\n", "Row 2: the NHS number is not valid"),
        (b"=cmd|' /C calc'!A0,2025-01-01,2025-07-01,1\n", "Row 2: the NHS number is not valid"),
        (b"9434765919,2025-02-30,2025-07-01,1\n", "Row 2: period_start must be a date"),
        (b"9434765919,2025-01-01,2025-07-01,1,extra\n", "Row 2: expected 4 columns, found 5"),
    ],
)
def test_a_malformed_row_gets_a_row_level_message_and_nothing_is_imported(
    clinician, world, row, message
):
    response = _upload(clinician, HEADER + _row(world) + row)
    assert response.status_code == 200
    html = response.content.decode()
    assert message.replace("Row 2", "Row 3") in html
    assert _nothing_saved()


def test_a_bad_last_row_of_a_long_file_imports_nothing(clinician, world):
    good = [f"{p.nhs_number},2025-01-01,2025-07-01,2\n".encode() for p in (world.patient,)]
    response = _upload(clinician, HEADER + b"".join(good) + b"9434765919,2025-01-01,x,1\n")
    assert "Row 3: period_end must be a date" in response.content.decode()
    assert _nothing_saved()


def test_a_file_with_too_many_rows_is_refused_and_imports_nothing(clinician, world):
    start = date(2025, 1, 1)
    body = HEADER + b"".join(
        f"{world.patient.nhs_number},{start},{start + timedelta(days=n + 1)},0\n".encode()
        for n in range(MAX_ROWS + 1)
    )
    assert len(body) <= MAX_FILE_BYTES
    response = _upload(clinician, body)
    html = response.content.decode()
    assert f"The file has more than {MAX_ROWS:,} rows" in html
    assert _nothing_saved()


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(clinician, world):
    body = b"\xef\xbb\xbf" + (HEADER + _row(world)).replace(b"\n", b"\r\n")
    response = _upload(clinician, body, name="COUNTS.CSV", content_type="application/vnd.ms-excel")
    assert response.status_code == 302
    assert GpAttendanceCount.objects.get().attendances == 3


def test_old_mac_line_endings_are_read(clinician, world):
    response = _upload(clinician, (HEADER + _row(world)).replace(b"\n", b"\r"))
    assert response.status_code == 302
    assert GpAttendanceCount.objects.get().attendances == 3


def test_a_path_in_the_file_name_is_not_kept(clinician, world):
    response = _upload(clinician, HEADER + _row(world), name="../../etc/passwd.csv")
    assert response.status_code == 302
    assert "/" not in AttendanceImport.objects.get().filename


def test_a_post_without_a_file_asks_for_one(clinician):
    response = clinician.post(URL, {"file": ""})
    assert response.status_code == 200
    assert "Choose a CSV file to import." in response.content.decode()
    assert _nothing_saved()


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=2000).map(lambda t: HEADER + t.encode("utf-8", "surrogatepass")),
        st.lists(
            st.tuples(
                st.text(max_size=12),
                st.text(max_size=12),
                st.text(max_size=12),
                st.text(max_size=8),
            ),
            max_size=5,
        ).map(
            lambda rows: (
                HEADER
                + "".join(",".join(cells) + "\n" for cells in rows).encode("utf-8", "surrogatepass")
            )
        ),
    )
)
def test_any_file_gets_an_answer_not_a_crash(body):
    from django.test import Client

    from tests.factories import UserFactory

    client = as_user(Client(), UserFactory(role="admin", is_superuser=True, is_staff=True))
    response = client.post(URL, {"file": SimpleUploadedFile("random.csv", body)})
    assert response.status_code in (200, 302)
