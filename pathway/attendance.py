"""Import of GP attendance counts (CSV) for the before-and-after dashboard figure.

Every row is checked before anything is saved; a file with any bad row imports nothing and the
user sees a message per bad row, all in one round: rows that are readable are checked against
the patient records too, whatever is wrong with the others (`import_attendance_file`).
"""

import csv
import io
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from pathway import nhs_number
from pathway.dashboard import snapshots
from pathway.dashboard.rules import EARLIEST_DATE
from pathway.models import AttendanceImport, AuditEvent, GpAttendanceCount, User
from pathway.permissions import patients_visible_to

COLUMNS = ("nhs_number", "period_start", "period_end", "attendances")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
# More than one attendance a day for a whole period is not a plausible count.
MAX_ATTENDANCES_PER_DAY = 1
# Counts are compared before and after first contact; a period longer than this is an error.
MAX_PERIOD_DAYS = 5 * 366
# ASCII digits only (not superscripts or other scripts' digits).
DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class AttendanceRow:
    """One checked row. The file gives the period's first and last days; `period_end` is the
    day after the last, as GpAttendanceCount keeps periods (half-open)."""

    line: int
    nhs_number: str
    period_start: date
    period_end: date
    attendances: int


class ImportRejected(ValueError):
    """The file was refused; `errors` lists what is wrong, row by row. `rows` are the rows that
    were readable all the same, when the file was refused for its other rows."""

    def __init__(self, errors: list[str], rows: list[AttendanceRow] | None = None):
        super().__init__(f"{len(errors)} problem(s) in the file")
        self.errors = errors
        self.rows = rows or []


class StoredPeriods:
    """One patient's imported periods (half-open), to find one that overlaps a new period in
    log n: sorted by start, with the furthest end reached so far at each place."""

    def __init__(self):
        self._periods: list[tuple[date, date]] = []
        self._ready = False

    def add(self, start: date, end: date) -> None:
        self._periods.append((start, end))
        self._ready = False

    def overlapping(self, start: date, end: date) -> tuple[date, date] | None:
        """An imported period sharing a day with [start, end), or None."""
        if not self._ready:
            self._periods.sort()
            self._starts = [period[0] for period in self._periods]
            self._furthest, best = [], None
            for period in self._periods:
                if best is None or period[1] > best[1]:
                    best = period
                self._furthest.append(best)
            self._ready = True
        # Of the periods starting before `end`, the one reaching furthest.
        index = bisect_left(self._starts, end) - 1
        if index >= 0 and self._furthest[index][1] > start:
            return self._furthest[index]
        return None


def overlapping_rows(periods) -> list[tuple]:
    """For (key, start, end, label) half-open periods: (label, earlier label) for each period
    sharing a day with one of the same key that starts no later. Sorted, so a file of many
    periods is checked in n log n, not n squared."""
    found = []
    reach: dict = {}  # key -> (furthest end so far, its label)
    for key, start, end, label in sorted(periods, key=lambda p: (p[0], p[1], p[2])):
        furthest = reach.get(key)
        if furthest is not None and start < furthest[0]:
            found.append((label, furthest[1]))
        if furthest is None or end > furthest[0]:
            reach[key] = (end, label)
    return found


def _date(value: str, line: int, name: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"Row {line}: {name} must be a date like 2026-04-01")
        return None


def _trimmed(cells: list[str]) -> list[str]:
    """The cells without the empty ones a spreadsheet adds after the last column (an empty
    cell in one of the columns stays, to be reported)."""
    cells = list(cells)
    while len(cells) > len(COLUMNS) and not cells[-1].strip():
        cells.pop()
    return cells


def parse_attendance_csv(raw: bytes, *, today: date | None = None) -> list[AttendanceRow]:
    """Parse and check the file. Returns the rows; raises ImportRejected with every problem.
    A period must have ended before `today` (default: today): today's count is not complete."""
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
        return _rows(reader, today=today or timezone.localdate())
    except csv.Error as exc:
        raise ImportRejected([f"Row {reader.line_num}: this is not a readable CSV row"]) from exc


