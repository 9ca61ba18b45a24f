"""Fake message providers on loopback for the fault tests: a minimal SMTP server and an HTTP
provider API. Both count what they accept, per recipient."""

from __future__ import annotations

import http.server
import itertools
import json
import socket
import socketserver
import threading
import time
from collections import Counter


class FakeSmtpServer:
    """Just enough SMTP for Django's smtp backend. A message counts as accepted only when the
    server sends its 250 after the data (RFC 5321: the server takes responsibility then).

    `hold()` makes the server keep every finished message waiting before that 250, so a test can
    kill the sender at a moment when no message is half-acknowledged; `release()` answers the
    waiting ones, dropping those whose sender has gone (its connection is closed)."""

    def __init__(self):
        self.accepted: Counter[str] = Counter()
        self.dropped = 0
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._held: set[socket.socket] = set()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer._converse(self)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a sender killed mid-conversation resets its connection: expected

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._open.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.accepted.values())

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._held)

    def hold(self):
        self._open.clear()

    def release(self):
        self._open.set()

    def senders_gone(self) -> bool:
        """Whether every held message's sender has closed its connection."""
        with self._lock:
            held = list(self._held)
        return all(not _connected(connection) for connection in held)

    def _converse(self, handler):
        def reply(text):
            handler.wfile.write(f"{text}\r\n".encode())
            handler.wfile.flush()

        reply("220 fake.test ESMTP")
        recipients = []
        while True:
            line = handler.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                handler.wfile.write(b"250-fake.test\r\n250 8BITMIME\r\n")
                handler.wfile.flush()
            elif verb in ("HELO", "NOOP"):
                reply("250 OK")
            elif verb == "MAIL":
                recipients = []
                reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>").lower())
                reply("250 OK")
            elif verb == "RSET":
                recipients = []
                reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                while handler.rfile.readline() not in (b".\r\n", b""):
                    pass
                if not self._acknowledge(handler.connection):
                    return
                with self._lock:
                    self.accepted.update(recipients)
                reply("250 OK queued")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 Not implemented")

    def _acknowledge(self, connection) -> bool:
        """Wait while held; then True if the sender is still connected."""
        with self._lock:
            self._held.add(connection)
        try:
            while not self._open.wait(0.05):
                pass
        finally:
            with self._lock:
                self._held.discard(connection)
        alive = _connected(connection)
        if not alive:
            with self._lock:
                self.dropped += 1
        return alive


def _connected(connection: socket.socket) -> bool:
    """False once the peer has closed the connection (a read would return end of file)."""
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


class FakeHttpProvider:
    """A provider API: POST {"to", "subject", "body"}. The first `fail_first` requests answer
    500; recipients in `reject` answer 400; everything else 201 with an id."""

    def __init__(self, *, fail_first: int = 0, reject: frozenset[str] = frozenset()):
        self.fail_first = fail_first
        self.reject = reject
        self.requests = 0
        self.accepted: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, answer = outer._answer(payload)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/send"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, payload):
        with self._lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 500, {"error": "temporarily unavailable"}
            if payload.get("to") in self.reject:
                return 400, {"error": "bad recipient"}
            self.accepted[payload.get("to")] += 1
            return 201, {"id": f"fake-{next(self._ids)}"}


def wait_for(condition, *, timeout: float, interval: float = 0.2, message: str = ""):
    """Poll `condition` until it is truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or "timed out")
