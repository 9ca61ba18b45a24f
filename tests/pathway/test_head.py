"""HEAD requests through the WSGI handler, as gunicorn serves them: headers of a GET, no body
(gunicorn sends whatever body the app returns)."""

from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.http import FileResponse, HttpResponse

from pathway.middleware import HeadWithoutBodyMiddleware


def _serve(method: str, path: str):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    body = b"".join(WSGIHandler()(environ, start_response))
    return started["status"], started["headers"], body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/account/login/", "/referrals/self/", "/health/"])
def test_a_head_request_has_the_headers_of_a_get_and_no_body(path, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    status, headers, body = _serve("GET", path)
    head_status, head_headers, head_body = _serve("HEAD", path)
    assert status == head_status
    assert body and head_body == b""
    assert head_headers["Content-Type"] == headers["Content-Type"]
    assert int(head_headers["Content-Length"]) > 0


def test_a_streamed_answer_to_a_head_request_is_closed_unread(tmp_path, rf, db):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 " + b"x" * 5000)
    opened = []

    def view(request):
        handle = path.open("rb")
        opened.append(handle)
        return FileResponse(handle, content_type="application/pdf")

    response = HeadWithoutBodyMiddleware(view)(rf.head("/report.pdf"))
    assert b"".join(response.streaming_content) == b""
    assert response["Content-Length"] == "5009"
    assert opened[0].closed


def test_a_get_keeps_its_body(rf):
    response = HeadWithoutBodyMiddleware(lambda request: HttpResponse(b"page"))(rf.get("/"))
    assert response.content == b"page"
