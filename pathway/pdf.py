"""HTML to PDF: the project's only WeasyPrint call (DESIGN.md sections 4 and 6).

The URL fetcher serves the app's own static files and refuses everything else: no http(s), no
file:// outside the static folders, no data: URL over a small size. Rendering hostile HTML
therefore fetches nothing; refused resources are left out and the PDF still renders.
"""

import base64
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse

logger = logging.getLogger(__name__)

# Relative URLs in templates resolve against this origin; it is never contacted.
BASE_URL = "https://pdf.pathway.invalid/"
_ORIGIN = urlsplit(BASE_URL)
MAX_DATA_URL_BYTES = 64 * 1024


class ResourceRefused(ValueError):
    """A PDF asked for something outside the app's static files."""


def _static_file(path: str) -> Path:
    static_prefix = settings.STATIC_URL
    if not path.startswith(static_prefix):
        raise ResourceRefused("only static files may be loaded")
    relative = unquote(path[len(static_prefix) :])
    if not relative or ".." in Path(relative).parts or relative.startswith("/"):
        raise ResourceRefused("bad static path")
    found = finders.find(relative)
    if not found:
        raise ResourceRefused("no such static file")
    resolved = Path(found).resolve()
    roots = [Path(root).resolve() for root in settings.STATICFILES_DIRS]
    roots.append(Path(settings.STATIC_ROOT).resolve())
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ResourceRefused("outside the static folders")
    return resolved


def _data_url(url: str) -> dict:
    if len(url) > MAX_DATA_URL_BYTES:
        raise ResourceRefused("data URL too large")
    header, _, payload = url[5:].partition(",")
    mime_type = header.split(";")[0] or "text/plain"
    raw = base64.b64decode(payload) if header.endswith(";base64") else unquote(payload).encode()
    return {"string": raw, "mime_type": mime_type}


def static_only_fetcher(url: str, *args, **kwargs) -> dict:
    """WeasyPrint URL fetcher. Returns the resource or raises ResourceRefused."""
    if url.startswith("data:"):
        return _data_url(url)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (_ORIGIN.scheme, _ORIGIN.netloc):
        logger.warning("PDF resource refused: scheme %r", parts.scheme)
        raise ResourceRefused("only the app's own static files may be loaded")
    path = _static_file(parts.path)
    mime_type, _ = mimetypes.guess_type(path.name)
    return {"string": path.read_bytes(), "mime_type": mime_type}


def html_to_pdf(html: str) -> bytes:
    """Render `html` (from a Django template, with `{% static %}` links) to PDF bytes."""
    from weasyprint import HTML  # imported here: heavy, and only the worker renders

    return HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher).write_pdf()


def pdf_download(pdf: bytes, filename: str) -> HttpResponse:
    """A stored PDF as a download that no browser or proxy keeps (it is part of a patient's
    record; the caller has checked access and audited the download)."""
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
