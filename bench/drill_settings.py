"""Settings for `bench.drill two-beats`: the app's own, with every beat job on a short interval.

The reminder planners are daily crontab jobs; here each entry of CELERY_BEAT_SCHEDULE keeps its
task and fires every DRILL_BEAT_SECONDS instead, so two schedulers run every planner and the
outbox sweep many times within a minute.
"""

from pathway.settings import *  # noqa: F403
from pathway.settings import CELERY_BEAT_SCHEDULE, env_int

DRILL_BEAT_SECONDS = env_int("DRILL_BEAT_SECONDS", 4)

CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": float(DRILL_BEAT_SECONDS)}
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}
