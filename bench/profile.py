"""Where one page's time goes: `bench/run --profile` runs this instead of the benchmark.

For each page it signs in a load-data user (a patient, a clinician of a PCN, the commissioner),
requests the page in-process through Django's test client a few times after a warm-up, and
reports the mean wall time split into SQL (each query's own time, with the slowest statements),
template rendering, and everything else, plus cProfile's top functions by cumulative time. The
numbers are single-request costs on an idle server, so they add up to what 16 connections on two
workers queue behind.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

# cProfile's restriction: the project's own apps, under this checkout.
PROJECT_CODE = re.escape(str(Path(__file__).resolve().parent.parent)) + (
    "/(pathway|diaries|referrals|careplans|reviews)/"
)
PAGES = {
    "today": ("patient", "/diary/"),
    "summary": ("patient", "/diary/summary/"),
    "save-one-tap": ("patient", "POST /diary/day/{free_day}/"),
    "patient-page": ("clinician", "/patients/{patient_uuid}/"),
    "diary-tab": ("clinician", "/diary/patients/{patient_uuid}/"),
    "reviews-tab": ("clinician", "/reviews/patients/{patient_uuid}/"),
    "worklist": ("clinician", "/reviews/team/"),
    "triage": ("clinician", "/referrals/triage/"),
    "dashboard": ("commissioner", "/dashboard/"),
    "export": ("commissioner", "/dashboard/export/waits.csv?period=year"),
    # The floors every patient page is measured against (bench.floor).
    "floor-signed-in": ("patient", "/bench-floor/signed-in/"),
    "floor-read": ("patient", "/bench-floor/read/?patient={patient_id}"),
}


def _client_for(user):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _people():
    from bench import loaddata
    from diaries.models import DiaryEntry
    from pathway.models import Patient, User
    from pathway.permissions import patients_visible_to

    domain = f"@{loaddata.EMAIL_DOMAIN}"
    patient = (
        Patient.objects.filter(user__email__endswith=domain, episodes__status="active")
        .select_related("user")
        .order_by("id")
        .first()
    )
    clinician = User.objects.filter(role="clinician", email__endswith=domain).order_by("id")[0]
    commissioner = User.objects.get(email=f"commissioner{domain}")
    seen = patients_visible_to(clinician).order_by("id").first()
    return patient, clinician, commissioner, seen, DiaryEntry


class _Queries:
    """Times each statement with perf_counter: CaptureQueriesContext keeps durations rounded to
    the millisecond, which reads a loopback query of a fraction of one as 0."""

    def __init__(self, connection):
        self.connection = connection
        self.captured: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.captured.append((sql, time.perf_counter() - started))

    def __enter__(self):
        self.wrapper = self.connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self.wrapper.__exit__(*exc)


class _Timer:
    """Sums template rendering time by wrapping Template.render for the duration."""

    def __init__(self):
        from django.template import base

        self.base = base
        self.total = 0.0
        self.depth = 0

    def __enter__(self):
        original = self.base.Template.render
        timer = self

        def render(template, context):
            timer.depth += 1
            started = time.perf_counter()
            try:
                return original(template, context)
            finally:
                timer.depth -= 1
                if timer.depth == 0:
                    timer.total += time.perf_counter() - started

        self.original = original
        self.base.Template.render = render
        return self

    def __exit__(self, *exc):
        self.base.Template.render = self.original


def profile_page(name: str, *, repeat: int = 5, top: int = 15) -> str:
    from django.db import connection
    from django.utils import timezone

    role, spec = PAGES[name]
    patient, clinician, commissioner, seen, DiaryEntry = _people()
    user = {"patient": patient.user, "clinician": clinician, "commissioner": commissioner}[role]
    client = _client_for(user)
    method = "GET"
    if spec.startswith("POST "):
        method, spec = "POST", spec[5:]
    today = timezone.localdate()
    recorded = set(
        DiaryEntry.objects.live()
        .filter(patient=patient, day__gte=today - timedelta(days=90))
        .values_list("day", flat=True)
    )
    free = [
        today - timedelta(days=n) for n in range(91) if today - timedelta(days=n) not in recorded
    ]

    def path(i: int) -> str:
        return spec.format(
            patient_uuid=seen.uuid,
            patient_id=patient.pk,
            free_day=free[i % len(free)].isoformat() if free else today,
        )

    def hit(i: int):
        if method == "POST":
            return client.post(path(i), {"action": "headache_free", "next": ""})
        return client.get(path(i))

    hit(0)
    hit(1)  # warm
    clean = []
    for i in range(2, repeat + 2):
        started = time.perf_counter()
        hit(i)
        clean.append(time.perf_counter() - started)
    walls, sql, templates, counts = [], [], [], []
    by_statement: dict[str, list[float]] = defaultdict(list)
    for i in range(repeat + 2, 2 * repeat + 2):
        with _Queries(connection) as queries, _Timer() as timer:
            started = time.perf_counter()
            response = hit(i)
            walls.append(time.perf_counter() - started)
        if response.status_code >= 400:
            raise RuntimeError(f"{name}: {response.status_code}")
        times = [seconds for _, seconds in queries.captured]
        sql.append(sum(times))
        templates.append(timer.total)
        counts.append(len(times))
        for statement, seconds in queries.captured:
            by_statement[statement[:160]].append(seconds)
    profiler = cProfile.Profile()
    for i in range(2 * repeat + 2, 3 * repeat + 2):
        profiler.enable()
        hit(i)
        profiler.disable()
    n = len(walls)
    wall, db, tpl = sum(walls) / n, sum(sql) / n, sum(templates) / n
    out = io.StringIO()
    out.write(
        f"== {name} ({method} {path(2)} as {role})\n"
        f"   {sum(clean) / n * 1000:.1f} ms a request (in-process, one at a time); with timers "
        f"{wall * 1000:.1f} ms: SQL {db * 1000:.1f} ms in {counts[-1]} queries, templates "
        f"{tpl * 1000:.1f} ms, other Python {(wall - db - tpl) * 1000:.1f} ms\n"
        "   slowest statements (mean ms x count per request):\n"
    )
    slowest = sorted(by_statement.items(), key=lambda kv: -sum(kv[1]))[:6]
    for statement, values in slowest:
        out.write(f"     {sum(values) / n * 1000:7.1f} ms  x{len(values) // n}  {statement}\n")
    stats = pstats.Stats(profiler, stream=out)
    out.write("   project code by cumulative time (cProfile, inflated):\n")
    stats.sort_stats("cumulative").print_stats(PROJECT_CODE, top)
    out.write("   hottest functions by own time:\n")
    stats.sort_stats("tottime").print_stats(12)
    return out.getvalue()


def main(names: list[str]) -> None:
    for name in names or list(PAGES):
        heavy = name in ("dashboard", "export", "worklist")
        print(profile_page(name, repeat=2 if heavy else 5), flush=True)
