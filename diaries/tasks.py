"""Diary tasks: thin wrappers that take UUID strings and call one service."""

from celery import shared_task

from diaries import services


@shared_task(name="diaries.tasks.render_diary_report", ignore_result=True)
def render_diary_report(report_uuid: str) -> str:
    """Render one requested diary report PDF (idempotent: claimed by compare-and-swap)."""
    return services.render_report(report_uuid=report_uuid)


@shared_task(name="diaries.tasks.requeue_stale_diary_reports", ignore_result=True)
def requeue_stale_diary_reports() -> int:
    """Beat job: hand reports a dead worker or broker left unfinished back to the broker."""
    return services.requeue_stale_reports()