def _period(start, last, line: int, today: date, errors: list[str]) -> int | None:
    """The period's length in days (both ends included), or None with a message."""
    if start < EARLIEST_DATE:
        errors.append(f"Row {line}: period_start must be on or after {EARLIEST_DATE:%Y-%m-%d}")
    elif last < start:
        errors.append(f"Row {line}: period_end must be on or after period_start")
    elif last >= today:
        errors.append(
            f"Row {line}: the period must have ended before today ({today:%Y-%m-%d}), when "
            "its count is complete"
        )
    elif (last - start).days + 1 > MAX_PERIOD_DAYS:
        errors.append(f"Row {line}: a period can be at most 5 years long")
    else:
        return (last - start).days + 1
    return None


def _rows(reader, *, today: date) -> list[AttendanceRow]:
    header = [cell.strip().lower() for cell in _trimmed(next(reader, []))]
    if tuple(header) != COLUMNS:
        raise ImportRejected([f"The first row must be the column names: {', '.join(COLUMNS)}"])
    rows, errors, read = [], [], 0
    for line, cells in enumerate(reader, start=2):
        cells = _trimmed(cells)
        if not any(cell.strip() for cell in cells):
            continue
        read += 1
        if read > MAX_ROWS:
            # The file must be split whatever else is wrong with it.
            raise ImportRejected([f"The file has more than {MAX_ROWS:,} rows. Split it."])
        if len(cells) != len(COLUMNS):
            errors.append(f"Row {line}: expected {len(COLUMNS)} columns, found {len(cells)}")
            continue
        number, start_text, end_text, count_text = (cell.strip() for cell in cells)
        row_errors: list[str] = [
            f"Row {line}: {name} is empty"
            for name, text in zip(COLUMNS, (number, start_text, end_text, count_text), strict=True)
            if not text
        ]
        if number and not nhs_number.is_valid(number):
            row_errors.append(f"Row {line}: the NHS number is not valid")
        start = _date(start_text, line, "period_start", row_errors) if start_text else None
        last = _date(end_text, line, "period_end", row_errors) if end_text else None
        days = _period(start, last, line, today, row_errors) if start and last else None
        if count_text and not DIGITS.match(count_text):
            row_errors.append(f"Row {line}: attendances must be a whole number of 0 or more")
        elif (
            count_text
            and days is not None
            and (len(count_text) > 9 or int(count_text) > days * MAX_ATTENDANCES_PER_DAY)
        ):
            row_errors.append(f"Row {line}: attendances is more than the {days} days in the period")
        if row_errors:
            errors += row_errors
            continue
        rows.append(
            AttendanceRow(
                line, nhs_number.normalise(number), start, last + timedelta(days=1), int(count_text)
            )
        )
    periods = [(row.nhs_number, row.period_start, row.period_end, row.line) for row in rows]
    for line, other in sorted(overlapping_rows(periods)):
        errors.append(
            f"Row {line}: this patient's period overlaps row {other}, so attendances would be "
            "counted twice"
        )
    if errors:
        raise ImportRejected(errors, rows=rows)
    if not rows:
        raise ImportRejected(["The file has no rows to import."])
    return rows


ROW_NUMBER = re.compile(r"^Row (\d+):")


def _by_row(message: str) -> int:
    """A message's row number, for listing every problem in the file's order."""
    found = ROW_NUMBER.match(message)
    return int(found.group(1)) if found else 0


def import_attendance_file(
    *, actor, filename: str, raw: bytes, today: date | None = None
) -> AttendanceImport:
    """Parse, check and save an uploaded file. Raises ImportRejected with every problem at
    once: a file with unreadable rows has its readable rows checked against the records as
    well, so the user fixes the file in one go."""
    try:
        rows = parse_attendance_csv(raw, today=today)
    except ImportRejected as rejected:
        if rejected.rows:
            _, problems = _record_problems(actor, rejected.rows)
            rejected.errors = sorted(rejected.errors + problems, key=_by_row)
        raise
    return import_attendance(actor=actor, filename=filename, rows=rows)


