"""Fault drills on private servers: a database restart under load, and two beat schedulers.

Run from the project root, one command per drill:

    .venv/bin/python -m bench.drill pg-restart
    .venv/bin/python -m bench.drill two-beats

Each drill starts its own PostgreSQL cluster (initdb under a temporary directory, run as the
`postgres` user when started as root, since initdb refuses root) and its own redis-server, both on
free loopback ports, migrates with manage.py and runs the app's real processes against them
through DATABASE_URL and REDIS_URL: gunicorn (pathway.wsgi), a Celery worker and beat
(`-A pathway`). The machine's shared PostgreSQL (5432) and Redis (6379) are never touched. Every
process started is stopped and the directory removed on exit (`--keep` keeps the logs).

pg-restart proves that a database restart is an outage only while the database is down. With
gunicorn, a worker and beat running and a batch of due emails queued through the outbox, two
probes request /health/ and the patient home page (/my/, signed in: session, user and patient
reads and a session write) every 50 ms while the private PostgreSQL is stopped, left down for
`--downtime` seconds and started again. It measures each page's outage (first non-2xx to the
first 2xx after it) and checks that no request started after the database was back failed, that
no app process was restarted, and that every queued email was sent exactly once: every row ends
`sent` and the console backend logged no send that is not recorded on a row. Rows left in
`sending` by the restart are released by the outbox sweep as beat runs it ten minutes later
(STUCK_AFTER); the drill runs that sweep with the clock ten minutes on rather than wait.

two-beats proves that a second beat scheduler (one left running by a deploy, say) neither sends a
reminder twice nor loses one. Patients are made due for appointment, questionnaire and annual
review reminders (email only, so SMS quiet hours cannot hold a row past the drill); then two
`celery beat` processes and one worker run for `--seconds`, with every beat job on a
`--interval` second schedule (bench.drill_settings), so both schedulers fire every planner and
the outbox sweep many times. It checks that each due reminder was planned once, every row was
claimed once and sent, and the console backend logged exactly one send per row. Planned rows are
due from 09:00 (reviews.reminders.SEND_FROM): before then the drill brings them forward to now.

Each drill prints its figures and a table of checks, and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PROBE_INTERVAL = 0.05
PROBE_TIMEOUT = 5
# A probe loop ends by itself after this long, whatever happens to the drill.
PROBE_LIMIT = 900
# A page must answer 2xx again this soon after the database accepts connections.
RECOVERY_LIMIT = 10
DEMO_PATIENT = "patient@demo.nhs.uk"
CONSOLE_SEND = re.compile(r"console (?:sms|email) message sent, \d+ characters, ref (\S+)")
TASK_DONE = re.compile(r"Task ([\w.]+)\[[\w-]+\] succeeded in ([\d.e-]+)s: (.*)$")
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}):")
TASK_FAILED = re.compile(r"Task ([\w.]+)\[[\w-]+\] raised unexpected: (.*)$")
BEAT_SENT = re.compile(r"Scheduler: Sending due task (\S+) \(([\w.]+)\)")
PLANNERS = [
    "reviews.tasks.plan_annual_review_invites",
    "reviews.tasks.plan_appointment_reminders",
    "reviews.tasks.plan_group_session_reminders",
    "reviews.tasks.plan_questionnaire_reminders",
    "reviews.tasks.plan_trial_review_reminders",
    "reviews.tasks.plan_diary_nudges",
]
SWEEP = "pathway.tasks.requeue_stuck_notifications"
DELIVER = "pathway.tasks.deliver_notification"


def log(message: str = "") -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], *, timeout: float, message: str, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError(message)


# Processes and private servers -----------------------------------------------------------------


class Process:
    """A child process in its own process group, logging to a file, stopped by its id."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logfile: Path):
        self.name = name
        self.logfile = logfile
        self._log = logfile.open("w")
        self.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log(f"  started {name} (pid {self.popen.pid})")

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def stop(self) -> None:
        """SIGTERM to the process group (a warm shutdown for Celery), SIGKILL after 30 s."""
        try:
            if self.running:
                os.killpg(self.popen.pid, signal.SIGTERM)
                try:
                    self.popen.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                    self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass  # the group ended between the check and the signal
        finally:
            self._log.close()


