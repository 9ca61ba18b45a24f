"""The diaries app's last 90 days for other apps' pages (pathway.recent_diary)."""

from datetime import timedelta

from django.utils import timezone

from diaries import rules, selectors
from pathway.recent_diary import RecentDiary


def last_90_days(patient) -> list[RecentDiary]:
    """The patient's diary over the evidence window ending yesterday (today may not be written
    up yet: a diary kept every day would otherwise be incomplete until evening), from one
    query; nothing when no day of it is recorded."""
    end = timezone.localdate() - timedelta(days=1)
    summary = selectors.diary_window(patient, end=end, length=rules.EVIDENCE_WINDOW_DAYS).summary
    if not summary.days_recorded:
        return []
    return [
        RecentDiary(
            end=end,
            length=summary.length,
            days_recorded=summary.days_recorded,
            headache_days_per_month=summary.headache_days_per_month,
            migraine_days_per_month=summary.migraine_days_per_month,
            overuse_codes=tuple(rules.ICHD3_MOH_CODES[name] for name in summary.overused_classes),
        )
    ]
