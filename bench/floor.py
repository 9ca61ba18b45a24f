"""The floors the app's requests are compared with: bare Django views on the same server doing
the same database work with nothing else (no session, auth, forms, ORM or templates).

* `insert`: the single-row insert of a diary save.
* `read`: a patient's 90 diary rows, the read behind the Today page and the 90-day summary.
* `patient`: the rows of the staff patient page (patient, practice, episodes, milestones).
* `signed_in` and `layout`: a signed-in request doing nothing, and the same rendering the site
  layout around an empty page: what every app page pays before its own work.
* `dashboard_sql`: the commissioner dashboard's figures as hand-written SQL (bench.dashboard_sql).
* `replay`: the SELECT statements one app page issued, captured by bench.runner with
  CaptureQueriesContext and replayed verbatim through a raw cursor: the page's own database time.
"""

import json
import random
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_floor_row"
CAPTURED = Path(__file__).resolve().parent / "results" / "captured.json"


def ensure_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, patient_id bigint, "
            "day date, pain smallint, note text, created_at timestamptz DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {TABLE}")


@csrf_exempt
def insert(request):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (patient_id, day, pain, note) VALUES (%s, %s, %s, %s)",
            [random.randint(1, 10_000), date.today(), random.randint(0, 10), "floor"],  # noqa: S311
        )
    return HttpResponse("ok")


def read(request):
    patient_id = int(request.GET.get("patient", "1"))
    since = date.today() - timedelta(days=90)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT day, headache, migraine, worst_severity FROM diaries_diaryentry "
            "WHERE patient_id = %s AND day >= %s AND NOT entered_in_error ORDER BY day",
            [patient_id, since],
        )
        rows = cursor.fetchall()
    body = "".join(
        f"<li>{day} {headache} {migraine} {severity}</li>"
        for day, headache, migraine, severity in rows
    )
    return HttpResponse(f"<ul>{body}</ul>")


def patient(request):
    """The staff patient page's rows: the patient with their practice, then their episodes with
    responsible clinicians and milestones, as two queries and a plain list."""
    patient_id = int(request.GET.get("patient", "1"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.given_name, p.family_name, p.nhs_number, p.date_of_birth, p.sex, "
            "p.sms_consent, p.email_consent, o.name FROM pathway_patient p "
            "JOIN pathway_organisation o ON o.id = p.registered_practice_id "
            "WHERE p.id = %s AND NOT p.entered_in_error",
            [patient_id],
        )
        head = cursor.fetchone()
        cursor.execute(
            "SELECT e.id, e.condition, e.status, e.priority, e.opened_at, u.full_name, "
            "m.kind, m.occurred_at FROM pathway_episode e "
            "LEFT JOIN pathway_user u ON u.id = e.responsible_clinician_id "
            "LEFT JOIN pathway_milestone m ON m.episode_id = e.id "
            "WHERE e.patient_id = %s AND e.status <> 'entered_in_error' "
            "ORDER BY e.opened_at DESC, m.occurred_at, m.id",
            [patient_id],
        )
        rows = cursor.fetchall()
    if head is None:
        raise Http404("No such patient")
    items = "".join(f"<li>{escape(' '.join(str(v) for v in row))}</li>" for row in rows)
    return HttpResponse(f"<h1>{escape(' '.join(str(v) for v in head))}</h1><ul>{items}</ul>")


def signed_in(request):
    """A signed-in request that does nothing else: the session, authentication and middleware
    cost that every app page pays before its own work."""
    if not request.user.is_authenticated:
        return HttpResponse("sign in first", status=403)
    return HttpResponse("ok")


def layout(request):
    """The site layout (base.html: header, navigation for the role, footer) around an empty
    page, signed in: the template cost every app page pays."""
    if not request.user.is_authenticated:
        return HttpResponse("sign in first", status=403)
    return render(request, "base.html", {})


def dashboard_sql(request):
    """The commissioner dashboard's figures from hand-written SQL, as one small table."""
    from bench import dashboard_sql as figures

    scope = figures.default_scope()
    rows = figures.compute(scope)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return HttpResponse(f"<table>{body}</table>")


@cache
def _captured() -> dict[str, list[str]]:
    return json.loads(CAPTURED.read_text()) if CAPTURED.exists() else {}


def replay(request, name: str):
    statements = _captured().get(name)
    if statements is None:
        raise Http404("Nothing captured under that name")
    fetched = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            fetched += len(cursor.fetchall())
    return HttpResponse(f"{len(statements)} statements, {fetched} rows")