def _postgres_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free loopback port, owned by `postgres` when run as
    root. Started and stopped with pg_ctl, which waits until the server accepts connections."""

    def __init__(self, workdir: Path):
        self.bindir = _postgres_bindir()
        self.dir = workdir / "postgres"
        self.dir.mkdir()
        self.data = self.dir / "data"
        self.port = free_port()
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            shutil.chown(self.dir, self.owner, self.owner)
        self.url = f"postgres://postgres@{HOST}:{self.port}/pathway"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode:
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}")

    def create(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        self.start()
        self._run("createdb", "-h", HOST, "-p", str(self.port), "-U", "postgres", "pathway")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST}"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        """Stop the server if it runs: fast, or immediate if that fails."""
        for mode in ("fast", "immediate"):
            if not (self.data / "postmaster.pid").exists():
                return
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop(mode)


class PrivateRedis:
    """A redis-server on a free loopback port that keeps nothing on disk."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process = Process(
            "redis-server",
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", str(workdir)],
            env,
            workdir / "redis.log",
        )  # fmt: skip
        wait_for(self._answers, timeout=10, message="redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Stack:
    """The private servers, the app's environment and every process started on them."""

    def __init__(self, *, keep: bool, settings: str = "pathway.settings"):
        self.keep = keep
        self.settings = settings
        self.dir = Path(tempfile.mkdtemp(prefix="pathway-drill-"))
        self.dir.chmod(0o711)  # the postgres user must reach its own subdirectory
        self.processes: list[Process] = []
        self.postgres: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.web_port = free_port()
        self.env: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.web_port}"

    def __enter__(self) -> Stack:
        try:
            return self._start()
        except BaseException:
            self.__exit__()
            raise

    def _start(self) -> Stack:
        log(f"Private servers under {self.dir}")
        self.postgres = PrivatePostgres(self.dir)
        self.postgres.create()
        log(f"  started PostgreSQL on {HOST}:{self.postgres.port}")
        self.redis = PrivateRedis(self.dir, dict(os.environ))
        log(f"  Redis on {HOST}:{self.redis.port}")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "VAR_DIR": str(self.dir / "var"),
            "SECRET_KEY": secrets.token_urlsafe(64),
            "HTTPS": "0",
            "DEBUG": "0",
            "REQUIRE_STAFF_MFA": "0",
            "ALLOWED_HOSTS": HOST,
            "ROOT_URLCONF": "pathway.urls",
            "SITE_URL": self.base_url,
            "NOTIFY_SMS_BACKEND": "console",
            "NOTIFY_EMAIL_BACKEND": "console",
            "LOG_LEVEL": "INFO",
        }
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                process.stop()
                log(f"  stopped {process.name} (pid {process.popen.pid})")
        if self.redis is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.redis.process.stop()
        if self.postgres is not None:
            self.postgres.destroy()
        log("  stopped the private PostgreSQL and Redis")
        if self.keep:
            log(f"  logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )

    def spawn(self, name: str, command: list[str], **extra_env: str) -> Process:
        process = Process(name, command, {**self.env, **extra_env}, self.dir / f"{name}.log")
        self.processes.append(process)
        return process

    def gunicorn(self, workers: int = 2) -> Process:
        process = self.spawn(
            "gunicorn",
            [str(BIN / "gunicorn"), "pathway.wsgi", "--bind", f"{HOST}:{self.web_port}",
             "--workers", str(workers), "--timeout", "30",
             "--log-level", "info"],
        )  # fmt: skip
        wait_for(
            lambda: fetch(self.base_url + "/account/login/")[0] == 200,
            timeout=60,
            message=f"gunicorn did not answer:\n{process.text()[-2000:]}",
        )
        return process

    def worker(self, name: str = "worker", concurrency: int = 4) -> Process:
        process = self.spawn(
            name,
            [str(BIN / "celery"), "-A", "pathway", "worker", f"--concurrency={concurrency}",
             "--pool=prefork", "--without-gossip", "--without-mingle", "--loglevel=INFO",
             "-n", f"drill-{name}-{os.getpid()}@%h"],
        )  # fmt: skip
        wait_for(
            lambda: " ready." in process.text() or not process.running,
            timeout=60,
            message=f"{name} did not start",
        )
        if not process.running:
            raise RuntimeError(f"{name} stopped:\n{process.text()[-3000:]}")
        return process

    def beat(self, name: str = "beat", **extra_env: str) -> Process:
        return self.spawn(
            name,
            [str(BIN / "celery"), "-A", "pathway", "beat", "--loglevel=INFO",
             "-s", str(self.dir / f"{name}-schedule"), "--pidfile", str(self.dir / f"{name}.pid")],
            **extra_env,
        )  # fmt: skip

    def broker_idle(self) -> bool:
        """Whether no task is waiting on the private Redis or taken but not yet acknowledged
        (kombu's Redis transport keeps those in the `unacked` hash)."""
        import redis

        client = redis.Redis.from_url(self.redis.url)
        return client.llen("celery") == 0 and client.hlen("unacked") == 0

    def setup_django(self) -> None:
        """Point this process at the private servers too (seeding, counting rows, on-commit
        enqueues through the app's Celery app)."""
        os.environ.update(self.env)
        import django

        django.setup()


def fetch(url: str, cookie: str = "") -> tuple[int, str]:
    """One GET without following redirects: (status, detail). Status 0 when nothing answered,
    with the error's name as detail; for a JSON error answer (/health/) the parts not "ok"."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=PROBE_TIMEOUT) as reply:
            reply.read()
            return reply.status, ""
    except urllib.error.HTTPError as error:
        return error.code, _json_detail(error)
    except (OSError, urllib.error.URLError) as error:
        return 0, error.__class__.__name__


def _json_detail(error: urllib.error.HTTPError) -> str:
    if "json" not in error.headers.get("Content-Type", ""):
        return ""
    try:
        body = json.loads(error.read())
    except ValueError:
        return ""
    return ", ".join(f"{k} {v}" for k, v in body.items() if k != "status" and v != "ok")


def db_retry(query: Callable[[], object], timeout: float = 30):
    """Run an ORM query, reconnecting while the database is coming back."""
    from django.db import Error, connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            return query()
        except Error:
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# Checks and figures ----------------------------------------------------------------------------


@dataclass
class Checks:
    rows: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.rows.append((name, bool(ok), detail))

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.rows)

    def print(self) -> None:
        log("\nChecks")
        width = max(len(name) for name, _, _ in self.rows)
        for name, ok, detail in self.rows:
            log(f"  {'PASS' if ok else 'FAIL'}  {name:<{width}}  {detail}")
        log(f"\n{'All checks passed' if self.passed else 'SOME CHECKS FAILED'}")


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header, *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    log(f"\n{title}")
    for n, row in enumerate(cells):
        log("  " + "  ".join(value.rjust(widths[i]) for i, value in enumerate(row)))
        if n == 0:
            log("  " + "  ".join("-" * width for width in widths))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def console_sends(worker: Process) -> Counter[str]:
    """Sends the console backend logged, by provider reference (one fresh reference a send)."""
    return Counter(CONSOLE_SEND.findall(worker.text()))


def task_results(worker: Process) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return values of succeeded tasks and errors of failed ones, by task name."""
    done: dict[str, list[str]] = {}
    failed: dict[str, list[str]] = {}
    for line in worker.text().splitlines():
        if match := TASK_DONE.search(line):
            done.setdefault(match[1], []).append(match[3].strip().strip("'"))
        elif match := TASK_FAILED.search(line):
            failed.setdefault(match[1], []).append(match[2].strip())
    return done, failed


def overlapping_runs(worker: Process, task: str) -> int:
    """How many runs of `task` overlapped another run of it (end time from the log line, start
    time from the run's duration)."""
    runs = []
    for line in worker.text().splitlines():
        done, stamp = TASK_DONE.search(line), LOG_TIME.search(line)
        if done and stamp and done[1] == task:
            end = datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            runs.append((end - float(done[2]), end))
    return sum(
        1
        for i, (start, end) in enumerate(runs)
        if any(s < end and start < e for j, (s, e) in enumerate(runs) if j != i)
    )


def row_statuses(rows) -> dict[str, int]:
    from django.db.models import Count

    return dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def recorded_references() -> set[str]:
    from pathway.models import Notification

    return set(
        Notification.objects.filter(status="sent").values_list("provider_reference", flat=True)
    )


# pg-restart ------------------------------------------------------------------------------------


@dataclass
class Probe:
    path: str
    started: float
    seconds: float
    status: int
    detail: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Prober:
    """Requests each page in its own thread every PROBE_INTERVAL and keeps every answer."""

    def __init__(self, base_url: str, pages: dict[str, str]):
        self.base_url = base_url
        self.pages = pages  # path -> cookie
        self.probes: list[Probe] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(path, cookie), daemon=True)
            for path, cookie in pages.items()
        ]

    def __enter__(self) -> Prober:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=PROBE_TIMEOUT + 1)

    def _loop(self, path: str, cookie: str) -> None:
        deadline = time.monotonic() + PROBE_LIMIT
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            status, detail = fetch(self.base_url + path, cookie)
            probe = Probe(path, started, time.monotonic() - started, status, detail)
            with self._lock:
                self.probes.append(probe)
            self._stop.wait(max(0.0, PROBE_INTERVAL - probe.seconds))

    def snapshot(self, path: str) -> list[Probe]:
        with self._lock:
            return sorted((p for p in self.probes if p.path == path), key=lambda p: p.started)


