"""The orchestrator behind `bench/run` (DESIGN.md section 9, issue 7).

In one run, on PostgreSQL and Redis, against the load data set (made by `seed_load` if missing):

1. the app's key requests under 16 concurrent connections (wrk on loopback, gunicorn as
   gunicorn.conf.py sets it: two workers of one thread), each beside its floor: a bare Django
   view on the same server doing the same insert or read (bench.floor), the dashboard's figures
   as hand-written SQL (bench.dashboard_sql), and the page's own SELECTs replayed through a raw
   cursor. The two budgets set as ratios (diary save, Today page) are judged on short runs of
   the request and its floor taking turns, so that a slow stretch of the machine does not fall
   on one side only;
2. the worker: every reminder planner over all patients (twice: the second run must create
   nothing), outbox delivery through the console backend by a real Celery worker, and the
   leaflet PDF render against bare WeasyPrint on the same HTML;
3. a table of p50 / p95 / throughput with each ratio to its floor, and bench/results/latest.json
   with one entry per budget: {"name", "value", "unit", "limit", "met"}.

Everything the run adds to the database (sessions, diary days saved, audit rows, notifications,
PDF documents, floor rows) is removed at the end, and each run starts with VACUUM (ANALYZE), so
runs stay comparable whether or not the server runs autovacuum. Processes it starts
(gunicorn, the Celery worker) run in their own process groups and are stopped by id.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REQUESTS = RESULTS / "requests"
LUA = ROOT / "bench" / "load.lua"
BIN = Path(sys.executable).parent
HOST, PORT = "127.0.0.1", 8100
BASE = f"http://{HOST}:{PORT}"
CSRF = "benchcsrfbenchcsrfbenchcsrfbench"
SESSION_PREFIX = "bench"
# The longest measured run, in seconds, however slow the request.
SLOW_RUN_LIMIT = 90
# The ratio budgets: pairs of runs of the app request and its floor in turn, seconds each.
PAIRED_ROUNDS = 4
PAIRED_SECONDS = 4
ONE_TAP_BODY = "action=headache_free&next="
FULL_FORM_BODY = "&".join(
    [
        "headache=yes",
        "episode-TOTAL_FORMS=1",
        "episode-INITIAL_FORMS=0",
        "episode-MIN_NUM_FORMS=0",
        "episode-MAX_NUM_FORMS=10",
        "episode-0-severity=moderate",
        "episode-0-start_time=00%3A00",
        "episode-0-duration=4_to_12h",
        "episode-0-features=unilateral",
        "episode-0-features=pulsating",
        "episode-0-features=photophobia",
        "episode-0-medicine_1=ibuprofen",
        "episode-0-doses_1=1",
        "sleep=fair",
        "mood=okay",
        "next=",
    ]
)


def log(message: str) -> None:
    print(message, flush=True)


# Results ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One wrk run."""

    name: str
    path: str
    connections: int
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    socket_errors: int = 0
    timeouts: int = 0
    status_2xx: int = 0
    status_3xx: int = 0
    status_4xx: int = 0
    status_5xx: int = 0
    expected: str = "2xx"

    @property
    def unexpected(self) -> int:
        good = self.status_3xx if self.expected == "3xx" else self.status_2xx
        return self.requests - good


@dataclass
class Row:
    """An app request beside its floors."""

    label: str
    app: Run
    floor: Run | None = None
    db_floor: Run | None = None
    queries: int | None = None
    # (app req/s, floor req/s) of short runs taking turns with each other (`alternate`).
    pairs: list[tuple[float, float]] = field(default_factory=list)

    # Ratios compare throughput at the same concurrency: the floor's requests per second over
    # the app's, i.e. the app's time per request over the floor's. Unlike a ratio of latency
    # percentiles this stays right for requests slower than the run is long (wrk only times
    # requests that finish, so their percentiles are biased low).

    @property
    def ratio(self) -> float | None:
        return _ratio(self.app, self.floor)

    @property
    def db_ratio(self) -> float | None:
        return _ratio(self.app, self.db_floor)

    @property
    def paired_ratio(self) -> float | None:
        """The median of the floor's req/s over the app's in each pair of alternating runs:
        a stretch of the machine running slow or fast touches both runs of a pair alike."""
        ratios = [floor / app for app, floor in self.pairs if app and floor]
        return statistics.median(ratios) if ratios else None


def _ratio(app: Run, floor: Run | None) -> float | None:
    if floor is None or not floor.rps or not app.rps:
        return None
    return floor.rps / app.rps


@dataclass
class Report:
    started: str = ""
    environment: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    dashboard_check: dict = field(default_factory=dict)
    snapshots: dict = field(default_factory=dict)
    worklists: dict = field(default_factory=dict)
    planning: dict = field(default_factory=dict)
    delivery: dict = field(default_factory=dict)
    pdf: dict = field(default_factory=dict)
    budgets: list[dict] = field(default_factory=list)


# Processes -------------------------------------------------------------------------------------


class Process:
    """A child process in its own process group, stopped by its id."""

    def __init__(self, name: str, command: list[str], logfile: Path):
        self.name = name
        self.logfile = logfile.open("w")
        self.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log(f"  started {name} (pid {self.popen.pid})")

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.logfile.close()
        log(f"  stopped {self.name} (pid {self.popen.pid})")


