"""Diary writes (STYLE.md: services write, in a transaction, with their audit row).

Split by concept: `entries` (the patient's day records) and `reports` (diary report PDFs).
Callers use the names re-exported here, e.g. `diaries.services.record_entry`.
"""

from django.core.exceptions import ValidationError

from diaries.services.entries import (
    DOSES_APART_KEY,
    EDITABLE_DAYS_BACK,
    MAX_EPISODES_PER_DAY,
    MAX_MEDICINES,
    MESSAGES,
    NOTE_MAX_LENGTH,
    DayChanged,
    DayData,
    DoseData,
    EpisodeData,
    day_error,
    doses_apart,
    editable_range,
    episode_data,
    mark_entry_entered_in_error,
    record_entry,
    record_headache_free_day,
    record_pain_score,
    validate_day,
    version_of,
)
from diaries.services.reports import (
    MAX_REPORT_ATTEMPTS,
    REPORT_CLAIM_TIMEOUT,
    REPORT_REQUEUE_AFTER,
    diary_changed_since,
    enqueue_report,
    render_report,
    request_report,
    requeue_stale_reports,
)

__all__ = [
    "DOSES_APART_KEY",
    "EDITABLE_DAYS_BACK",
    "MAX_EPISODES_PER_DAY",
    "MAX_MEDICINES",
    "MAX_REPORT_ATTEMPTS",
    "MESSAGES",
    "NOTE_MAX_LENGTH",
    "REPORT_CLAIM_TIMEOUT",
    "REPORT_REQUEUE_AFTER",
    "DayChanged",
    "DayData",
    "DoseData",
    "EpisodeData",
    "ValidationError",
    "day_error",
    "doses_apart",
    "editable_range",
    "diary_changed_since",
    "enqueue_report",
    "episode_data",
    "mark_entry_entered_in_error",
    "record_entry",
    "record_headache_free_day",
    "record_pain_score",
    "render_report",
    "request_report",
    "requeue_stale_reports",
    "validate_day",
    "version_of",
]