@dataclass
class PageOutage:
    path: str
    requests: int
    failed: int
    server_errors: int
    no_answer: int
    outage_seconds: float | None
    back_after_db_seconds: float | None
    failed_after_db_back: int
    later_outage_seconds: float
    reasons_after_db_back: str
    statuses: str


def failing_stretches(probes: list[Probe]) -> list[tuple[float, float | None]]:
    """Runs of consecutive non-2xx answers: (first failure's start, next 2xx's start or None)."""
    stretches, start = [], None
    for probe in probes:
        if not probe.ok and start is None:
            start = probe.started
        elif probe.ok and start is not None:
            stretches.append((start, probe.started))
            start = None
    if start is not None:
        stretches.append((start, None))
    return stretches


def page_outage(probes: list[Probe], *, db_up: float) -> PageOutage:
    """One page's figures. The outage runs from its first non-2xx to the first 2xx after it;
    failing stretches that start after the database is back are counted on their own."""
    failures = [p for p in probes if not p.ok]
    stretches = failing_stretches(probes)
    first = stretches[0] if stretches else None
    later = [(start, end) for start, end in stretches[1:] if start >= db_up]
    end_of_run = probes[-1].started if probes else 0.0
    back = next((p for p in probes if p.ok and p.started >= db_up), None)
    after = [p for p in failures if p.started >= db_up]
    return PageOutage(
        path=probes[0].path if probes else "",
        requests=len(probes),
        failed=len(failures),
        server_errors=sum(1 for p in failures if p.status >= 500),
        no_answer=sum(1 for p in failures if p.status == 0),
        outage_seconds=(first[1] - first[0]) if first and first[1] else None,
        back_after_db_seconds=(back.started + back.seconds - db_up) if back else None,
        failed_after_db_back=len(after),
        later_outage_seconds=sum((end or end_of_run) - start for start, end in later),
        reasons_after_db_back=_counts(f"{p.status} {p.detail}".strip() for p in after),
        statuses=_counts(str(p.status or "no answer") for p in probes),
    )