def _record_problems(actor, rows, *, lock: bool = False) -> tuple[dict[str, int], list[str]]:
    """The patients `rows` name ({NHS number: id}) and the rows the records refuse: a patient
    `actor` cannot see, or a period overlapping one imported before. With `lock`, the patients'
    rows are locked, in id order, so two imports for one patient cannot both pass the overlap
    check (and cannot deadlock)."""
    visible = (
        patients_visible_to(actor)
        .filter(nhs_number__in={row.nhs_number for row in rows})
        .order_by("id")
    )
    if lock:
        visible = visible.select_for_update()
    patients = dict(visible.values_list("nhs_number", "id"))
    errors = [
        f"Row {row.line}: no patient you can see has this NHS number"
        for row in rows
        if row.nhs_number not in patients
    ]
    stored: dict[str, StoredPeriods] = {}
    for number, start, end in GpAttendanceCount.objects.filter(
        patient_id__in=patients.values()
    ).values_list("patient__nhs_number", "period_start", "period_end"):
        stored.setdefault(number, StoredPeriods()).add(start, end)
    for row in rows:
        periods = stored.get(row.nhs_number)
        clash = periods.overlapping(row.period_start, row.period_end) if periods else None
        if clash is not None:
            errors.append(
                f"Row {row.line}: this patient already has imported attendances for "
                f"{clash[0]:%Y-%m-%d} to {clash[1] - timedelta(days=1):%Y-%m-%d}, which this "
                "period overlaps"
            )
    return patients, sorted(errors, key=_by_row)


@transaction.atomic
def import_attendance(*, actor, filename: str, rows: list[AttendanceRow]) -> AttendanceImport:
    """Save every row, or none: patients must be visible to `actor` and periods must not
    overlap one imported before. Raises ImportRejected listing the rows that cannot be saved."""
    # The database itself cannot refuse overlapping periods portably: PostgreSQL would need an
    # exclusion constraint, which SQLite, the default, lacks; the patients' rows are locked.
    patients, errors = _record_problems(actor, rows, lock=True)
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
    _audit_counts(
        actor, sorted({patients[row.nhs_number] for row in rows}), AuditEvent.Action.CREATE
    )
    # The before-and-after figure changes: kept dashboard figures are recomputed when next seen.
    snapshots.forget_all()
    return batch


# How many of a user's imports the import page lists, newest first.
RECENT_IMPORTS = 20


def imports_for(user):
    """The imports `user` may see and withdraw, newest first: their own, or every import for an
    administrator."""
    imports = AttendanceImport.objects.select_related("imported_by", "withdrawn_by")
    if user.role != User.Role.ADMIN:
        imports = imports.filter(imported_by=user)
    return imports.order_by("-created_at", "-id")


class WithdrawRefused(ValueError):
    pass


@transaction.atomic
def withdraw_import(*, actor, batch: AttendanceImport) -> AttendanceImport:
    """Withdraw an import: its counts leave the dashboard and its periods are free for a
    corrected file; the import's own row stays, saying who withdrew it and when. Each patient's
    record shows the counts were entered in error. Raises WithdrawRefused when it was withdrawn
    already (the page sent twice, or by someone else meanwhile)."""
    batch = AttendanceImport.objects.select_for_update().get(pk=batch.pk)
    if batch.withdrawn_at is not None:
        raise WithdrawRefused(
            f"{batch.filename} was withdrawn already, on "
            f"{timezone.localtime(batch.withdrawn_at):%-d %B %Y}."
        )
    patient_ids = sorted(set(batch.rows.values_list("patient_id", flat=True)))
    batch.rows.all().delete()
    batch.withdrawn_at = timezone.now()
    batch.withdrawn_by = actor
    batch.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    _audit_counts(actor, patient_ids, AuditEvent.Action.ENTERED_IN_ERROR)
    snapshots.forget_all()
    return batch


def _audit_counts(actor, patient_ids, action) -> None:
    """One audit row on each patient's record for their imported counts, in one insert."""
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_role=actor.role,
            patient_id=patient_id,
            action=action,
            object_type="pathway.gpattendancecount",
            fields=["attendances", "period_end", "period_start"],
        )
        for patient_id in patient_ids
    )
