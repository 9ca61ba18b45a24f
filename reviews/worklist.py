"""The care team's worklist: patients needing attention, ranked (issue 6, item 8).

Each source is one set-based query over the patients the user may see, so the page costs the
same number of queries however many patients there are. Sources owned by other apps (referrals,
care plans, diaries) come through `reviews.sources`.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import logging
import pickle
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from pathway.compiled import Compiled
from pathway.links import uuid_link
from pathway.models import Episode, Milestone, Patient, Target, User
from pathway.models.episodes import MilestoneKind
from pathway.permissions import patients_visible_to
from reviews import rules, sources
from reviews.models import QuestionnaireRequest, SafetyAlert

logger = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
LABELS = dict(rules.WORKLIST_CATEGORIES)
# What a safety alert's worklist line says happened, by the alert's kind.
ALERT_DETAILS = {
    SafetyAlert.Kind.PHQ9_ITEM9: "PHQ-9 item 9 answered above 0",
    SafetyAlert.Kind.SAME_DAY_RISK: "Same-day risk assessment asked for at a review",
}


class Reason(NamedTuple):
    """Why a patient is on the worklist. A tuple: thousands are kept per team and unpickled on
    every page view."""

    code: str
    detail: str
    since: datetime | date | None
    url: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def rank(self) -> int:
        return rules.WORKLIST_RANK[self.code]


@dataclass
class Row:
    """One patient needing attention. `patient`, their practice's name and the link to their
    reviews (`url`) are loaded for the page on screen only (`page_rows`); the rest of the list
    carries the id."""

    patient_id: int
    reasons: list[Reason] = field(default_factory=list)
    patient: Patient | None = None
    url: str = ""
    practice: str = ""

    @property
    def rank(self) -> int:
        return min(reason.rank for reason in self.reasons)

    @property
    def top(self) -> Reason:
        return min(self.reasons, key=lambda r: (r.rank, _sortable(r.since)))


def _sortable(moment) -> float:
    """A sort key for a reason's `since`: seconds since the epoch; a date counts from local
    midnight; no date sorts last."""
    if moment is None:
        return float("inf")
    if isinstance(moment, datetime):
        return moment.timestamp()
    return _midnight(moment)


@functools.lru_cache(maxsize=4096)
def _midnight(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON).timestamp()


def scope(
    user, *, clinician: User | None = None, practice_id: int | None = None
) -> QuerySet[Patient]:
    """The patients the worklist covers: those `user` may see, optionally only one practice's,
    or those with an open episode held by one responsible clinician."""
    patients = patients_visible_to(user)
    if practice_id:
        patients = patients.filter(registered_practice_id=practice_id)
    if clinician is not None:
        patients = patients.filter(
            id__in=Episode.objects.open()
            .filter(responsible_clinician=clinician)
            .values("patient_id")
        )
    return patients


def target_breaches(patients: QuerySet[Patient], *, now: datetime) -> list[tuple[int, Reason]]:
    """Open episodes past a pathway target (DESIGN.md section 3) whose end milestone has not
    happened: one query per target row. The review-to-review target is the "review overdue"
    category, so it is left out here."""
    found = []
    targets = Target.objects.exclude(from_milestone=F("to_milestone")).order_by("id")
    for target in targets:
        started = (
            Milestone.objects.filter(episode=OuterRef("pk"), kind=target.from_milestone)
            .order_by("occurred_at")
            .values("occurred_at")[:1]
        )
        ended = Milestone.objects.filter(
            episode=OuterRef("pk"),
            kind=target.to_milestone,
            occurred_at__gte=OuterRef("started_at"),
        )
        episodes = Episode.objects.open().filter(patient__in=patients)
        if target.priority != Target.AppliesTo.ANY:
            episodes = episodes.filter(priority=target.priority)
        rows = (
            episodes.annotate(started_at=Subquery(started))
            .filter(started_at__lt=now - timedelta(days=target.days))
            .filter(~Exists(ended))
            .values_list("patient_id", "started_at")
        )
        found += [
            (
                patient_id,
                Reason(
                    "target_breach",
                    f"{target.name}: over {target.days} days",
                    started_at + timedelta(days=target.days),
                ),
            )
            for patient_id, started_at in rows
        ]
    return found


def reviews_overdue(patients: QuerySet[Patient], *, now: datetime) -> list[tuple[int, Reason]]:
    """Open episodes whose annual-review-due date recorded last (the latest review's next review
    date, even if an earlier review set a later one) has passed; or, with no due date yet,
    whose last review (or first contact) is more than a year ago."""
    latest = Milestone.objects.filter(episode=OuterRef("pk"))
    rows = (
        Episode.objects.open()
        .filter(patient__in=patients)
        .annotate(
            due_at=Subquery(
                latest.filter(kind=MilestoneKind.ANNUAL_REVIEW_DUE)
                .order_by("-created_at", "-id")
                .values("occurred_at")[:1]
            ),
            last_seen=Max(
                "milestones__occurred_at",
                filter=Q(
                    milestones__kind__in=[MilestoneKind.REVIEW_HELD, MilestoneKind.FIRST_CONTACT]
                ),
            ),
        )
        .annotate(
            overdue_from=Coalesce(
                "due_at",
                F("last_seen") + timedelta(days=rules.ANNUAL_REVIEW_INTERVAL_DAYS),
            )
        )
        .filter(overdue_from__lt=now)
        .values_list("patient_id", "overdue_from")
    )
    return [
        (
            patient_id,
            Reason(
                "review_overdue",
                f"Annual review was due {timezone.localtime(due):%-d %B %Y}",
                due,
            ),
        )
        for patient_id, due in rows
    ]


# One patient's place on the list: (order, patient id, reasons most urgent first), where order is
# (top reason's rank, its `since`, patient id) and so tells any two entries apart.
Entry = tuple[tuple[int, float, int], int, tuple[Reason, ...]]
_order_of = itemgetter(0)


class Ranked(Sequence):
    """Every patient needing attention, most urgent first, kept as plain entries: a `Row` is
    built only for the rows asked for (a page), not for the whole team's list."""

    def __init__(self, entries: list[Entry]):
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [Row(pk, list(reasons)) for _, pk, reasons in self._entries[index]]
        _, pk, reasons = self._entries[index]
        return Row(pk, list(reasons))