def _counts(values) -> str:
    return ", ".join(f"{value} x{n}" for value, n in sorted(Counter(values).items())) or "none"


def patient_session_cookie() -> str:
    """A signed-in session for the demo patient, written straight to the session table."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from pathway.models import User

    user = User.objects.get(email=DEMO_PATIENT)
    store = SessionStore()
    store.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    store.set_expiry(6 * 3600)
    store.create()
    return f"sessionid={store.session_key}"


def queue_batch(count: int, prefix: str) -> None:
    """`count` due emails through the outbox in one transaction: delivery is enqueued on commit."""
    from django.db import transaction

    from pathway.models import Patient
    from pathway.notifications.outbox import queue_notification
    from reviews import messaging

    patients = list(Patient.objects.filter(email_consent=True).exclude(email="").order_by("id"))
    context = messaging.patient_context("/diary/")
    with transaction.atomic():
        for n in range(count):
            queue_notification(
                channel="email",
                kind="diary_nudge",
                template="reviews-diary-nudge",
                idempotency_key=f"{prefix}:{n}",
                patient=patients[n % len(patients)],
                context=context,
            )


def restart_database(stack: Stack, downtime: float) -> tuple[float, float]:
    """Stop the private PostgreSQL (fast: sessions are cut), wait, start it. Returns the
    monotonic times at which the stop began and the server accepted connections again."""
    from django.db import connection

    connection.close()
    down = time.monotonic()
    stack.postgres.stop()
    log(f"  PostgreSQL stopped; starting it again in {downtime:g} s")
    time.sleep(downtime)
    stack.postgres.start()
    up = time.monotonic()
    log(f"  PostgreSQL accepting connections again after {up - down:.2f} s")
    return down, up


@dataclass
class OutboxResult:
    queued: int
    at_stop: dict[str, int]
    after_drain: dict[str, int]
    drain_seconds: float | None
    final: dict[str, int] = field(default_factory=dict)
    keys: int = 0
    sends: int = 0
    unrecorded: int = 0
    failed_tasks: int = 0


def start_app(stack: Stack) -> tuple[list[Process], str]:
    """gunicorn, a worker and beat on the private servers, up and healthy; returns them and a
    signed-in patient's session cookie."""
    cookie = patient_session_cookie()
    log("Starting the app")
    processes = [stack.gunicorn(), stack.worker(), stack.beat()]
    wait_for(
        lambda: fetch(stack.base_url + "/health/")[0] == 200,
        timeout=60,
        message="/health/ did not answer 200 (database, broker and worker up)",
    )
    status, _ = fetch(stack.base_url + "/my/", cookie)
    if status != 200:
        raise RuntimeError(f"/my/ answered {status} for the signed-in patient, not 200")
    return processes, cookie