def _get(path: str, *, session: str = "", method: str = "GET", body: str | None = None):
    """One request without following redirects: (status, location, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    headers = {"Cookie": f"csrftoken={CSRF}" + (f"; sessionid={session}" if session else "")}
    data = None
    if method == "POST":
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": CSRF})
        data = (body or "").encode()
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, "", response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")


def wait_until_up(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get("/bench-floor/read/?patient=1")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("gunicorn did not answer within a minute; see bench/results/gunicorn.log")


def wait_until_idle(timeout: float = 120) -> None:
    """Wait for requests left queued by a slow run to drain (workers finish them even
    after wrk has hung up), so they do not slow the next run."""
    deadline = time.monotonic() + timeout
    quick = 0
    while time.monotonic() < deadline and quick < 3:
        started = time.monotonic()
        _get("/bench-floor/read/?patient=1")
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.1)


# Fixtures: sessions and request files ----------------------------------------------------------


def _sessions(users, copies: int = 1) -> dict[int, list[str]]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    # As signing in leaves a session: idle for SESSION_COOKIE_AGE, it ends; in use, the app
    # slides it forward (SessionRefreshMiddleware), writing the new expiry once a minute.
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows, keys = [], {}
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        for _ in range(copies):
            key = SESSION_PREFIX + get_random_string(27, "abcdefghijklmnopqrstuvwxyz0123456789")
            rows.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expires)
            )
            keys.setdefault(user.pk, []).append(key)
    Session.objects.bulk_create(rows, batch_size=1000)
    return keys


@dataclass
class Fixtures:
    files: dict[str, Path]
    samples: dict[str, tuple[str, str]]  # name -> (session, path) of a line not used by wrk
    patients: int
    clinicians: int


def _write(name: str, lines: list[tuple[str, str]]) -> Path:
    REQUESTS.mkdir(parents=True, exist_ok=True)
    path = REQUESTS / f"{name}.txt"
    path.write_text("".join(f"{key}\t{url}\n" for key, url in lines))
    return path


def prepare(*, patient_count: int, seed: int = 7) -> Fixtures:
    from django.utils import timezone

    from bench import loaddata
    from diaries.models import DiaryEntry
    from pathway.models import Patient, User
    from pathway.permissions import practice_ids_for

    rng = random.Random(seed)
    today = timezone.localdate()
    domain = f"@{loaddata.EMAIL_DOMAIN}"
    patients = list(
        Patient.objects.filter(user__isnull=False, user__email__endswith=domain)
        .select_related("user")
        .order_by("id")
    )
    patients = sorted(rng.sample(patients, min(patient_count, len(patients))), key=lambda p: p.pk)
    patient_keys = _sessions([p.user for p in patients])
    files: dict[str, Path] = {}
    samples: dict[str, tuple[str, str]] = {}

    def add(name: str, lines: list[tuple[str, str]], *, reserve_sample: bool = False):
        if reserve_sample:
            samples[name] = lines.pop()
        else:
            samples[name] = lines[0]
        files[name] = _write(name, lines)

    # The patient's own pages, round-robin over patients.
    add("today", [(patient_keys[p.user_id][0], "/diary/") for p in patients])
    add("summary", [(patient_keys[p.user_id][0], "/diary/summary/") for p in patients])
    add("floor-read", [("", f"/bench-floor/read/?patient={p.pk}") for p in patients])
    add("floor-insert", [("", "/bench-floor/insert/")])
    add(
        "floor-signed-in",
        [(patient_keys[p.user_id][0], "/bench-floor/signed-in/") for p in patients],
    )
    add("floor-layout", [(patient_keys[p.user_id][0], "/bench-floor/layout/") for p in patients])

    # Diary saves: each request a different (patient, day) with no record yet, so each is an
    # insert like the floor's; days are the editable window (today and the 90 days before).
    first = today - timedelta(days=90)
    recorded = set(
        DiaryEntry.objects.live()
        .filter(patient__in=patients, day__range=(first, today))
        .values_list("patient_id", "day")
    )
    free: dict[int, list] = {}
    for patient in patients:
        days = [first + timedelta(days=n) for n in range(91)]
        free[patient.pk] = [d for d in days if (patient.pk, d) not in recorded]
        rng.shuffle(free[patient.pk])
    pairs = []
    while any(free.values()):
        for patient in patients:
            if free[patient.pk]:
                pairs.append((patient, free[patient.pk].pop()))
    half = len(pairs) * 3 // 4
    add(
        "save-one-tap",
        [(patient_keys[p.user_id][0], f"/diary/day/{d:%Y-%m-%d}/") for p, d in pairs[:half]],
        reserve_sample=True,
    )
    add(
        "save-full",
        [(patient_keys[p.user_id][0], f"/diary/day/{d:%Y-%m-%d}/") for p, d in pairs[half:]],
        reserve_sample=True,
    )

    # Care-team pages: each clinician with patients of their own PCN.
    clinicians = list(
        User.objects.filter(role="clinician", email__endswith=domain, is_active=True).order_by("id")
    )
    clinician_keys = _sessions(clinicians, copies=2)
    team_pages, page_lines, floor_lines, diary_tab, reviews_tab = [], [], [], [], []
    for clinician in clinicians:
        keys = clinician_keys[clinician.pk]
        team_pages += [(key, "") for key in keys]
        visible = list(
            Patient.objects.filter(registered_practice_id__in=practice_ids_for(clinician))
            .order_by("?")
            .values_list("pk", "uuid")[:120]
        )
        for n, (pk, uuid) in enumerate(visible):
            key = keys[n % len(keys)]
            page_lines.append((key, f"/patients/{uuid}/"))
            floor_lines.append(("", f"/bench-floor/patient/?patient={pk}"))
            diary_tab.append((key, f"/diary/patients/{uuid}/"))
            reviews_tab.append((key, f"/reviews/patients/{uuid}/"))
    order = list(range(len(page_lines)))
    rng.shuffle(order)
    add("patient-page", [page_lines[i] for i in order])
    add("floor-patient", [floor_lines[i] for i in order])
    add("diary-tab", [diary_tab[i] for i in order])
    add("reviews-tab", [reviews_tab[i] for i in order])
    rng.shuffle(team_pages)
    add("worklist", [(key, "/reviews/team/") for key, _ in team_pages])
    add("triage", [(key, "/referrals/triage/") for key, _ in team_pages])

    # GPs: their home page and the referrals they made.
    gps = list(
        User.objects.filter(role="gp", email__endswith=domain, is_active=True).order_by("id")
    )
    gp_keys = _sessions(gps)
    gp_lines = []
    for gp in gps:
        key = gp_keys[gp.pk][0]
        gp_lines += [(key, "/gp/"), (key, "/referrals/mine/")]
    rng.shuffle(gp_lines)
    add("gp", gp_lines)

    # The commissioner: several sessions, so requests do not queue on one session row.
    commissioner = User.objects.get(email=f"commissioner{domain}")
    commissioner_keys = _sessions([commissioner], copies=16)[commissioner.pk]
    add("dashboard", [(key, "/dashboard/") for key in commissioner_keys])
    add(
        "export",
        [(key, "/dashboard/export/waits.csv?period=year") for key in commissioner_keys],
    )
    add("floor-dashboard-sql", [("", "/bench-floor/dashboard-sql/")])
    return Fixtures(
        files=files, samples=samples, patients=len(patients), clinicians=len(clinicians)
    )


# Captured SQL for the replay floors ------------------------------------------------------------

REPLAYED = {
    "today": "today",
    "summary": "summary",
    "patient-page": "patient-page",
    "diary-tab": "diary-tab",
    "reviews-tab": "reviews-tab",
    "worklist": "worklist",
    "triage": "triage",
    "dashboard": "dashboard",
    "export": "export",
}


def _replayable(sql: str) -> bool:
    """The page's own reads: SELECTs, without the session and signed-in-user lookups that the
    floor views do not do either."""
    text = sql.lstrip()
    if not text.upper().startswith("SELECT"):
        return False
    if '"django_session"' in text:
        return False
    return not (text.startswith('SELECT "pathway_user"."id", "pathway_user"."password"'))


def _as_sent(connection, sql: str) -> str:
    """The SELECT a prepared statement's EXECUTE runs (pathway.compiled prepares some), so the
    replay floor plans and runs it as a plain query; any other statement as it is."""
    last = sql.rsplit(";", 1)[-1].strip()
    if not last.startswith("EXECUTE "):
        return sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s", [last.split()[1]]
        )
        (statement,) = cursor.fetchone()
    # The statement as PREPARE was sent it, perhaps with a DEALLOCATE before it.
    return statement.split(" AS ", 1)[1].rsplit("; EXECUTE ", 1)[0]


def capture(fixtures: Fixtures) -> dict[str, int]:
    """Run each page once in-process, keep its SELECTs for bench.floor.replay, and check the
    diary-save bodies really save. Returns each page's query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    captured: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for name, file in REPLAYED.items():
        session, path = fixtures.samples[file]
        client = Client(HTTP_HOST=HOST)
        client.cookies["sessionid"] = session
        client.get(path)  # warm caches (templates, content types) before counting
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} during capture")
        counts[name] = len(queries.captured_queries)
        statements = [_as_sent(connection, q["sql"]) for q in queries.captured_queries]
        captured[name] = [sql for sql in statements if _replayable(sql)]
    (RESULTS / "captured.json").write_text(json.dumps(captured, indent=1))
    return counts


