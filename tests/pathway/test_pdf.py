"""PDF rendering loads our static files and nothing else (STYLE.md rule 19).

A real HTTP server on loopback is the canary: any fetch WeasyPrint makes outside the static
files shows up in its request log.
"""

import base64
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from pathway import pdf
from pathway.pdf import BASE_URL, ResourceRefused, html_to_pdf, static_only_fetcher

PNG_1PX = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000005000157a2b0a1"
        "0000000049454e44ae426082"
    )
).decode()


class _Canary(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802  (http.server's hook name)
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, *args):
        pass


@pytest.fixture
def canary():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _hostile(port: int) -> str:
    origin = f"http://127.0.0.1:{port}"
    return f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{origin}/sheet.css">
      <style>
        @import url("{origin}/imported.css");
        body {{ background: url("{origin}/background.png"); }}
        @font-face {{ font-family: x; src: url("{origin}/font.woff"); }}
      </style></head>
      <body><h1>Care plan</h1>
      <img src="{origin}/x.png" alt="">
      <img src="file:///etc/passwd" alt="">
      <iframe src="{origin}/frame"></iframe>
      <object data="{origin}/object"></object>
      </body></html>"""


def _fetched_by(html: str) -> dict[str, bool]:
    """Render `html`; return each URL handed to the fetcher and whether it was loaded."""
    seen = {}

    def recording_fetcher(url, *args, **kwargs):
        seen[url] = False
        resource = static_only_fetcher(url, *args, **kwargs)
        seen[url] = True
        return resource

    with mock.patch("pathway.pdf.static_only_fetcher", recording_fetcher):
        assert html_to_pdf(html).startswith(b"%PDF")
    return seen


def test_it_fetches_nothing_from_the_network_or_the_disk_and_still_renders(canary):
    document = html_to_pdf(_hostile(canary.server_address[1]))
    assert document.startswith(b"%PDF")
    assert canary.requests == []
    fetched = _fetched_by(_hostile(canary.server_address[1]))
    assert "file:///etc/passwd" in fetched
    assert not any(fetched.values())
    assert canary.requests == []
    # The canary was listening all along: a plain request is recorded.
    urllib.request.urlopen(f"http://127.0.0.1:{canary.server_address[1]}/ping", timeout=5)  # noqa: S310
    assert canary.requests == ["/ping"]


def test_it_would_have_been_fetched_without_the_static_only_fetcher(canary):
    from weasyprint import HTML

    HTML(string=_hostile(canary.server_address[1]), base_url=BASE_URL).write_pdf()
    assert canary.requests  # the document does reach for the canary; the fetcher stops it


def test_it_renders_a_plain_document_to_pdf_bytes():
    document = html_to_pdf("<h1>Your care plan</h1><p>What matters to me.</p>")
    assert isinstance(document, bytes)
    assert document.startswith(b"%PDF")


def test_it_loads_the_print_stylesheet_from_static_files():
    html = '<html><head><link rel="stylesheet" href="/static/css/print.css"></head><body>x</body>'
    assert _fetched_by(html) == {f"{BASE_URL}static/css/print.css": True}
    resource = static_only_fetcher(f"{BASE_URL}static/css/print.css")
    on_disk = Path(settings.BASE_DIR, "static", "css", "print.css").read_bytes()
    assert resource == {"string": on_disk, "mime_type": "text/css"}


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE_URL}static/../pathway/settings.py",
        f"{BASE_URL}static/css/../../pathway/settings.py",
        f"{BASE_URL}static/%2e%2e/pathway/settings.py",
        f"{BASE_URL}static/css/%2E%2E/%2E%2E/pathway/settings.py",
        f"{BASE_URL}static//etc/passwd",
        f"{BASE_URL}static/",
        f"{BASE_URL}static/css/no-such-file.css",
        f"{BASE_URL}pathway/settings.py",
        f"{BASE_URL}var/secret_key",
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/static/css/print.css",
        "http://127.0.0.1/static/css/print.css",
        "https://pdf.pathway.invalid.evil.example/static/css/print.css",
        "ftp://example.org/x",
    ],
)
def test_it_refuses_anything_outside_the_static_files(url):
    with pytest.raises(ResourceRefused):
        static_only_fetcher(url)


def test_it_renders_past_a_path_traversal_without_reading_the_file():
    html = '<link rel="stylesheet" href="/static/../pathway/settings.py"><p>x</p>'
    fetched = _fetched_by(html)
    assert fetched
    assert not any(fetched.values())


def test_it_accepts_a_small_data_url():
    resource = static_only_fetcher(f"data:image/png;base64,{PNG_1PX}")
    assert resource["mime_type"] == "image/png"
    assert resource["string"].startswith(b"\x89PNG")


def test_it_refuses_a_large_data_url():
    big = "data:text/plain;base64," + "A" * (pdf.MAX_DATA_URL_BYTES + 4)
    with pytest.raises(ResourceRefused):
        static_only_fetcher(big)
    assert html_to_pdf(f'<img src="{big}" alt=""><p>still here</p>').startswith(b"%PDF")