def wait_for_pages(prober: Prober, since: float) -> None:
    wait_for(
        lambda: all(
            any(p.ok and p.started >= since for p in prober.snapshot(path)) for path in prober.pages
        ),
        timeout=60,
        message="a page did not answer 2xx again after the restart",
    )


def settle_outbox(rows, *, since: float, timeout: float) -> tuple[dict[str, int], float | None]:
    """Wait for beat's sweep to re-queue rows whose delivery failed while the database was down,
    then release rows a cut-off worker left in `sending` by running the sweep as beat will once
    STUCK_AFTER has passed. Returns the statuses before that and how long after `since` no row
    was left queued."""
    from django.utils import timezone

    from pathway.notifications import outbox

    log("Waiting for the outbox to drain (beat's sweep re-queues rows every 120 s)")
    drained = _wait(
        lambda: not db_retry(lambda: rows.filter(status="queued").exists()), timeout=timeout
    )
    drain_seconds = time.monotonic() - since if drained else None
    after_drain = db_retry(lambda: row_statuses(rows))
    stuck = after_drain.get("sending", 0)
    if stuck:
        log(f"  {stuck} rows still in `sending`: sweeping as beat will in ten minutes")
        later = timezone.now() + outbox.STUCK_AFTER + timedelta(seconds=1)
        log(f"  the sweep handed {outbox.requeue_stuck(now=later)} rows to the broker")
    total = rows.count()
    _wait(lambda: rows.filter(status="sent").count() == total, timeout=60)
    return after_drain, drain_seconds


def tally_sends(result: OutboxResult, rows, worker: Process) -> None:
    """Console sends of the batch's rows, and sends recorded on no row at all (a row sent again
    after its first send was not recorded)."""
    sends = console_sends(worker)
    mine = set(rows.filter(status="sent").values_list("provider_reference", flat=True))
    anywhere = recorded_references()
    result.sends = sum(n for ref, n in sends.items() if ref in mine)
    result.unrecorded = sum(n for ref, n in sends.items() if ref not in anywhere)
    result.final = row_statuses(rows)
    result.keys = rows.values("idempotency_key").distinct().count()
    _, failed = task_results(worker)
    result.failed_tasks = len(failed.get(DELIVER, []))


def drill_pg_restart(args) -> bool:
    prefix = f"drill-pg-restart:{os.getpid()}"
    with Stack(keep=args.keep) as stack:
        log("Migrating and loading the demo data")
        stack.manage("migrate", "--noinput")
        stack.manage("seed_demo")
        stack.setup_django()
        from pathway.models import Notification

        (web, worker, beat), cookie = start_app(stack)
        rows = Notification.objects.filter(idempotency_key__startswith=prefix)
        with Prober(stack.base_url, {"/health/": "", "/my/": cookie}) as prober:
            time.sleep(2)
            log(f"Queueing {args.notifications} due emails through the outbox")
            queue_batch(args.notifications, prefix)
            wait_for(
                lambda: rows.filter(status="sent").count() >= args.notifications * 0.2,
                timeout=120,
                interval=0.05,
                message=f"the worker is not sending: {row_statuses(rows)}",
            )
            at_stop = row_statuses(rows)
            log(f"Restarting PostgreSQL mid-delivery (rows then: {_fmt_statuses(at_stop)})")
            down, up = restart_database(stack, args.downtime)
            wait_for_pages(prober, up)
            after_drain, drain_seconds = settle_outbox(rows, since=up, timeout=args.drain_timeout)
            time.sleep(1)
        alive = all(p.running for p in (web, worker, beat))
        boots = web.text().count("Booting worker")
        worker.stop()
        outbox = OutboxResult(args.notifications, at_stop, after_drain, drain_seconds)
        tally_sends(outbox, rows, worker)
        pages = [page_outage(prober.snapshot(path), db_up=up) for path in prober.pages]
    log(f"\nDatabase down (stop began to accepting connections again): {up - down:.2f} s")
    report_pg_restart(pages, outbox)
    checks = pg_restart_checks(pages, outbox, alive=alive, boots=boots)
    checks.print()
    return checks.passed