class Scan(NamedTuple):
    """One scan of a scope's time-based reasons, ranked, as kept between page views."""

    checked_at: datetime
    entries: list[Entry]
    counts: dict[str, int]


@dataclass
class Worklist:
    ranked: Ranked
    counts: dict[str, int]
    checked_at: datetime

    @property
    def rows(self) -> list[Row]:
        return list(self.ranked)


def _slow_sources(now: datetime, today: date) -> dict:
    """The reasons that change with time rather than with a clinician's action, and cost a scan
    of the team's patients: kept per scope (WORKLIST_CACHE_SECONDS) and re-checked for rows on
    screen whose records changed. Safety alerts, red-flag referrals and questionnaires are
    always live."""
    return {
        "target_breach": lambda patients: target_breaches(patients, now=now),
        "review_overdue": lambda patients: reviews_overdue(patients, now=now),
        "trial_due_review": lambda patients: sources.trials_past_review(patients, today=today),
        "diary_pattern": lambda patients: sources.diary_flags(patients, today=today),
    }


def _slow_reasons(patients: QuerySet[Patient], *, now: datetime, today: date) -> list:
    found = []
    for source in _slow_sources(now, today).values():
        found += source(patients)
    return found


# The live sources' rows share one shape: (patient id, code, reference, text, moment, day,
# kind); the kind tells one safety alert from another.
LIVE_COLUMNS = ("patient_id", "w_code", "w_ref", "w_text", "w_at", "w_day", "w_kind")


def _live(queryset: QuerySet, code: str, **columns) -> QuerySet:
    # Typed NULLs: PostgreSQL reads two untyped NULLs in one column as text.
    blank = {
        "w_ref": Cast(Value(None), UUIDField()),
        "w_text": Value("", output_field=CharField()),
        "w_at": Cast(Value(None), DateTimeField()),
        "w_day": Cast(Value(None), DateField()),
        "w_kind": Value("", output_field=CharField()),
    }
    return (
        queryset.order_by()
        .annotate(w_code=Value(code, output_field=CharField()), **{**blank, **columns})
        .values_list(*LIVE_COLUMNS)
    )


def _live_reasons(
    patients: QuerySet[Patient], *, today: date, key: str
) -> list[tuple[int, Reason]]:
    """What no kept scan may hold back, asked for on every page view in one query: unresolved
    safety alerts (PHQ-9 item 9, or a same-day risk assessment asked for at a review), red-flag
    referrals waiting for triage, and questionnaires past their due date. `key` is the scope's
    `_cache_key`: the query's SQL depends on nothing else, so each process compiles it once per
    scope and day (`_live_statement`)."""
    alert_link = uuid_link("reviews:alert", "alert_uuid")
    referral_link = uuid_link("referrals:detail", "referral_uuid")
    found = []
    rows = _live_statement(patients, today, key).rows()
    for patient_id, code, ref, text, moment, day, kind in rows:
        if code == "safety_alert":
            responsible = f" (responsible: {text})" if text else ""
            reason = Reason(
                code,
                f"{ALERT_DETAILS[kind]}: record the action taken{responsible}",
                moment,
                alert_link(ref),
            )
        elif code == "red_flag_referral":
            reason = sources.red_flag_reason(text, moment, referral_link(ref))
        else:
            reason = Reason(code, f"{text} not completed (due {day:%-d %B %Y})", day)
        found.append((patient_id, reason))
    return found