# wrk -------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    for candidate in ("/usr/bin/wrk", "/usr/local/bin/wrk"):
        if Path(candidate).exists():
            return candidate
    raise RuntimeError("wrk is not installed (bench/run installs it with apt-get)")


def run_wrk(
    name: str,
    file: Path,
    *,
    connections: int,
    duration: float,
    method: str = "GET",
    body: str | None = None,
    offset: int = 0,
    expected: str = "2xx",
    think_ms: str = "",
) -> Run:
    env = {
        **os.environ,
        "BENCH_THINK_MS": think_ms,
        "BENCH_REQUESTS": str(file),
        "BENCH_METHOD": method,
        "BENCH_OFFSET": str(offset),
        "BENCH_THREADS": "1",
        "BENCH_CSRF": CSRF,
    }
    if body is not None:
        env["BENCH_BODY"] = body
    command = [
        ensure_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(LUA),
        BASE + "/",
    ]
    done = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, timeout=duration + 180, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk failed for {name}: {done.stdout[-500:]} {done.stderr[-500:]}")
    first_path = file.read_text().split("\n", 1)[0].split("\t", 1)[1]
    return Run(name=name, path=first_path, connections=connections, expected=expected,
               **json.loads(lines[-1]))  # fmt: skip


def check_sample(fixtures: Fixtures, name: str, *, method="GET", body=None, expected="2xx"):
    """One request by hand before a run: the session works and the page answers as it should
    (wrk cannot tell a page from a redirect to the sign-in page). Returns its time in seconds."""
    session, path = fixtures.samples[name]
    started = time.perf_counter()
    status, location, _ = _get(path, session=session, method=method, body=body)
    elapsed = time.perf_counter() - started
    good = 300 <= status < 400 if expected == "3xx" else 200 <= status < 300
    if not good or "/account/login" in location:
        raise RuntimeError(f"{path} answered {status} {location} before the {name} run")
    return elapsed


# The mixed load test (issue 8) -----------------------------------------------------------------

# Share of the GET connections per kind of user and the pages they open.
LOAD_MIX = (
    ("patient", ("today", "summary"), 16),
    ("clinician", ("worklist", "triage", "patient-page", "diary-tab", "reviews-tab"), 12),
    ("gp", ("gp",), 4),
    ("commissioner", ("dashboard", "export"), 4),
)
LOAD_SAVE_CONNECTIONS = 4
# Each user reads a page for 1 to 3 seconds before the next request.
LOAD_THINK_MS = "1000-3000"


def load_test(fixtures: Fixtures, *, duration: float, think_ms: str = LOAD_THINK_MS) -> dict:
    """Forty users at once for `duration` seconds: patients, clinicians, GPs and the
    commissioner each on their own connections (GETs of their pages, interleaved), and
    patients saving diary days (POSTs) alongside, each user pausing `think_ms` ("min-max",
    or "" for none: every connection as fast as the server answers) between requests. Every
    request must succeed."""
    from concurrent.futures import ThreadPoolExecutor

    runs = []
    with ThreadPoolExecutor(max_workers=len(LOAD_MIX) + 1) as pool:
        futures = []
        for who, pages, connections in LOAD_MIX:
            lines = []
            sources = [fixtures.files[page].read_text().splitlines() for page in pages]
            for group in zip(*sources, strict=False):
                lines += [tuple(line.split("\t", 1)) for line in group]
            file = _write(f"load-{who}", lines)
            futures.append(
                pool.submit(run_wrk, f"load-{who}", file, connections=connections,
                            duration=duration, think_ms=think_ms)
            )  # fmt: skip
        futures.append(
            pool.submit(run_wrk, "load-diary-saves", fixtures.files["save-one-tap"],
                        connections=LOAD_SAVE_CONNECTIONS, duration=duration, method="POST",
                        body=ONE_TAP_BODY, expected="3xx", think_ms=think_ms)
        )  # fmt: skip
        runs = [future.result() for future in futures]
    for run in runs:
        log(
            f"  {run.name:<22} {run.connections:>3} conns  p50 {run.p50_ms:8.1f} ms  "
            f"p95 {run.p95_ms:8.1f} ms  {run.rps:7.1f}/s  n={run.requests}  "
            f"errors={run.unexpected + run.socket_errors + run.timeouts}"
        )
    worst = max(run.p95_ms for run in runs)
    errors = sum(run.unexpected + run.socket_errors + run.timeouts for run in runs)
    return {
        "connections": sum(run.connections for run in runs),
        "seconds": duration,
        "think_ms": think_ms,
        "requests": sum(run.requests for run in runs),
        "errors": errors,
        "worst_p95_ms": worst,
        "runs": [asdict(run) for run in runs],
        "met": errors == 0 and worst < 500,
    }


