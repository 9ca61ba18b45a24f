"""The kept team scan: each scope's time-based reasons, ranked, kept in the cache for
WORKLIST_CACHE_SECONDS and held by each web process; and the beat job that keeps every
clinician's whole-team scan warm."""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import threading
from datetime import date, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from pathway.models import Patient, User
from reviews.worklist.reasons import Entry, Reason, _counts, _entries
from reviews.worklist.scans import _slow_reasons, scope

logger = logging.getLogger(__name__)


class Scan(NamedTuple):
    """One scan of a scope's time-based reasons, ranked, as kept between page views."""

    checked_at: datetime
    entries: list[Entry]
    counts: dict[str, int]


# Raised when what the kept scan holds changes shape, so a release never reads an older one.
KEPT_FORMAT = 4
# Scans a web process holds in memory (a few per team: whole team, each clinician, each practice).
MEMO_SIZE = 32
_memo: dict[str, tuple[str, Scan]] = {}
_memo_lock = threading.Lock()


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