# Raised when what the kept scan holds changes shape, so a release never reads an older one.
KEPT_FORMAT = 3
# Scans a web process holds in memory (a few per team: whole team, each clinician, each practice).
MEMO_SIZE = 32
_memo: dict[str, tuple[str, Scan]] = {}
_memo_lock = threading.Lock()


# The live query's compiled SQL for each scope and day this process has shown, most recent last.
_statements: dict[str, Compiled] = {}


def _live_statement(patients: QuerySet[Patient], today: date, key: str) -> Compiled:
    with _memo_lock:
        held = _statements.get(key)
    if held is not None:
        return held
    alerts = _live(
        SafetyAlert.objects.filter(patient__in=patients, resolved_at__isnull=True),
        "safety_alert",
        w_ref=F("uuid"),
        w_text=Coalesce("responsible_clinician__full_name", Value("")),
        w_at=F("raised_at"),
        w_kind=F("kind"),
    )
    red_flags = _live(
        sources.red_flag_referrals(patients),
        "red_flag_referral",
        w_ref=F("uuid"),
        w_text=F("urgency"),
        w_at=F("submitted_at"),
    )
    questionnaires = _live(
        QuestionnaireRequest.objects.filter(
            patient__in=patients, status=QuestionnaireRequest.Status.REQUESTED, due__lt=today
        ),
        "questionnaire_outstanding",
        w_text=F("instrument"),
        w_day=F("due"),
    )
    compiled = Compiled.of(alerts.union(red_flags, questionnaires, all=True))
    _hold(_statements, key, compiled)
    return compiled


def _cache_key(patients: QuerySet[Patient], today: date) -> str:
    """The same patient scope (same SQL and parameters) shares one entry, whoever asks."""
    sql, params = patients.values("pk").query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params, today.isoformat())).encode()).hexdigest()
    return f"reviews:worklist:slow:v{KEPT_FORMAT}:{digest}"


def _kept(key: str):
    """What the cache holds under `key`, or None: an entry that cannot be read (written by
    another release) is a miss, not an error."""
    try:
        return cache.get(key)
    except (TypeError, AttributeError, ImportError, pickle.UnpicklingError):
        logger.warning("Unreadable kept worklist entry %s; scanning again", key)
        return None


def _keep(scans: dict[str, Scan], seconds: int) -> None:
    """Keep each scan under a stamp of its own, and the stamp under the scope's key. A page
    view reads the small stamp and, when its process already holds that scan, nothing more."""
    entries = {}
    for key, scan in scans.items():
        stamp = secrets.token_hex(8)
        entries[f"{key}:{stamp}"] = scan
        entries[key] = stamp
        _remember(key, stamp, scan)
    cache.set_many(entries, seconds)


def _remember(key: str, stamp: str, scan: Scan) -> None:
    _hold(_memo, key, (stamp, scan))


def _hold(store: dict, key: str, value) -> None:
    """Put `value` in one of this process's stores (`_memo`, `_statements`,
    `_page_statements`), dropping the oldest entries so it holds at most MEMO_SIZE."""
    with _memo_lock:
        store.pop(key, None)
        while len(store) >= MEMO_SIZE:
            del store[next(iter(store))]
        store[key] = value


def _scan(patients: QuerySet[Patient], *, now: datetime, today: date) -> Scan:
    return _scan_of(_slow_reasons(patients, now=now, today=today), now)


def _scan_of(found: list[tuple[int, Reason]], now: datetime) -> Scan:
    return Scan(now, _entries(found), _counts(found))


def _kept_scan(patients: QuerySet[Patient], *, now: datetime, today: date, key: str) -> Scan:
    """The scope's scan, kept for WORKLIST_CACHE_SECONDS under `key` (`_cache_key`) and shared
    by every process through the cache; each process also holds the scans it has read, for as
    long as the cache still names them."""
    seconds = settings.WORKLIST_CACHE_SECONDS
    if seconds <= 0:
        return _scan(patients, now=now, today=today)
    stamp = _kept(key)
    if isinstance(stamp, str):
        held = _memo.get(key)
        if held is not None and held[0] == stamp:
            return held[1]
        scan = _kept(f"{key}:{stamp}")
        if isinstance(scan, Scan):
            _remember(key, stamp, scan)
            return scan
    scan = _scan(patients, now=now, today=today)
    _keep({key: scan}, seconds)
    return scan