# The HTTP suite --------------------------------------------------------------------------------


def http_suite(fixtures: Fixtures, counts: dict[str, int], *, connections: int, duration: float,
               warmup: float, only: list[str] | None = None) -> list[Row]:  # fmt: skip
    measured: dict[str, Run] = {}

    def measure(name, *, label=None, method="GET", body=None, expected="2xx", conns=None,
                offset_pool=None) -> Run:  # fmt: skip
        if name in measured:
            return measured[name]
        conns = conns or connections
        file = fixtures.files[name]
        if name not in fixtures.samples:
            fixtures.samples[name] = tuple(file.read_text().split("\n", 1)[0].split("\t", 1))
        one = check_sample(fixtures, name, method=method, body=body, expected=expected)
        # A slow request gets a longer run, so that p95 rests on some forty requests.
        workers = 2 if conns > 1 else 1
        seconds = min(max(duration, 40 * one / workers), SLOW_RUN_LIMIT)
        lines = sum(1 for _ in file.open())
        # Inserts: the warm-up takes lines from the end of the file, the run from the start.
        warm_offset = lines // 2 if offset_pool else 0
        run_wrk(name, file, connections=conns, duration=warmup, method=method, body=body,
                offset=warm_offset, expected=expected)  # fmt: skip
        wait_until_idle()
        run = run_wrk(name, file, connections=conns, duration=seconds, method=method,
                      body=body, expected=expected)  # fmt: skip
        wait_until_idle()
        if offset_pool and run.requests > warm_offset:
            log(f"  note: {name} used {run.requests} lines of {lines}: some saves were updates")
        measured[name] = run
        log(
            f"  {label or name:<34} p50 {run.p50_ms:8.1f} ms  p95 {run.p95_ms:8.1f} ms  "
            f"{run.rps:8.1f}/s  n={run.requests}  unexpected={run.unexpected}"
        )
        return run

    def alternate(app: str, floor: str, *, method="GET", body=None, floor_body=None,
                  expected="2xx") -> list[tuple[float, float]]:  # fmt: skip
        """Short runs of the app request and its floor in turn, ABBA order, PAIRED_ROUNDS
        pairs: the ratios a budget is judged on. Saves take lines neither their measured run
        (from the start of the file) nor its warm-up (from the middle) took."""
        app_file = fixtures.files[app]
        lines = sum(1 for _ in app_file.open())
        offset = lines * 3 // 4 if method == "POST" else 0
        pairs = []
        for round_ in range(PAIRED_ROUNDS):
            runs = {}
            for name in (app, floor) if round_ % 2 == 0 else (floor, app):
                if name == app:
                    runs[name] = run_wrk(name, app_file, connections=connections,
                                         duration=PAIRED_SECONDS, method=method, body=body,
                                         offset=offset, expected=expected)  # fmt: skip
                    # wrk may send a request or two per connection that it does not time.
                    offset += runs[name].requests + 2 * connections
                else:
                    runs[name] = run_wrk(name, fixtures.files[name], connections=connections,
                                         duration=PAIRED_SECONDS, method=method,
                                         body=floor_body)  # fmt: skip
                wait_until_idle()
            pairs.append((runs[app].rps, runs[floor].rps))
        if method == "POST" and offset > lines:
            log(f"  note: {app} ran out of fresh lines: some saves were updates")
        log(f"  {app} against {floor}, in turn: " + ", ".join(
            f"{floor_rps / app_rps:.1f}x" for app_rps, floor_rps in pairs if app_rps))  # fmt: skip
        return pairs

    def replay(name: str, conns=None) -> Run:
        file = _write(f"floor-replay-{name}", [("", f"/bench-floor/replay/{name}/")])
        fixtures.files[f"floor-replay-{name}"] = file
        return measure(f"floor-replay-{name}", conns=conns)

    # Each row under the name of its app request, so `--only` can pick some of them.
    rows = {
        "today": lambda: Row("Today page (GET)", measure("today"), measure("floor-read"),
                             replay("today"), counts.get("today"),
                             alternate("today", "floor-read")),
        "save-one-tap": lambda: Row("Diary save, one tap (POST)",
            measure("save-one-tap", method="POST", body=ONE_TAP_BODY, expected="3xx",
                    offset_pool=True),
            measure("floor-insert", method="POST", body=""),
            pairs=alternate("save-one-tap", "floor-insert", method="POST", body=ONE_TAP_BODY,
                            floor_body="", expected="3xx")),
        "save-full": lambda: Row("Diary save, full form (POST)",
            measure("save-full", method="POST", body=FULL_FORM_BODY, expected="3xx",
                    offset_pool=True),
            measure("floor-insert", method="POST", body="")),
        "summary": lambda: Row("90-day summary", measure("summary"), measure("floor-read"),
                               replay("summary"), counts.get("summary")),
        "patient-page": lambda: Row("Patient page (staff)", measure("patient-page"),
            measure("floor-patient"), replay("patient-page"), counts.get("patient-page")),
        "worklist": lambda: Row("Worklist", measure("worklist"), replay("worklist"), None,
                                counts.get("worklist")),
        "triage": lambda: Row("Triage queue", measure("triage"), replay("triage"), None,
                              counts.get("triage")),
        "dashboard": lambda: Row("Commissioner dashboard", measure("dashboard"),
            measure("floor-dashboard-sql"), replay("dashboard"), counts.get("dashboard")),
        "export": lambda: Row("CSV export, a year (1 connection)", measure("export", conns=1),
            replay("export", conns=1), None, counts.get("export")),
        "floor-signed-in": lambda: Row("Signed-in no-op (extra)", measure("floor-signed-in"),
                                       measure("floor-read")),
        "floor-layout": lambda: Row("Site layout, signed in (extra)", measure("floor-layout"),
                                    measure("floor-read")),
        "diary-tab": lambda: Row("Diary tab (staff, extra)", measure("diary-tab"),
            replay("diary-tab"), None, counts.get("diary-tab")),
        "reviews-tab": lambda: Row("Reviews tab (staff, extra)", measure("reviews-tab"),
            replay("reviews-tab"), None, counts.get("reviews-tab")),
    }  # fmt: skip
    unknown = set(only or ()) - set(rows)
    if unknown:
        raise SystemExit(f"--only: no such request {', '.join(sorted(unknown))}")
    return [row() for name, row in rows.items() if not only or name in only]