def report_pg_restart(pages: list[PageOutage], outbox: OutboxResult) -> None:
    print_table(
        "Pages probed every 50 ms",
        ["path", "requests", "non-2xx", "5xx", "no answer", "outage s", "2xx again s after db",
         "non-2xx after db back", "statuses"],
        [[p.path, p.requests, p.failed, p.server_errors, p.no_answer, p.outage_seconds,
          p.back_after_db_seconds, p.failed_after_db_back, p.statuses] for p in pages],
    )  # fmt: skip
    for page in pages:
        if page.failed_after_db_back:
            log(
                f"  {page.path} after the database was back: {page.reasons_after_db_back}, "
                f"failing for {page.later_outage_seconds:.2f} s in all"
            )
    print_table(
        "Outbox batch",
        ["queued", "at the stop", "deliveries failed", "queued rows gone s after db",
         "left sending", "sent", "failed", "distinct keys", "console sends", "sends not on a row"],
        [[outbox.queued, _fmt_statuses(outbox.at_stop), outbox.failed_tasks,
          outbox.drain_seconds, outbox.after_drain.get("sending", 0),
          outbox.final.get("sent", 0), outbox.final.get("failed", 0), outbox.keys, outbox.sends,
          outbox.unrecorded]],
    )  # fmt: skip


def pg_restart_checks(pages: list[PageOutage], outbox: OutboxResult, *, alive, boots) -> Checks:
    checks = Checks()
    for page in pages:
        checks.add(
            f"{page.path}: no non-2xx after the database was back",
            page.failed_after_db_back == 0,
            f"{page.failed_after_db_back} of {page.requests}",
        )
        checks.add(
            f"{page.path}: 2xx again within {RECOVERY_LIMIT} s of the database",
            page.back_after_db_seconds is not None and page.back_after_db_seconds <= RECOVERY_LIMIT,
            f"{_cell(page.back_after_db_seconds)} s",
        )
    checks.add(
        "no app process restarted",
        alive and boots == 2,
        f"all running: {alive}, gunicorn workers booted: {boots}",
    )
    checks.add(
        "the restart hit the batch mid-delivery",
        outbox.at_stop.get("sent", 0) < outbox.queued,
        _fmt_statuses(outbox.at_stop),
    )
    checks.add(
        "beat's sweep re-queued every failed delivery",
        outbox.drain_seconds is not None,
        f"after {_cell(outbox.drain_seconds)} s",
    )
    sent = outbox.final.get("sent", 0)
    checks.add("every email sent", sent == outbox.queued, f"{sent} of {outbox.queued}")
    checks.add("one row per idempotency key", outbox.keys == outbox.queued, f"{outbox.keys} keys")
    checks.add(
        "one console send per row (no duplicate)",
        outbox.sends == sent and outbox.unrecorded == 0,
        f"{outbox.sends} sends on rows, {outbox.unrecorded} sends on no row",
    )
    return checks


def _wait(predicate: Callable[[], bool], *, timeout: float) -> bool:
    try:
        wait_for(predicate, timeout=timeout, message="", interval=0.5)
    except RuntimeError:
        return False
    return True


def _fmt_statuses(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(statuses.items())) or "none"


# two-beats -------------------------------------------------------------------------------------


