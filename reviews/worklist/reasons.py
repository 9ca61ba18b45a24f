"""Why a patient is on the worklist (`Reason`), their row (`Row`), and the order of the list:
most urgent category first, then longest waiting."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from pathway.models import Patient
from reviews import rules

LONDON = ZoneInfo("Europe/London")
LABELS = dict(rules.WORKLIST_CATEGORIES)


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


@dataclass
class Worklist:
    ranked: Ranked
    counts: dict[str, int]
    checked_at: datetime

    @property
    def rows(self) -> list[Row]:
        return list(self.ranked)


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