# The worker suite ------------------------------------------------------------------------------


def planning_suite() -> dict:
    """Every reminder planner over all patients, twice; the second run must create nothing."""
    from django.utils import timezone

    from reviews import reminders

    planners = [
        reminders.plan_annual_review_invites,
        reminders.plan_appointment_reminders,
        reminders.plan_group_session_reminders,
        reminders.plan_questionnaire_reminders,
        reminders.plan_trial_review_reminders,
        reminders.plan_diary_nudges,
    ]
    now = timezone.localtime()
    # After 19:00 the diary nudge for today is past (and quiet hours start at 20:00): plan the
    # next day instead, as the morning run would, so every planner does its work.
    day = now.date() if now.hour < 19 else now.date() + timedelta(days=1)
    result: dict = {"day": day.isoformat(), "runs": []}
    for _ in range(2):
        run = {"planners": {}, "created": 0}
        started = time.perf_counter()
        for planner in planners:
            t = time.perf_counter()
            created = planner(today=day)
            run["planners"][planner.__name__] = {
                "created": created,
                "seconds": round(time.perf_counter() - t, 3),
            }
            run["created"] += created
        run["seconds"] = round(time.perf_counter() - started, 3)
        result["runs"].append(run)
    result["seconds"] = result["runs"][0]["seconds"]
    result["second_run_created"] = result["runs"][1]["created"]
    return result


def delivery_suite(count: int) -> dict:
    """Queue `count` due email notifications as the planners do, then let a real worker deliver
    them through the console backend; the rate is counted from the first send to the last, and
    only when every one was sent (a row cancelled at send time would flatter it)."""
    import redis
    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from pathway.models import Notification, Patient
    from pathway.notifications import outbox
    from reviews import messaging, reminders

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this run's own Redis database
    # The planner queues diary reminders only for reachable patients with an account who asked
    # for them (delivery cancels the rest): the same patients here, by email.
    patients = list(
        reminders.reachable(Patient.objects.filter(diary_nudge=True, user__isnull=False))
        .filter(email_consent=True)
        .exclude(email="")
        .order_by("id")[:count]
    )
    prefix = f"bench-delivery:{int(time.time())}"
    context = messaging.patient_context("/diary/")
    started = time.perf_counter()
    # Queued as the reminder planners queue them (outbox.queue_many): on commit the due rows
    # go to the broker in batches, as the beat sweep hands over rows that have fallen due.
    with transaction.atomic():
        outbox.queue_many(
            [
                outbox.draft(
                    channel="email",
                    kind="diary_nudge",
                    template="reviews-diary-nudge",
                    idempotency_key=f"{prefix}:{n}",
                    patient=patients[n % len(patients)],
                    context=context,
                )
                for n in range(count)
            ]
        )
    queued_seconds = time.perf_counter() - started
    worker = Process(
        "celery worker",
        [str(BIN / "celery"), "-A", "pathway", "worker", "--concurrency=2", "--pool=prefork",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
         "-n", f"bench-{os.getpid()}@%h"],
        RESULTS / "worker.log",
    )  # fmt: skip
    rows = Notification.objects.filter(idempotency_key__startswith=prefix)
    deadline = time.monotonic() + 300
    worker_started = time.perf_counter()
    try:
        while time.monotonic() < deadline:
            if not rows.filter(status__in=["queued", "sending"]).exists():
                break
            time.sleep(0.25)
    finally:
        wall = time.perf_counter() - worker_started
        worker.stop()
    sent = rows.filter(status="sent")
    span = sent.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    n = sent.count()
    seconds = (span["last"] - span["first"]).total_seconds() if n > 1 else None
    return {
        "queued": count,
        "sent": n,
        "not_sent_by_status": dict(
            rows.exclude(status="sent")
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        ),
        "queue_seconds": round(queued_seconds, 3),
        "send_span_seconds": round(seconds, 3) if seconds else None,
        "rate_of_those_sent": round((n - 1) / seconds, 1) if seconds else 0.0,
        "rate_per_second": round((n - 1) / seconds, 1) if seconds and n == count else 0.0,
        "wall_seconds_from_worker_start": round(wall, 3),
        "at": timezone.now().isoformat(),
    }


