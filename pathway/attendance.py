"""Import of GP attendance counts (CSV) for the before-and-after dashboard figure.

Every row is checked before anything is saved; a file with any bad row imports nothing and the
user sees a message per bad row.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from pathway import nhs_number
from pathway.dashboard import snapshots
from pathway.models import AttendanceImport, AuditEvent, GpAttendanceCount
from pathway.permissions import patients_visible_to

COLUMNS = ("nhs_number", "period_start", "period_end", "attendances")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
# More than one attendance a day for a whole period is not a plausible count.
MAX_ATTENDANCES_PER_DAY = 1
# ASCII digits only (not superscripts or other scripts' digits), at most six of them.
ATTENDANCE_COUNT = re.compile(r"^[0-9]{1,6}$")


@dataclass(frozen=True)
class AttendanceRow:
    line: int
    nhs_number: str
    period_start: date
    period_end: date
    attendances: int


class ImportRejected(ValueError):
    """The file was refused; `errors` lists what is wrong, row by row."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors


def _date(value: str, line: int, name: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"Row {line}: {name} must be a date like 2026-04-01")
        return None


def parse_attendance_csv(raw: bytes) -> list[AttendanceRow]:
    """Parse and check the file. Returns the rows; raises ImportRejected with every problem."""
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRejected(["The file is larger than 2 MB. Split it and upload each part."])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(["The file must be a CSV saved as UTF-8 text."]) from exc
    # Old Mac files end lines with a bare carriage return; read every convention the same way.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text))
    try:
        return _rows(reader)
    except csv.Error as exc:
        raise ImportRejected([f"Row {reader.line_num}: this is not a readable CSV row"]) from exc


def _rows(reader) -> list[AttendanceRow]:
    header = [cell.strip().lower() for cell in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise ImportRejected([f"The first row must be the column names: {', '.join(COLUMNS)}"])
    rows, errors, seen = [], [], set()
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(f"The file has more than {MAX_ROWS} rows. Split it.")
            break
        if len(cells) != len(COLUMNS):
            errors.append(f"Row {line}: expected {len(COLUMNS)} columns, found {len(cells)}")
            continue
        number, start_text, end_text, count_text = (cell.strip() for cell in cells)
        row_errors: list[str] = []
        if not nhs_number.is_valid(number):
            row_errors.append(f"Row {line}: the NHS number is not valid")
        start = _date(start_text, line, "period_start", row_errors)
        end = _date(end_text, line, "period_end", row_errors)
        if start and end and end <= start:
            row_errors.append(f"Row {line}: period_end must be after period_start")
        if not ATTENDANCE_COUNT.match(count_text):
            row_errors.append(f"Row {line}: attendances must be a whole number of 0 or more")
        elif start and end and int(count_text) > (end - start).days * MAX_ATTENDANCES_PER_DAY:
            row_errors.append(f"Row {line}: more attendances than days in the period")
        if row_errors:
            errors += row_errors
            continue
        key = (nhs_number.normalise(number), start, end)
        if key in seen:
            errors.append(f"Row {line}: the same patient and period appear twice")
            continue
        seen.add(key)
        rows.append(AttendanceRow(line, key[0], start, end, int(count_text)))
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected(["The file has no rows to import."])
    return rows


@transaction.atomic
def import_attendance(*, actor, filename: str, rows: list[AttendanceRow]) -> AttendanceImport:
    """Save every row, or none: patients must be visible to `actor` and periods not imported
    before. Raises ImportRejected listing the rows that cannot be saved."""
    patients = dict(
        patients_visible_to(actor)
        .filter(nhs_number__in={row.nhs_number for row in rows})
        .values_list("nhs_number", "id")
    )
    existing = set(
        GpAttendanceCount.objects.filter(patient_id__in=patients.values()).values_list(
            "patient__nhs_number", "period_start", "period_end"
        )
    )
    errors = []
    for row in rows:
        if row.nhs_number not in patients:
            errors.append(f"Row {row.line}: no patient you can see has this NHS number")
        elif (row.nhs_number, row.period_start, row.period_end) in existing:
            errors.append(f"Row {row.line}: this patient's period was imported before")
    if errors:
        raise ImportRejected(errors)
    batch = AttendanceImport.objects.create(
        imported_by=actor, filename=filename[:200], row_count=len(rows)
    )
    GpAttendanceCount.objects.bulk_create(
        GpAttendanceCount(
            patient_id=patients[row.nhs_number],
            period_start=row.period_start,
            period_end=row.period_end,
            attendances=row.attendances,
            source=batch,
        )
        for row in rows
    )
    # Attendance counts are patient data: each patient's own record shows the import.
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_role=actor.role,
            patient_id=patient_id,
            action=AuditEvent.Action.CREATE,
            object_type="pathway.gpattendancecount",
            fields=["attendances", "period_end", "period_start"],
        )
        for patient_id in sorted({patients[row.nhs_number] for row in rows})
    )
    # The before-and-after figure changes: kept dashboard figures are recomputed when next seen.
    snapshots.forget_all()
    return batch
