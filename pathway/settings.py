"""Settings for the care-pathway service, read from the environment.

Every variable is listed in `.env.example`. Defaults run the local demo: SQLite in WAL mode under
`var/`, console messaging and an embedded (filesystem) Celery broker. Production sets `DEBUG=0`,
`SECRET_KEY`, `ALLOWED_HOSTS`, `DATABASE_URL` and `REDIS_URL`.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A per-checkout random key for the demo and tests, kept out of version control in var/."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVICE_NAME = env_str("SERVICE_NAME", "Headache and pain care")

# Served over TLS in production: secure cookies, HSTS and the HTTPS redirect all follow HTTPS.
# The local demo sets HTTPS=0 because it runs on plain http://127.0.0.1.
HTTPS = env_bool("HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
# Load balancers and compose probe /health/ over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind our own reverse proxy (compose, a load balancer): trust its X-Forwarded-* headers.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "pathway.views.errors.csrf_failure"
# Sessions end after 30 minutes without a request (DESIGN.md section 5).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
# The idle timeout slides with use; pathway.middleware.SessionRefreshMiddleware saves the
# session's new expiry at most once a minute instead of on every request.
SESSION_SAVE_EVERY_REQUEST = False
# The database store, except that a refresh of the expiry alone is one UPDATE of that column,
# which does not wait for the disk.
SESSION_ENGINE = "pathway.sessions"
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Staff (everyone but patients) confirm sign-in with a TOTP code when this is on.
REQUIRE_STAFF_MFA = env_bool("REQUIRE_STAFF_MFA", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "pathway.apps.PathwayConfig",
    "diaries.apps.DiariesConfig",
    "referrals.apps.ReferralsConfig",
    "careplans.apps.CareplansConfig",
    "reviews.apps.ReviewsConfig",
]

MIDDLEWARE = [
    "pathway.middleware.HeadWithoutBodyMiddleware",
    "pathway.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pathway.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pathway.middleware.PrivatePagesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pathway.middleware.StaffMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pathway.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "pathway.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

# bench/run serves bench.urls (the app plus bare floor views); everything else uses pathway.urls.
ROOT_URLCONF = env_str("ROOT_URLCONF", "pathway.urls")
WSGI_APPLICATION = "pathway.wsgi.application"

# Django's form renderer, with inputs, textareas and selects written in Python
# (pathway.renderers).
FORM_RENDERER = "pathway.renderers.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "pathway.context_processors.service",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
# SQLite, the default or named by DATABASE_URL: WAL lets the web server and the worker write at
# once (DESIGN.md section 8); IMMEDIATE avoids lock upgrades failing mid-transaction.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {
            **SQLITE_OPTIONS,
            **DATABASES["default"].get("OPTIONS", {}),
        }
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: compiling a query costs seconds when its cost estimate is high, as for the
        # dashboard's per-patient index lookups over the whole ICB (2.8 s with it, 1.0 s
        # without), and no request here runs long enough to repay it.
        DATABASES["default"]["OPTIONS"] = {
            "options": "-c jit=off",
            **DATABASES["default"].get("OPTIONS", {}),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "pathway.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("full_name", "email")},
    },
    {"NAME": "pathway.passwords.PersonalDetailsValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "pathway:login"
LOGIN_REDIRECT_URL = "pathway:home"
LOGOUT_REDIRECT_URL = "pathway:login"

# Failed sign-ins: five failures for one account from one address locks it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = SERVICE_NAME

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
MEDIA_ROOT = VAR_DIR / "files"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"
CRISPY_FAIL_SILENTLY = not DEBUG

# Content Security Policy: scripts only from our origin or with the per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Messaging: console writes to the log and keeps the row; smtp and notify send for real.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A hung mail server must not hold a worker until the task time limit.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# Seconds GOV.UK Notify's client waits for an answer (pathway.notifications.backends).
NOTIFY_TIMEOUT = env_int("NOTIFY_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "care-pathway@example.nhs.uk")
NOTIFY_SMS_BACKEND = env_str("NOTIFY_SMS_BACKEND", "console")
NOTIFY_EMAIL_BACKEND = env_str("NOTIFY_EMAIL_BACKEND", "console")
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY")
NOTIFY_SMS_TEMPLATE_ID = env_str("NOTIFY_SMS_TEMPLATE_ID")
NOTIFY_EMAIL_TEMPLATE_ID = env_str("NOTIFY_EMAIL_TEMPLATE_ID")

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport under var/ so the
# demo still runs a real worker and beat.
REDIS_URL = env_str("REDIS_URL")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    for sub in ("queue", "staging", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # The transport ignores the host; naming one keeps kombu from warning that none was given.
    CELERY_BROKER_URL = "filesystem://localhost/"
    # kombu's, writing each message whole before the worker can see it (pathway.broker).
    CELERY_BROKER_TRANSPORT = "pathway.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "staging_folder": str(BROKER_DIR / "staging"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A shared cache (rate limits such as self-referral throttling must hold across processes).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The heartbeat has a queue of its own, which every worker consumes alongside the default one,
# so a backlog of deliveries cannot make /health/ report a busy worker as down. So do the
# catch-up sweeps' letters (BACKLOG_QUEUE): a worker takes from its queues in turn, so hundreds
# of letters queued at once do not hold up a PDF a patient is waiting for.
CELERY_TASK_DEFAULT_QUEUE = "celery"
BACKLOG_QUEUE = "backlog"
CELERY_TASK_QUEUES = (
    Queue("celery", Exchange("celery"), routing_key="celery"),
    Queue("heartbeat", Exchange("heartbeat"), routing_key="heartbeat"),
    Queue(BACKLOG_QUEUE, Exchange(BACKLOG_QUEUE), routing_key=BACKLOG_QUEUE),
)
CELERY_TASK_ROUTES = {"pathway.tasks.heartbeat": {"queue": "heartbeat"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# Every task is idempotent (claims by compare-and-swap, unique keys), so late acks are safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
# The worklist's time-based reasons (target breaches, overdue reviews, trials, diary patterns)
# are kept for a whole team this long; beat scans again before they expire, and a row on screen
# whose patient's records changed since is checked again as the page opens.
WORKLIST_CACHE_SECONDS = env_int("WORKLIST_CACHE_SECONDS", 300)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Lets /health/ report whether a worker is consuming the queue.
    "worker-heartbeat": {"task": "pathway.tasks.heartbeat", "schedule": 30.0},
    # Re-queues outbox rows left in queued/sending by a dead worker or broker (DESIGN.md 6).
    "requeue-stuck-notifications": {
        "task": "pathway.tasks.requeue_stuck_notifications",
        "schedule": 120.0,
    },
    # Renders triage-outcome letters whose task was never queued (broker down at decision time).
    "render-missing-referral-letters": {
        "task": "referrals.tasks.render_missing_letters",
        "schedule": 600.0,
    },
    # The same for discharge summaries to GP practices.
    "render-missing-discharge-letters": {
        "task": "reviews.tasks.render_missing_discharge_letters",
        "schedule": 600.0,
    },
    # Daily reminder planners (reviews). They run before 09:00 and create rows due at 09:00,
    # which the re-queue job above sends then; planning twice changes nothing.
    "reviews-annual-review-invites": {
        "task": "reviews.tasks.plan_annual_review_invites",
        "schedule": crontab(hour=7, minute=30),
    },
    "reviews-appointment-reminders": {
        "task": "reviews.tasks.plan_appointment_reminders",
        "schedule": crontab(hour=7, minute=35),
    },
    "reviews-group-session-reminders": {
        "task": "reviews.tasks.plan_group_session_reminders",
        "schedule": crontab(hour=7, minute=37),
    },
    "reviews-questionnaire-reminders": {
        "task": "reviews.tasks.plan_questionnaire_reminders",
        "schedule": crontab(hour=7, minute=40),
    },
    "reviews-trial-review-reminders": {
        "task": "reviews.tasks.plan_trial_review_reminders",
        "schedule": crontab(hour=7, minute=45),
    },
    "reviews-diary-nudges": {
        "task": "reviews.tasks.plan_diary_nudges",
        "schedule": crontab(hour=18, minute=30),
    },
    # Re-hands diary report PDFs left preparing by a dead worker or broker.
    "requeue-stale-diary-reports": {
        "task": "diaries.tasks.requeue_stale_diary_reports",
        "schedule": 120.0,
    },
    # Keeps every clinician's whole-team worklist scan warm (reviews.worklist.warm_team_scans).
    "reviews-warm-team-worklists": {
        "task": "reviews.tasks.warm_team_worklists",
        "schedule": max(WORKLIST_CACHE_SECONDS * 0.8, 30.0),
    },
    # Recomputes the commissioner dashboard's standard periods (pathway.dashboard.snapshots).
    "refresh-dashboard-snapshots": {
        "task": "pathway.tasks.refresh_dashboard_snapshots",
        "schedule": 900.0,
    },
    # Re-queues care-plan PDFs left pending by a broker outage or a dead worker (DESIGN.md 6).
    "careplans-requeue-pending-pdfs": {
        "task": "careplans.tasks.requeue_pending_documents",
        "schedule": 60.0,
    },
}
# A worker is reported up when its heartbeat is this recent.
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
