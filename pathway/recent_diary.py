"""A patient's diary over the last 90 days, for pages of apps that cannot read the diaries app:
the care plan's NICE prompts are judged on how often headaches happen now, not on a figure
typed on a treatment months ago. The kernel imports no feature app (DESIGN.md section 2), so
the diaries app registers the provider (pathway.extensions): it takes the patient and returns
a list holding at most one RecentDiary."""

from dataclasses import dataclass
from datetime import date

from pathway.extensions import Registry


@dataclass(frozen=True)
class RecentDiary:
    end: date
    length: int
    days_recorded: int
    headache_days_per_month: float
    migraine_days_per_month: float
    # The ICHD-3 codes of the acute medicines taken on at least as many days as their overuse
    # threshold ("8.2.2"), empty when none.
    overuse_codes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every day of the window has a record: the monthly figures are the patient's, not a
        floor under them (a day without a record counts as headache-free)."""
        return self.days_recorded == self.length


registry = Registry()
register = registry.register


def for_patient(patient) -> RecentDiary | None:
    found = registry.collect(patient)
    return found[0] if found else None