def pdf_suite(iterations: int) -> dict:
    """The careplans leaflet render (the worker's task body: read the document, WeasyPrint
    through pathway.pdf, store the PDF) against bare WeasyPrint on the same HTML with the same
    stylesheets already in memory. Warm process; rounds taking turns, judged by `pdf_ratio`."""
    import weasyprint

    from careplans import selectors, services
    from careplans.models import CarePlan, Document, Leaflet
    from pathway.models import User
    from pathway.pdf import BASE_URL, static_only_fetcher

    plan = (
        CarePlan.objects.filter(trials__outcome="ongoing", entered_in_error=False)
        .select_related("patient")
        .order_by("id")
        .first()
    )
    leaflet = Leaflet.objects.filter(is_published=True).order_by("slug").first()
    clinician = User.objects.filter(role="clinician").order_by("id").first()
    document = services.request_leaflet_pdf(
        actor=clinician, patient=plan.patient, plan=plan, leaflet=leaflet
    )
    html = Document.objects.get(pk=document.pk).html
    resources: dict[str, dict] = {}

    def preloaded(url, *args, **kwargs):
        if url not in resources:
            resources[url] = static_only_fetcher(url)
        return resources[url]

    def bare() -> float:
        started = time.perf_counter()
        weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=preloaded).write_pdf()
        return time.perf_counter() - started

    def app() -> float:
        Document.objects.filter(pk=document.pk).update(status=Document.Status.PENDING, pdf=None)
        started = time.perf_counter()
        status = services.render_document(str(document.uuid))
        elapsed = time.perf_counter() - started
        if status != Document.Status.READY:
            raise RuntimeError(f"leaflet render ended {status}")
        return elapsed

    bare(), app(), bare(), app()  # warm: fonts, stylesheets, templates
    app_times, bare_times = [], []
    for round_ in range(iterations):
        # Taking turns in ABBA order, so neither side always runs first.
        if round_ % 2 == 0:
            app_times.append(app())
            bare_times.append(bare())
        else:
            bare_times.append(bare())
            app_times.append(app())
    size = Document.objects.get(pk=document.pk).size
    return {
        "leaflet": leaflet.slug,
        "html_bytes": len(html.encode()),
        "pdf_bytes": size,
        "trials_in_leaflet": len(selectors.trials_for_leaflet(plan, leaflet)),
        "iterations": iterations,
        "app_median_ms": round(statistics.median(app_times) * 1000, 1),
        "bare_median_ms": round(statistics.median(bare_times) * 1000, 1),
        "app_ms": [round(t * 1000, 1) for t in app_times],
        "bare_ms": [round(t * 1000, 1) for t in bare_times],
        "ratio": round(pdf_ratio(app_times, bare_times), 3),
    }


def pdf_ratio(app_times: list[float], bare_times: list[float]) -> float:
    """The leaflet budget's figure: the median over the rounds of the app's render time over
    bare WeasyPrint's in the same round, so that a slow stretch of the machine weighs on both
    sides of a round rather than on one side's median."""
    return statistics.median(app / bare for app, bare in zip(app_times, bare_times, strict=True))


# Checks, clean-up, output ----------------------------------------------------------------------


def dashboard_check() -> dict:
    """The hand-written SQL and the app must publish the same figures."""
    from bench import dashboard_sql
    from pathway.dashboard.snapshots import build_tables

    scope = dashboard_sql.default_scope()
    hand = dashboard_sql.compute(scope)
    tables = build_tables(practice_ids=scope.practice_ids, period=scope.period)
    app = [tuple(row) for table in tables for row in table.rows]
    differences = [
        {"app": list(a), "hand_written_sql": list(h)}
        for a, h in zip(app, hand, strict=False)
        if a != h
    ]
    return {"rows": len(app), "same_length": len(app) == len(hand), "differences": differences}


def refresh_snapshots() -> dict:
    """What beat does every 15 minutes in production, so the pages read kept figures."""
    from pathway.dashboard import snapshots

    began = time.perf_counter()
    written = snapshots.refresh_standard_periods()
    return {"written": written, "seconds": round(time.perf_counter() - began, 2)}


def warm_worklists() -> dict:
    """What beat does every few minutes in production (reviews.worklist.warm_team_scans), so
    clinicians' worklists read a kept whole-team scan."""
    from reviews import worklist

    began = time.perf_counter()
    scopes = worklist.warm_team_scans()
    return {"scopes": scopes, "seconds": round(time.perf_counter() - began, 2)}


def cleanup(started) -> dict:
    """Remove what this run added, so every run measures the same data set."""
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction

    from careplans.models import Document
    from diaries.models import DiaryEntry, HeadacheEpisode, MedicationDose
    from pathway.models import AuditEvent, Notification

    removed = {}
    with transaction.atomic():
        entries = DiaryEntry.objects.filter(created_at__gte=started)
        episodes = HeadacheEpisode.objects.filter(entry__in=entries)
        removed["doses"] = MedicationDose.objects.filter(entry__in=entries)._raw_delete("default")
        removed["episodes"] = episodes._raw_delete("default")
        removed["diary_entries"] = entries._raw_delete("default")
        removed["audit_events"] = AuditEvent.objects.filter(at__gte=started)._raw_delete("default")
        removed["notifications"] = Notification.objects.filter(created_at__gte=started)._raw_delete(
            "default"
        )
        removed["documents"] = Document.objects.filter(created_at__gte=started)._raw_delete(
            "default"
        )
        removed["sessions"] = Session.objects.filter(
            session_key__startswith=SESSION_PREFIX
        )._raw_delete("default")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_floor_row")
    return removed