def warm_team_scans() -> int:
    """Scan every live patient's time-based reasons once and keep each active clinician's
    whole-team share of them under the key `worklist_for` looks for, as a miss there would.
    Beat runs this a little more often than entries expire, so no clinician's page waits for
    the scan (with a cache the web processes share). Returns how many scopes were kept."""
    seconds = settings.WORKLIST_CACHE_SECONDS
    if seconds <= 0:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    by_patient: dict[int, list] = {}
    for patient_id, reason in _slow_reasons(Patient.objects.live(), now=now, today=today):
        by_patient.setdefault(patient_id, []).append((patient_id, reason))
    scopes = {}
    for clinician in User.objects.filter(role=User.Role.CLINICIAN, is_active=True):
        patients = scope(clinician)
        scopes.setdefault(_cache_key(patients, today), patients)
    scans = {}
    for key, patients in scopes.items():
        ids = patients.order_by().values_list("pk", flat=True)
        scans[key] = _scan_of([item for pk in ids for item in by_patient.get(pk, ())], now)
    _keep(scans, seconds)
    return len(scans)


def _order(reason: Reason) -> tuple[int, float]:
    return (reason.rank, _sortable(reason.since))


def _entries(found: list[tuple[int, Reason]]) -> list[Entry]:
    """Each patient's reasons, most urgent first, and the patients in order of their top
    reason (category, then longest waiting)."""
    by_patient: dict[int, list[Reason]] = {}
    for patient_id, reason in found:
        by_patient.setdefault(patient_id, []).append(reason)
    entries = [_entry(pk, reasons) for pk, reasons in by_patient.items()]
    entries.sort(key=_order_of)
    return entries


def _entry(patient_id: int, reasons) -> Entry:
    ranked = sorted(reasons, key=_order)
    return ((*_order(ranked[0]), patient_id), patient_id, tuple(ranked))


def _counts(found: list[tuple[int, Reason]]) -> dict[str, int]:
    counts = {code: 0 for code, _ in rules.WORKLIST_CATEGORIES}
    for _, reason in found:
        counts[reason.code] += 1
    return counts


def _merge(scan: Scan, live: list[tuple[int, Reason]]) -> list[Entry]:
    """The kept entries with the live reasons added: a patient with a live reason is ranked
    again with all their reasons; everyone else keeps their place."""
    if not live:
        return scan.entries
    by_patient: dict[int, list[Reason]] = {}
    for patient_id, reason in live:
        by_patient.setdefault(patient_id, []).append(reason)
    rest = []
    for entry in scan.entries:
        if entry[1] in by_patient:
            by_patient[entry[1]].extend(entry[2])
        else:
            rest.append(entry)
    fresh = sorted((_entry(pk, reasons) for pk, reasons in by_patient.items()), key=_order_of)
    return list(heapq.merge(rest, fresh, key=_order_of))


def worklist_for(
    user, *, clinician: User | None = None, practice_id: int | None = None
) -> Worklist:
    """Every patient needing attention with their reasons, most urgent first (by the top
    reason's category, then longest waiting). Patient rows are not loaded here: `page_rows`
    fetches one page of them and brings its time-based reasons up to date."""
    now = timezone.now()
    today = timezone.localdate()
    patients = scope(user, clinician=clinician, practice_id=practice_id)
    key = _cache_key(patients, today)
    scan = _kept_scan(patients, now=now, today=today, key=key)
    live = _live_reasons(patients, today=today, key=key)
    counts = dict(scan.counts)
    for _, reason in live:
        counts[reason.code] += 1
    return Worklist(Ranked(_merge(scan, live)), counts=counts, checked_at=scan.checked_at)


def _change_checks(moment: datetime) -> dict[str, tuple[set[str], Exists]]:
    """Per patient (as OuterRef("pk")), whether an episode, milestone, trial, care plan or
    diary record was saved at or after `moment`, each with the kept reason codes such a save
    can end. Saves are the only way a kept time-based reason stops holding: time passing only
    adds them, and a new day starts a new scan."""
    patient = OuterRef("pk")
    waits = {"target_breach", "review_overdue"}
    checks = [
        (waits, Exists(Episode.objects.filter(patient=patient, updated_at__gte=moment))),
        (waits, Exists(Milestone.objects.filter(episode__patient=patient, updated_at__gte=moment))),
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