def seed_due_reminders(count: int) -> int:
    """`count` email-only patients, each due for one reminder: appointment tomorrow, a
    questionnaire sent three days ago, or an annual review in ten days. Returns how many rows
    the planners should create."""
    from datetime import datetime
    from datetime import time as dt_time

    from django.db import transaction
    from django.utils import timezone

    from pathway.demo import synthetic_nhs_numbers
    from pathway.models import Episode, Membership, Milestone, Organisation, Patient, User
    from reviews.models import Appointment, QuestionnaireRequest
    from reviews.services.outcomes import due_moment

    now = timezone.now()
    today = timezone.localdate()
    noon_tomorrow = datetime.combine(
        today + timedelta(days=1), dt_time(12), tzinfo=timezone.get_current_timezone()
    )
    with transaction.atomic():
        icb = Organisation.objects.create(kind="icb", ods_code="QDRL", name="Drill ICB")
        pcn = Organisation.objects.create(
            kind="pcn", ods_code="UDRL1", name="Drill PCN", parent=icb
        )
        practice = Organisation.objects.create(
            kind="practice", ods_code="YDRL1", name="Drill Practice", parent=pcn
        )
        clinician = User.objects.create_user(
            "clinician@drill.test",
            secrets.token_urlsafe(16),
            full_name="Drill Clinician",
            role="clinician",
            discipline="nurse",
        )
        Membership.objects.create(user=clinician, organisation=pcn)
        patients = Patient.objects.bulk_create(
            Patient(
                nhs_number=number,
                given_name="Drill",
                family_name=f"Patient{n}",
                date_of_birth="1980-01-01",
                registered_practice=practice,
                email=f"patient{n}@drill.test",
                email_consent=True,
                consent_recorded_at=now,
            )
            for n, number in enumerate(synthetic_nhs_numbers(count, start=999_500_000))
        )
        episodes = Episode.objects.bulk_create(
            Episode(
                patient=patient,
                condition="headache",
                status="active",
                priority="routine",
                opened_at=now - timedelta(days=60),
                responsible_clinician=clinician,
            )
            for patient in patients
        )
        third = count // 3
        Appointment.objects.bulk_create(
            Appointment(
                patient=episode.patient,
                episode=episode,
                clinician=clinician,
                kind="follow_up",
                start=noon_tomorrow + timedelta(minutes=n),
                duration_minutes=20,
                modality="phone",
            )
            for n, episode in enumerate(episodes[:third])
        )
        QuestionnaireRequest.objects.bulk_create(
            QuestionnaireRequest(
                patient=episode.patient,
                instrument="PHQ-9",
                requested_by=clinician,
                requested_at=now - timedelta(days=3),
                due=today + timedelta(days=4),
            )
            for episode in episodes[third : 2 * third]
        )
        Milestone.objects.bulk_create(
            Milestone(
                episode=episode,
                kind="annual_review_due",
                occurred_at=due_moment(today + timedelta(days=10)),
            )
            for episode in episodes[2 * third :]
        )
    return count


def bring_forward() -> int:
    """Make queued rows planned for later today (09:00) due now, as the clock would."""
    from django.utils import timezone

    from pathway.models import Notification

    now = timezone.now()
    return Notification.objects.filter(status="queued", scheduled_for__gt=now).update(
        scheduled_for=now
    )


def beat_fires(beat: Process) -> Counter[str]:
    return Counter(task for _, task in BEAT_SENT.findall(beat.text()))


@dataclass
class BeatsResult:
    expected: int
    brought_forward: int
    statuses: dict[str, int] = field(default_factory=dict)
    planned: int = 0
    keys: int = 0
    claimed_again: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    idle: bool = False
    fires: list[Counter[str]] = field(default_factory=list)
    done: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    overlaps: dict[str, int] = field(default_factory=dict)
    sends: int = 0
    unrecorded: int = 0

    def created(self, task: str) -> int:
        return sum(int(v) for v in self.done.get(task, []) if v.isdigit())

    def runs(self, task: str) -> int:
        return len(self.done.get(task, [])) + len(self.failed.get(task, []))


def run_beats(stack: Stack, *, seconds: float, interval: int) -> tuple[Process, list[Process], int]:
    """One worker and two beats for `seconds`; then the beats stop. Returns the processes and how
    many rows were brought forward to now meanwhile."""
    log(f"Starting one worker and two beat schedulers (every job every {interval} s)")
    worker = stack.worker()
    beats = [stack.beat(f"beat-{name}", DRILL_BEAT_SECONDS=str(interval)) for name in "ab"]
    brought = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        brought += bring_forward()
        time.sleep(0.5)
    for beat in beats:
        beat.stop()
    log("Beats stopped; waiting for the worker to finish every job they sent")
    return worker, beats, brought + bring_forward()


def collect_beats(result: BeatsResult, stack: Stack, worker: Process, beats: list[Process]):
    from pathway.models import Notification

    rows = Notification.objects.all()
    _wait(lambda: not rows.exclude(status="sent").exists(), timeout=120)
    result.idle = _wait(stack.broker_idle, timeout=180)
    result.statuses = row_statuses(rows)
    result.planned = rows.count()
    result.keys = rows.values("idempotency_key").distinct().count()
    result.claimed_again = rows.filter(attempts__gt=1).count()
    result.by_kind = dict(Counter(rows.values_list("kind", flat=True)))
    references = recorded_references()
    worker.stop()
    sends = console_sends(worker)
    result.sends = sum(sends.values())
    result.unrecorded = sum(n for ref, n in sends.items() if ref not in references)
    result.done, result.failed = task_results(worker)
    result.overlaps = {task: overlapping_runs(worker, task) for task in PLANNERS}
    result.fires = [beat_fires(beat) for beat in beats]