def vacuum() -> None:
    """Every run starts from the state autovacuum keeps a live database in: what earlier runs
    deleted cleared away, statistics fresh and the visibility map set, so index-only scans need
    not visit the table. Without it, a server with autovacuum off measures the churn of earlier
    runs instead (a worklist query took 4.3 ms instead of 1.3 ms on an unvacuumed load)."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    log(f"  vacuumed in {time.monotonic() - started:.1f} s")


def budgets(report: Report) -> list[dict]:
    rows = {row.label: row for row in report.rows}

    def entry(name, value, unit, limit, *, at_least=False):
        met = value is not None and (value >= limit if at_least else value <= limit)
        if isinstance(value, float) and value == 0 and not at_least and unit != "rows":
            value, met = None, False  # nothing was measured
        return {
            "name": name,
            "value": None if value is None else round(value, 3),
            "unit": unit,
            "limit": limit,
            "met": met,
        }

    def p95(label):
        run = rows[label].app
        return run.p95_ms if run.requests else None

    def paired(row):
        return row.paired_ratio if row.pairs else row.ratio

    return [
        entry("Diary save (one tap) vs bare insert",
              paired(rows["Diary save, one tap (POST)"]), "x", 2.0),
        entry("Today page vs bare read", paired(rows["Today page (GET)"]), "x", 2.0),
        entry("90-day summary p95 at 16 connections", p95("90-day summary"), "ms", 250),
        entry("Worklist p95 at 16 connections", p95("Worklist"), "ms", 250),
        entry("Triage queue p95 at 16 connections", p95("Triage queue"), "ms", 250),
        entry("Patient page p95 at 16 connections", p95("Patient page (staff)"), "ms", 250),
        entry("Commissioner dashboard p95 at 16 connections", p95("Commissioner dashboard"),
              "ms", 500),
        entry("Commissioner dashboard vs hand-written SQL",
              rows["Commissioner dashboard"].ratio, "x", 1.5),
        entry("CSV export of a year p95", p95("CSV export, a year (1 connection)"), "ms", 2000),
        entry("Reminder planning, all patients", report.planning.get("seconds"), "s", 10),
        entry("Reminder planning second run: rows created",
              report.planning.get("second_run_created"), "rows", 0),
        entry("Notification delivery, console backend", report.delivery.get("rate_per_second"),
              "per s", 200, at_least=True),
        entry("Leaflet PDF median vs bare WeasyPrint", report.pdf.get("ratio"), "x", 1.2),
    ]  # fmt: skip


def _fmt(value, unit="") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{unit}" if value < 1000 else f"{value:.0f}{unit}"
    return f"{value}{unit}"


def print_report(report: Report) -> None:
    log("")
    log(f"Benchmark {report.started}  ({report.environment.get('summary', '')})")
    header = (
        f"{'request':<35}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}{'n':>6}{'bad':>4}  "
        f"{'floor':<21}{'p50 ms':>8}{'p95 ms':>8}{'req/s':>8}{'x':>6}  "
        f"{'replay req/s':>12}{'x':>6}{'SQL':>5}"
    )
    log(header)
    log("-" * len(header))
    for row in report.rows:
        floor = row.floor
        db = row.db_floor
        name = floor.name.replace("floor-", "") if floor else "-"
        log(
            f"{row.label:<35}{row.app.p50_ms:>9.1f}{row.app.p95_ms:>9.1f}{row.app.rps:>8.1f}"
            f"{row.app.requests:>6}{row.app.unexpected:>4}  "
            f"{name:<21}{_fmt(floor and floor.p50_ms):>8}"
            f"{_fmt(floor and floor.p95_ms):>8}{_fmt(floor and floor.rps):>8}"
            f"{_fmt(row.ratio and round(row.ratio, 1)):>6}  "
            f"{_fmt(db and db.rps):>12}{_fmt(row.db_ratio and round(row.db_ratio, 1)):>6}"
            f"{_fmt(row.queries):>5}"
        )
    log(
        "x = the floor's requests/s over the app's (the app's time per request as a multiple of "
        "the floor's); replay = the page's own SELECTs through a raw cursor; SQL = queries per "
        "request; n = requests timed (a p95 on few requests is a lower bound)."
    )
    for row in report.rows:
        if row.paired_ratio is not None:
            log(
                f"{row.label}, in turn with its floor ({len(row.pairs)} pairs of "
                f"{PAIRED_SECONDS} s runs): " + ", ".join(
                    f"{floor / app:.1f}x" for app, floor in row.pairs if app)
                + f"; median {row.paired_ratio:.1f}x (the budget's figure)"
            )  # fmt: skip
    log("")
    planning = report.planning
    if planning:
        first, second = planning["runs"]
        detail = ", ".join(
            f"{name.replace('plan_', '')} {v['created']} in {v['seconds']:.2f} s"
            for name, v in first["planners"].items()
        )
        log(
            f"Reminder planning for {planning['day']}: {first['seconds']:.2f} s, "
            f"{first['created']} rows ({detail}); second run {second['seconds']:.2f} s, "
            f"{second['created']} rows"
        )
    if report.delivery:
        d = report.delivery
        log(
            f"Delivery: {d['sent']}/{d['queued']} sent, {d['rate_per_second']}/s from first to "
            f"last send ({d['wall_seconds_from_worker_start']} s from worker start; queueing "
            f"took {d['queue_seconds']} s)"
        )
    if report.pdf:
        p = report.pdf
        log(
            f"Leaflet PDF ({p['leaflet']}, {p['pdf_bytes']} bytes): app {p['app_median_ms']} ms, "
            f"bare WeasyPrint {p['bare_median_ms']} ms, median ratio of {p['iterations']} rounds "
            f"{p['ratio']}"
        )
    if report.snapshots:
        log(
            f"Dashboard snapshots (beat job): {report.snapshots['written']} in "
            f"{report.snapshots['seconds']} s"
        )
    if report.worklists:
        log(
            f"Worklist team scans (beat job): {report.worklists['scopes']} teams in "
            f"{report.worklists['seconds']} s"
        )
    if report.dashboard_check.get("differences"):
        log(
            f"Dashboard: {len(report.dashboard_check['differences'])} rows differ between the "
            "app and the hand-written SQL (see latest-details.json)"
        )
    log("")
    log(f"{'budget':<52}{'value':>10} {'unit':<6}{'limit':>8}  met")
    for item in report.budgets:
        log(
            f"{item['name']:<52}{_fmt(item['value']):>10} {item['unit']:<6}"
            f"{item['limit']:>8}  {'yes' if item['met'] else 'NO'}"
        )


def _environment() -> dict:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(v, 2) for v in load],
        "postgres": version,
        "postgres_jit": jit,
        "database": settings.DATABASES["default"]["NAME"],
        "redis": settings.REDIS_URL,
        "gunicorn": (
            f"{os.environ.get('WEB_WORKERS', '2')} workers of "
            f"{os.environ.get('WEB_THREADS', '1')} threads (gunicorn.conf.py) on {HOST}:{PORT}"
        ),
        "summary": f"{os.cpu_count()} CPUs, load {load[0]:.1f} at start, PostgreSQL {version}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=140)
    parser.add_argument("--duration", type=float, default=12, help="Seconds per measured run.")
    parser.add_argument("--warmup", type=float, default=3, help="Seconds of warm-up per run.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--session-patients", type=int, default=4000)
    parser.add_argument("--notifications", type=int, default=2000)
    parser.add_argument("--pdf-iterations", type=int, default=15)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--only",
        type=lambda value: value.split(","),
        metavar="NAME,...",
        help="Measure only these requests (today, worklist, triage, ...), without the budgets.",
    )
    parser.add_argument(
        "--load-test",
        type=float,
        metavar="SECONDS",
        help="Instead of benchmarking, run the mixed 40-user load test for SECONDS (issue 8).",
    )
    parser.add_argument(
        "--think",
        default=LOAD_THINK_MS,
        metavar="MIN-MAX",
        help="Load test think time per user in ms (default 1000-3000; 0-0 for none).",
    )
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument(
        "--profile",
        nargs="*",
        metavar="PAGE",
        help="Instead of benchmarking, show where each page's time goes (bench/profile.py).",
    )
    args = parser.parse_args(argv)
    if args.profile:
        from bench.profile import PAGES

        unknown = sorted(set(args.profile) - set(PAGES))
        if unknown:
            parser.error(f"no such page: {', '.join(unknown)} (pages: {', '.join(PAGES)})")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathway.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from bench import floor, loaddata

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/run needs PostgreSQL (DATABASE_URL)")
    if not settings.REDIS_URL:
        raise SystemExit("bench/run needs Redis (REDIS_URL)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = Report(started=timezone.localtime().isoformat(timespec="seconds"))
    log("Migrating")
    call_command("migrate", interactive=False, verbosity=0)
    log(f"Load data set: {args.patients:,} patients, {args.days} days")
    result = loaddata.load(patients=args.patients, days=args.days, log=log)
    state = result.state or {}
    report.load = {
        "patients": args.patients,
        "days": args.days,
        "skipped": result.skipped,
        "seconds": round(result.seconds if not result.skipped else state.get("seconds", 0), 1),
        "loaded_on": state.get("loaded_on"),
        "counts": result.counts,
    }
    log("  already loaded" if result.skipped else f"  loaded in {result.seconds:.1f} s")
    vacuum()
    report.environment = _environment()
    started = timezone.now()
    if args.profile is not None:
        from bench import profile

        try:
            profile.main(args.profile)
        finally:
            cleanup(started)
        return 0
    gunicorn = None
    try:
        floor.ensure_table()
        log("Dashboard: checking the hand-written SQL against the app")
        report.dashboard_check = dashboard_check()
        log("Dashboard: the beat job's refresh of kept figures (pathway.dashboard.snapshots)")
        report.snapshots = refresh_snapshots()
        log(f"  {report.snapshots['written']} snapshots in {report.snapshots['seconds']:.1f} s")
        if args.load_test:
            fixtures = prepare(patient_count=args.session_patients)
            report.worklists = warm_worklists()
            gunicorn = Process(
                "gunicorn",
                [str(BIN / "gunicorn"), "pathway.wsgi", "--bind", f"{HOST}:{PORT}",
                 "--timeout", "300",
                 "--log-level", "warning"],
                RESULTS / "gunicorn.log",
            )  # fmt: skip
            wait_until_up()
            log(
                f"Load test: 40 users for {args.load_test:g} s, "
                f"thinking {args.think or 'not at all'} ms between requests"
            )
            result = load_test(fixtures, duration=args.load_test, think_ms=args.think)
            (RESULTS / "load-test.json").write_text(json.dumps(result, indent=2) + "\n")
            log(
                f"{result['requests']} requests, {result['errors']} errors, worst p95 "
                f"{result['worst_p95_ms']:.0f} ms: {'met' if result['met'] else 'NOT met'} "
                "(zero errors, p95 under 500 ms)"
            )
            return 0 if result["met"] else 1
        if not args.skip_http:
            log("Sessions and request files")
            fixtures = prepare(patient_count=args.session_patients)
            log("Capturing each page's SQL for the replay floors")
            counts = capture(fixtures)
            # Last, as beat would have run a few minutes before: what the steps above changed
            # is then older than the kept scan.
            log("Worklist: the beat job's whole-team scan (reviews.worklist.warm_team_scans)")
            report.worklists = warm_worklists()
            log(f"  {report.worklists['scopes']} teams in {report.worklists['seconds']:.1f} s")
            log("Starting gunicorn")
            gunicorn = Process(
                "gunicorn",
                [str(BIN / "gunicorn"), "pathway.wsgi", "--bind", f"{HOST}:{PORT}",
                 "--timeout", "300",
                 "--log-level", "warning"],
                RESULTS / "gunicorn.log",
            )  # fmt: skip
            wait_until_up()
            log(f"HTTP: {args.connections} connections, {args.warmup:g} s warm-up, "
                f"{args.duration:g} s each")  # fmt: skip
            report.rows = http_suite(
                fixtures, counts, connections=args.connections, duration=args.duration,
                warmup=args.warmup, only=args.only,
            )  # fmt: skip
            gunicorn.stop()
            gunicorn = None
        if not args.skip_worker:
            log("Worker: reminder planning")
            report.planning = planning_suite()
            log(f"  {report.planning['seconds']:.2f} s, {report.planning['runs'][0]['created']} "
                f"rows; second run {report.planning['second_run_created']} rows")  # fmt: skip
            log("Worker: delivery")
            report.delivery = delivery_suite(args.notifications)
            log(f"  {report.delivery['rate_per_second']}/s")
            log("Worker: leaflet PDF")
            report.pdf = pdf_suite(args.pdf_iterations)
            log(f"  ratio {report.pdf['ratio']}")
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        log(f"Clean-up: {cleanup(started)}")
    whole = not (args.skip_http or args.skip_worker or args.only)
    report.budgets = budgets(report) if whole else []
    print_report(report)
    (RESULTS / "latest.json").write_text(json.dumps(report.budgets, indent=2) + "\n")
    details = asdict(report)
    for raw, row in zip(details["rows"], report.rows, strict=True):
        raw["ratio_p50"] = row.ratio
        raw["replay_ratio_p50"] = row.db_ratio
        raw["paired_ratio"] = row.paired_ratio
    (RESULTS / "latest-details.json").write_text(json.dumps(details, indent=2, default=str))
    log(f"\nWrote {RESULTS / 'latest.json'} and latest-details.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
