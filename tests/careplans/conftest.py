import pytest


@pytest.fixture(autouse=True)
def queued_renders(monkeypatch):
    """PDF renders handed to the broker, recorded instead of sent (the worker is not running)."""
    from careplans import tasks

    calls = []
    monkeypatch.setattr(
        tasks.render_document_pdf, "apply_async", lambda args, **kwargs: calls.append(args[0])
    )
    return calls
