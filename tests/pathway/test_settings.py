"""Production settings: `check --deploy` is clean and the security headers are sent."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    # The browser tests allow async-unsafe calls in this process; a deployment never does.
    dropped = {"HTTPS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_prints_no_warnings_with_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="pathway.example.nhs.uk",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_with_a_short_secret_key(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY="short",
        ALLOWED_HOSTS="x.nhs.uk",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "pathway.E001" in result.stdout + result.stderr


def test_a_bad_boolean_setting_fails_at_start(tmp_path):
    result = _manage("check", REQUIRE_STAFF_MFA="maybe", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "REQUIRE_STAFF_MFA must be a boolean" in result.stderr


def test_an_unknown_messaging_backend_fails_the_system_check(tmp_path):
    result = _manage("check", NOTIFY_SMS_BACKEND="carrier-pigeon", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "pathway.E002" in result.stdout + result.stderr


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client):
    response = client.get("/account/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_production_defaults_turn_on_secure_cookies_hsts_and_mfa(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS >= 31536000, s.REQUIRE_STAFF_MFA, s.DEBUG)"
    )
    result = _manage("shell", "-c", code, VAR_DIR=str(tmp_path))
    assert result.stdout.strip().splitlines()[-1].split() == ["True"] * 5 + ["False"]


@pytest.mark.django_db
def test_behind_the_proxy_the_client_address_comes_from_x_forwarded_for(settings, rf):
    from pathway.middleware import TrustedProxyMiddleware

    seen = {}

    def view(request):
        seen["ip"] = request.META["REMOTE_ADDR"]

    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    settings.BEHIND_PROXY = False
    TrustedProxyMiddleware(view)(request)
    assert seen["ip"] == "127.0.0.1"
    settings.BEHIND_PROXY = True
    TrustedProxyMiddleware(view)(request)
    assert seen["ip"] == "203.0.113.9"


def test_the_embedded_broker_connects_without_a_warning(tmp_path):
    connect = (
        "from pathway.celery import app\n"
        "with app.connection_for_write() as conn:\n"
        "    conn.ensure_connection(max_retries=1)\n"
        "    print(type(conn.transport).__module__)\n"
    )
    result = _manage("shell", "-c", connect, REDIS_URL="", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    # kombu's filesystem transport, writing each message whole (pathway.broker).
    assert "pathway.broker" in result.stdout
    assert "WARNING" not in result.stderr, result.stderr


def test_an_sqlite_database_named_by_url_gets_the_same_settings_as_the_default(tmp_path):
    read = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0], connection.settings_dict['OPTIONS']['timeout'])\n"
    )
    url = f"sqlite:///{tmp_path / 'named.sqlite3'}"
    result = _manage("shell", "-c", read, DATABASE_URL=url, VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["wal", "20"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's setting")
@pytest.mark.django_db
def test_a_postgresql_database_compiles_no_query_with_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