def drill_two_beats(args) -> bool:
    with Stack(keep=args.keep, settings="bench.drill_settings") as stack:
        log("Migrating")
        stack.manage("migrate", "--noinput")
        stack.setup_django()
        expected = seed_due_reminders(args.patients)
        log(f"  {args.patients} patients due for one email reminder each")
        worker, beats, brought = run_beats(stack, seconds=args.seconds, interval=args.interval)
        result = BeatsResult(expected, brought)
        collect_beats(result, stack, worker, beats)
    report_two_beats(result)
    checks = two_beats_checks(result)
    checks.print()
    return checks.passed


def report_two_beats(result: BeatsResult) -> None:
    tasks = [*PLANNERS, SWEEP]
    print_table(
        "Beat jobs sent by each scheduler, and what the worker made of them",
        ["task", "beat a", "beat b", "runs ok", "runs failed", "runs overlapping another",
         "rows created"],
        [[task.rsplit(".", 1)[-1], result.fires[0][task], result.fires[1][task],
          len(result.done.get(task, [])), len(result.failed.get(task, [])),
          result.overlaps.get(task), result.created(task) if task in PLANNERS else None]
         for task in tasks],
    )  # fmt: skip
    delivered = Counter(result.done.get(DELIVER, []))
    others = {k: v for k, v in result.statuses.items() if k != "sent"}
    print_table(
        "Reminders",
        ["due", "planned rows", "distinct keys", "sent", "other statuses", "claimed twice",
         "deliver tasks", "sent by them", "skipped (claimed already)", "sweep hand-offs",
         "console sends", "sends not on a row", "brought forward"],
        [[result.expected, result.planned, result.keys, result.statuses.get("sent", 0),
          _fmt_statuses(others), result.claimed_again, sum(delivered.values()),
          delivered["sent"], delivered["skipped"], result.created(SWEEP), result.sends,
          result.unrecorded, result.brought_forward]],
    )  # fmt: skip
    log(f"\nRows by kind: {result.by_kind}")
    for task, errors in result.failed.items():
        log(f"  {task} raised {len(errors)} times, e.g. {errors[0][:300]}")


def two_beats_checks(result: BeatsResult) -> Checks:
    checks = Checks()
    tasks = [*PLANNERS, SWEEP]
    fewest = min(fires[task] for fires in result.fires for task in tasks)
    checks.add(
        "both beats fired every planner and the sweep twice or more",
        fewest >= 2,
        f"fewest fires of one job by one beat: {fewest}",
    )
    unrun = sum(sum(fires[task] for fires in result.fires) - result.runs(task) for task in tasks)
    checks.add(
        "the worker ran every job the beats sent", result.idle and unrun == 0, f"{unrun} not run"
    )
    planned, created = result.planned, sum(result.created(task) for task in PLANNERS)
    checks.add("each due reminder planned once", planned == result.expected,
               f"{planned} rows for {result.expected} due")  # fmt: skip
    checks.add("planner runs created each row once", created == planned, f"{created} created")
    checks.add("one row per idempotency key", result.keys == planned, f"{result.keys} keys")
    sent = result.statuses.get("sent", 0)
    checks.add("none lost: every row sent", sent == planned, _fmt_statuses(result.statuses))
    checks.add("every row claimed once", result.claimed_again == 0, f"{result.claimed_again} again")
    checks.add(
        "one console send per row, none twice",
        result.sends == planned and result.unrecorded == 0,
        f"{result.sends} sends, {result.unrecorded} not on a row",
    )
    return checks


# Entry point -----------------------------------------------------------------------------------


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--keep", action="store_true", help="Keep the logs and data directory.")
    sub = parser.add_subparsers(dest="drill", required=True)
    restart = sub.add_parser("pg-restart", parents=[common], help="Restart PostgreSQL under load.")
    restart.add_argument("--notifications", type=int, default=3000)
    restart.add_argument(
        "--downtime", type=float, default=5, help="Seconds between stop and start."
    )
    restart.add_argument(
        "--drain-timeout",
        type=float,
        default=200,
        help="Seconds to wait for beat's sweep to re-queue rows whose task failed.",
    )
    beats = sub.add_parser("two-beats", parents=[common], help="Two beat schedulers at once.")
    beats.add_argument("--patients", type=int, default=600)
    beats.add_argument("--seconds", type=float, default=40, help="How long both beats run.")
    beats.add_argument("--interval", type=int, default=4, help="Seconds between beat jobs.")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    drill = drill_pg_restart if args.drill == "pg-restart" else drill_two_beats
    return 0 if drill(args) else 1


if __name__ == "__main__":
    sys.exit(main())
