"""The reasons no kept scan may hold back (safety alerts, red-flag referrals waiting for triage,
questionnaires past their due date, severe mood or anxiety scores not yet reviewed), asked for
on every page view in one query, and the worklist: the kept scan with them merged in."""

from __future__ import annotations

import heapq
from datetime import date

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    UUIDField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from pathway.compiled import Compiled
from pathway.links import uuid_link
from pathway.models import Patient, User
from pathway.permissions import cares_for
from reviews import selectors, sources
from reviews.models import QuestionnaireRequest, SafetyAlert
from reviews.worklist.kept import Scan, _cache_key, _hold, _kept_scan, _memo_lock
from reviews.worklist.reasons import LONDON, Entry, Ranked, Reason, Worklist, _entry, _order_of
from reviews.worklist.scans import scope

# What a safety alert's worklist line says happened, by the alert's kind.
ALERT_DETAILS = {
    SafetyAlert.Kind.PHQ9_ITEM9: "PHQ-9 item 9 answered above 0",
    SafetyAlert.Kind.SAME_DAY_RISK: "Same-day risk assessment asked for at a review",
    SafetyAlert.Kind.RED_FLAGS: "New red flags in a second referral for the patient",
    SafetyAlert.Kind.EMERGENCY_STOP: (
        "Emergency red flags stopped a referral: sent for same-day care"
    ),
}

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
    patients: QuerySet[Patient], *, today: date, key: str, team: QuerySet[Patient] | None = None
) -> list[tuple[int, Reason]]:
    """What no kept scan may hold back, asked for on every page view in one query: unresolved
    safety alerts (PHQ-9 item 9, or a same-day risk assessment asked for at a review), red-flag
    referrals waiting for triage, questionnaires past their due date, and severe PHQ-9 or GAD-7
    scores with no review since. `key` is the scope's
    `_cache_key`: the query's SQL depends on nothing else, so each process compiles it once per
    scope and day (`_live_statement`).

    When `patients` is one clinician's (`team` being everyone the list would cover without that
    filter), the team's red-flag referrals waiting for triage and its safety alerts no clinician
    is responsible for are asked for too: nobody holds them yet, so no clinician's list may
    leave them out.

    A safety alert's line names who is responsible for it: the clinician it was raised for, or,
    for one raised while no one was responsible for the patient's care, whoever holds their
    care now (`selectors.responsible_for_care`, one more query, only when there is such an
    alert), as the alert's page does."""
    alert_link = uuid_link("reviews:alert", "alert_uuid")
    referral_link = uuid_link("referrals:detail", "referral_uuid")
    found = []
    rows = _live_statement(patients, today, key, team).rows()
    unheld = {row[0] for row in rows if row[1] == "safety_alert" and not row[3]}
    held_now = selectors.responsible_for_care(unheld) if unheld else {}
    for patient_id, code, ref, text, moment, day, kind in rows:
        if code == "safety_alert":
            names = text or ", ".join(c.full_name for c in held_now.get(patient_id, []))
            responsible = f" (responsible: {names})" if names else ""
            reason = Reason(
                code,
                f"{ALERT_DETAILS[kind]}: record the action taken{responsible}",
                moment,
                alert_link(ref),
            )
        elif code == "red_flag_referral":
            reason = sources.red_flag_reason(text, moment, referral_link(ref))
        elif code == "severe_score":
            when = moment.astimezone(LONDON)
            reason = Reason(
                code,
                f"{text} score {kind} on {when:%-d %B %Y}, in the severe band: no review since",
                moment,
            )
        else:
            reason = Reason(code, f"{text} not completed (due {day:%-d %B %Y})", day)
        found.append((patient_id, reason))
    return found


# The live query's compiled SQL for each scope and day this process has shown, most recent last.
_statements: dict[str, Compiled] = {}


def _live_statement(
    patients: QuerySet[Patient], today: date, key: str, team: QuerySet[Patient] | None
) -> Compiled:
    with _memo_lock:
        held = _statements.get(key)
    if held is not None:
        return held
    shown = Q(patient__in=patients)
    if team is not None:
        # No one holds an alert whose responsible clinician has left the team either: their
        # account closed, or no longer a member caring for the patient's practice.
        shown |= Q(patient__in=team) & (
            Q(responsible_clinician__isnull=True)
            | Q(responsible_clinician__is_active=False)
            | ~cares_for("responsible_clinician_id", "patient__registered_practice_id")
        )
    alerts = _live(
        SafetyAlert.objects.filter(shown, resolved_at__isnull=True),
        "safety_alert",
        w_ref=F("uuid"),
        w_text=Coalesce("responsible_clinician__full_name", Value("")),
        w_at=F("raised_at"),
        w_kind=F("kind"),
    )
    red_flags = _live(
        sources.red_flag_referrals(patients if team is None else team),
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
    severe_scores = _live(
        selectors.unreviewed_severe_scores(patients),
        "severe_score",
        w_ref=F("uuid"),
        w_text=F("instrument"),
        w_at=F("completed_at"),
        # The score, carried in the kind column: PHQ-9 and GAD-7 totals are whole numbers.
        w_kind=Cast(Cast("total", IntegerField()), CharField()),
    )
    compiled = Compiled.of(alerts.union(red_flags, questionnaires, severe_scores, all=True))
    _hold(_statements, key, compiled)
    return compiled


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
    fetches one page of them and brings its time-based reasons up to date. Filtered to one
    clinician, it keeps what nobody holds yet (`_live_reasons`)."""
    now = timezone.now()
    today = timezone.localdate()
    patients = scope(user, clinician=clinician, practice_id=practice_id)
    team = scope(user, practice_id=practice_id) if clinician is not None else None
    key = _cache_key(patients, today)
    scan = _kept_scan(patients, now=now, today=today, key=key)
    live = _live_reasons(patients, today=today, key=key, team=team)
    counts = dict(scan.counts)
    for _, reason in live:
        counts[reason.code] += 1
    return Worklist(Ranked(_merge(scan, live)), counts=counts, checked_at=scan.checked_at)
