"""The page query: the rows on screen loaded with the patient's fields and practice, and their
time-based reasons re-checked against records saved since the kept scan."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.db.models import Exists, OuterRef
from django.utils import timezone

from pathway.compiled import Compiled
from pathway.links import uuid_link
from pathway.models import Episode, Milestone, Patient, User
from reviews import sources
from reviews.models import Appointment
from reviews.worklist.kept import _hold, _memo_lock
from reviews.worklist.reasons import Reason, Row, _order
from reviews.worklist.scans import _slow_sources, scope


def _change_checks(moment: datetime) -> dict[str, tuple[set[str], Exists]]:
    """Per patient (as OuterRef("pk")), whether an episode, milestone, appointment, trial, care
    plan or diary record was saved at or after `moment`, each with the kept reason codes such a
    save can end or change (an episode's: every one). Saves are the only way a kept time-based
    reason stops holding: time passing only adds them, and a new day starts a new scan."""
    patient = OuterRef("pk")
    waits = {"target_breach", "review_overdue"}
    # An episode saved (a discharge above all) can end any of them: a patient out of care
    # needs none of the team's attention.
    every = set(_slow_sources(moment, timezone.localdate(moment)))
    checks = [
        (every, Exists(Episode.objects.filter(patient=patient, updated_at__gte=moment))),
        (waits, Exists(Milestone.objects.filter(episode__patient=patient, updated_at__gte=moment))),
        # An overdue review's line says when one is booked; a missed appointment's goes.
        (
            {"review_overdue", "not_rebooked"},
            Exists(Appointment.objects.filter(patient=patient, updated_at__gte=moment)),
        ),
        *(({code}, exists) for code, exists in sources.changes_since(moment)),
    ]
    return {f"changed_{index}": check for index, check in enumerate(checks)}


# The patient's fields a row shows.
ROW_FIELDS = ("id", "uuid", "given_name", "family_name", "nhs_number")


class PageStatement(NamedTuple):
    """The query behind one page of rows: the patients' fields a row shows (`fields`, then the
    practice's name) and one flag per change check, with the reason codes each can end."""

    compiled: Compiled
    fields: tuple[str, ...]
    codes: tuple[set[str], ...]


# The page query's compiled SQL for each page of a kept scan this process has shown.
_page_statements: dict[tuple, PageStatement] = {}


def _page_statement(patient_ids: list[int], moment: datetime) -> PageStatement:
    """Compiled once per page and scan: the SQL depends on nothing but the page's patients and
    the scan's time, and a scan's pages are shown many times. The query itself runs on every
    view."""
    key = (tuple(sorted(patient_ids)), moment)
    with _memo_lock:
        held = _page_statements.get(key)
    if held is not None:
        return held
    checks = _change_checks(moment)
    # In the model's field order, as Model.from_db takes them.
    fields = tuple(f.attname for f in Patient._meta.concrete_fields if f.attname in ROW_FIELDS)
    query = (
        Patient.objects.filter(pk__in=key[0])
        .order_by()
        .annotate(**{name: exists for name, (_, exists) in checks.items()})
        .values_list(*fields, "registered_practice__name", *checks)
    )
    held = PageStatement(Compiled.of(query), fields, tuple(codes for codes, _ in checks.values()))
    _hold(_page_statements, key, held)
    return held


def patients_with_changes(
    patient_ids: list[int], moment: datetime
) -> dict[int, tuple[Patient, str, set[str]]]:
    """These patients by id, each with their practice's name and the kept reason codes that
    records saved at or after `moment` can end (`_change_checks`; empty when nothing changed).
    One query; each patient is loaded with the fields a row shows (ROW_FIELDS)."""
    statement = _page_statement(patient_ids, moment)
    width = len(statement.fields)
    found = {}
    # Every row comes back (at most a page of them) and is sorted out here: a WHERE on the
    # EXISTS columns would make PostgreSQL plan and run each of them twice.
    for values in statement.compiled.rows():
        patient = Patient.from_db(statement.compiled.using, statement.fields, values[:width])
        flags = values[width + 1 :]
        codes = set().union(*(c for c, flag in zip(statement.codes, flags, strict=True) if flag))
        found[patient.pk] = (patient, values[width], codes)
    return found


def recheck(
    rows: list[Row],
    user,
    *,
    clinician: User | None = None,
    practice_id: int | None = None,
    changed: dict[int, set[str]],
) -> list[Row]:
    """The rows of one page with their time-based reasons brought up to date, so no reason on
    screen has gone since the kept scan: a reason shown for a patient whose records changed
    since in a way that can end it (`changed`, from `patients_with_changes` at the scan's time)
    is worked out again now. A new reason waits for the next scan. A row left with no reason is
    dropped (its patient no longer needs attention)."""
    if not rows:
        return rows
    shown = {row.patient_id: {reason.code for reason in row.reasons} for row in rows}
    todo = {pk: codes & shown[pk] for pk, codes in changed.items() if codes & shown[pk]}
    if not todo:
        return rows
    by_code: dict[str, set[int]] = {}
    for patient_id, codes in todo.items():
        for code in codes:
            by_code.setdefault(code, set()).add(patient_id)
    patients = scope(user, clinician=clinician, practice_id=practice_id)
    source_for = _slow_sources(timezone.now(), timezone.localdate())
    fresh: dict[int, list[Reason]] = {}
    for code, patient_ids in by_code.items():
        for patient_id, reason in source_for[code](patients.filter(pk__in=patient_ids)):
            fresh.setdefault(patient_id, []).append(reason)
    current = []
    for row in rows:
        codes = todo.get(row.patient_id)
        if not codes:
            current.append(row)
            continue
        reasons = [r for r in row.reasons if r.code not in codes]
        reasons += fresh.get(row.patient_id, [])
        if reasons:
            current.append(Row(row.patient_id, sorted(reasons, key=_order), row.patient))
    return current


def page_rows(
    rows: list[Row],
    user,
    *,
    clinician: User | None = None,
    practice_id: int | None = None,
    checked_at: datetime,
) -> list[Row]:
    """The page on screen, ready to show: each row's patient loaded (the fields a row shows,
    their practice's name and the link to their reviews) and its time-based reasons re-checked
    against saves since the kept scan at `checked_at` (`recheck`). One query, plus the
    re-check's own when a patient's records changed."""
    if not rows:
        return rows
    found = patients_with_changes([row.patient_id for row in rows], checked_at)
    changed = {pk: codes for pk, (_, _, codes) in found.items() if codes}
    current = recheck(rows, user, clinician=clinician, practice_id=practice_id, changed=changed)
    link = uuid_link("reviews:patient-reviews", "patient_uuid")
    loaded = []
    for row in current:
        if row.patient_id in found:
            patient, practice, _ = found[row.patient_id]
            loaded.append(Row(row.patient_id, row.reasons, patient, link(patient.uuid), practice))
    return loaded


def counts_as_shown(counts: dict[str, int], before: list[Row], after: list[Row]) -> dict[str, int]:
    """The counts above the list with one page's re-check applied (`before` the page's rows as
    kept, `after` as `page_rows` returns them): each reason the re-check ended is taken out and
    each it found is added, so the figures agree with the rows on screen. Rows on other pages
    count as last checked."""
    counts = dict(counts)
    for row in before:
        for reason in row.reasons:
            counts[reason.code] -= 1
    for row in after:
        for reason in row.reasons:
            counts[reason.code] += 1
    return counts
