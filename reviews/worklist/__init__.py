"""The care team's worklist: patients needing attention, ranked (issue 6, item 8).

Each source is one set-based query over the patients the user may see, so the page costs the
same number of queries however many patients there are. Sources owned by other apps (referrals,
care plans, diaries) come through `reviews.sources`.

* `reasons`: why a patient is on the list, their row, and the list's order.
* `scans`: who the list covers, and the time-based reasons a scan of the team's patients finds.
* `kept`: the kept team scan, shared through the cache and held by each process, and the beat
  job that keeps it warm.
* `live`: the reasons no kept scan may hold back, and `worklist_for`, which merges them in.
* `page`: one page of rows, loaded and re-checked against records saved since the scan.
"""

from reviews.worklist.kept import KEPT_FORMAT, MEMO_SIZE, Scan, warm_team_scans
from reviews.worklist.live import ALERT_DETAILS, LIVE_COLUMNS, worklist_for
from reviews.worklist.page import (
    ROW_FIELDS,
    PageStatement,
    counts_as_shown,
    page_rows,
    patients_with_changes,
    recheck,
)
from reviews.worklist.reasons import LABELS, LONDON, Entry, Ranked, Reason, Row, Worklist
from reviews.worklist.scans import reviews_overdue, scope, target_breaches

__all__ = [
    "ALERT_DETAILS",
    "Entry",
    "KEPT_FORMAT",
    "LABELS",
    "LIVE_COLUMNS",
    "LONDON",
    "MEMO_SIZE",
    "PageStatement",
    "ROW_FIELDS",
    "Ranked",
    "Reason",
    "Row",
    "Scan",
    "Worklist",
    "counts_as_shown",
    "page_rows",
    "patients_with_changes",
    "recheck",
    "reviews_overdue",
    "scope",
    "target_breaches",
    "warm_team_scans",
    "worklist_for",
]
