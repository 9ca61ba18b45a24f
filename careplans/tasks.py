"""Care-plan tasks: thin wrappers that take a UUID string and call one service."""

from celery import shared_task

from careplans import services


@shared_task(name="careplans.tasks.render_document_pdf", ignore_result=True)
def render_document_pdf(document_uuid: str) -> str:
    """Render one PDF document (idempotent: a ready document is left alone)."""
    return services.render_document(document_uuid)


@shared_task(name="careplans.tasks.requeue_pending_documents", ignore_result=True)
def requeue_pending_documents() -> int:
    """Queue again PDFs left pending by a broker outage or a dead worker."""
    return services.requeue_pending_documents()
