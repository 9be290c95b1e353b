"""auditui settings: everything comes from the environment (see README, "Configuration")."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from auditui.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("AUDITUI_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        _write_new_key(key_file)
    return key_file.read_text().strip()


def _write_new_key(key_file: Path) -> None:
    """Write a new key atomically, readable by its owner only, unless another process got there
    first: the key is complete in a temporary file before it gets its name, and ``os.link`` never
    replaces an existing file, so processes starting at once all end with the first one's key."""
    tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process wrote the key first: theirs is it
            os.link(tmp, key_file)
    finally:
        tmp.unlink(missing_ok=True)


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "auditui.ops.apps.ConsoleAdminConfig",  # django.contrib.admin with the console as its site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditui.access",
    "auditui.resources",
    "auditui.events",
    "auditui.policies",
    "auditui.state",
    "auditui.ops",
    "alerts",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "auditui.events.trail.TrailMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditui.middleware.ViewerTimezoneMiddleware",
    "auditui.middleware.StoreUnavailableMiddleware",
    "auditui.middleware.QueryDeadlineMiddleware",
]

ROOT_URLCONF = "auditui.urls"
WSGI_APPLICATION = "auditui.wsgi.application"

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
                "auditui.context_processors.viewer",
                "alerts.context_processors.new_alerts",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'auditui.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a generous timeout
    # rides out the short write locks of batch ingest. Measured for ingest (issue 18,
    # bench/RESULTS.md): journals of statements and savepoints in memory, not temporary files;
    # a page cache of up to 64 MB (the default 2 MB re-read the indexes' pages at every batch).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
                        "PRAGMA cache_size=-65536;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's four validators: createsuperuser, changepassword, the admin and the demo's
# AUDITUI_ADMIN_PASSWORD on a public address (auditui.events.management.commands.demo) apply them.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto (and the last X-Forwarded-For
# address, auditui.access.client), send cookies over HTTPS only and tell browsers to stay on HTTPS.
AUDITUI_TLS_PROXY = env_bool("AUDITUI_TLS_PROXY", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", AUDITUI_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if AUDITUI_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- event store -------------------------------------------------------------------------
EVENT_STORE_URL = env_str("EVENT_STORE_URL", "sql")
# Search-engine stores: indices <prefix>-<cluster>-YYYY.MM.DD. Writes do not wait for a refresh
# ("false": searchable within the index refresh interval, 1 s): "wait_for" caps ingest at about
# one batch a second; "true" (tests) refreshes on every write.
AUDITUI_INDEX_PREFIX = env_str("AUDITUI_INDEX_PREFIX", "auditui-events")
AUDITUI_INDEX_REFRESH = env_str("AUDITUI_INDEX_REFRESH", "false")
AUDITUI_RETENTION_DAYS = env_int("AUDITUI_RETENTION_DAYS", 365)
AUDITUI_BASE_URL = env_str("AUDITUI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Largest webhook body accepted, after decompression (the API server batches up to 400 events).
AUDITUI_WEBHOOK_MAX_BYTES = env_int("AUDITUI_WEBHOOK_MAX_BYTES", 32 * 1024 * 1024)
# Events per store write during ingest; 0: the store's own (EventStore.write_batch_size).
AUDITUI_INGEST_BATCH_SIZE = env_int("AUDITUI_INGEST_BATCH_SIZE", 0)
# An upload job RUNNING without progress for this long lost its worker (killed, machine gone): beat
# re-queues it. Progress is recorded at every stored batch, normally well under a second apart.
AUDITUI_INGEST_JOB_STALE_S = env_int("AUDITUI_INGEST_JOB_STALE_S", 300)
# Beat sends a heartbeat this often; /status/ shows a worker or beat silent for 1.5 of it as stopped.
AUDITUI_HEARTBEAT_S = env_int("AUDITUI_HEARTBEAT_S", 30)
AUDITUI_EXPORT_MAX_ROWS = env_int("AUDITUI_EXPORT_MAX_ROWS", 100_000)
# Seconds a page or API call may spend reading the event store (0: no limit); background tasks
# and management commands are not limited (auditui.events.store.deadline).
AUDITUI_QUERY_TIMEOUT_S = env_float("AUDITUI_QUERY_TIMEOUT_S", 20.0)
# Pull sources may read their password from a file under this directory; unset: file secrets off.
AUDITUI_SECRETS_DIR = env_str("AUDITUI_SECRETS_DIR", "")
# Django's own cap on request bodies must not cut the webhook off before our 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = AUDITUI_WEBHOOK_MAX_BYTES + 1024 * 1024

# --- policy changelog ----------------------------------------------------------------------
# The kinds whose changes the changelog follows, as kubectl's resource.group. "default" is the
# built-in list (Kubernetes and admin network policies, Calico policies, tiers, network sets and
# host endpoints: auditui.policies.kinds.BUILTIN); add others after it, e.g.
# AUDITUI_POLICY_KINDS=default,ciliumnetworkpolicies.cilium.io
AUDITUI_POLICY_KINDS = env_list("AUDITUI_POLICY_KINDS", ["default"])

# --- cluster state -------------------------------------------------------------------------
# Whether staged policies (Calico's StagedNetworkPolicy, StagedGlobalNetworkPolicy,
# StagedKubernetesNetworkPolicy) count as applied to endpoints (Calico's
# TIGERA_COMPLIANCE_INCLUDE_STAGED_NETWORK_POLICIES).
AUDITUI_INCLUDE_STAGED_POLICIES = env_bool("AUDITUI_INCLUDE_STAGED_POLICIES", False)

# --- compliance reports ------------------------------------------------------------------
# Generation of an interval starts this long after it ends, so that late events are in (Calico's
# TIGERA_COMPLIANCE_JOB_START_DELAY): a Go-style duration, "30m", "1h", "90s", "0s".
AUDITUI_REPORT_DELAY = env_str("AUDITUI_REPORT_DELAY", "30m")
# Generated reports' files (under the data directory) are kept this long.
AUDITUI_REPORT_RETENTION_DAYS = env_int("AUDITUI_REPORT_RETENTION_DAYS", 365)
# Missed intervals older than this are not generated any more (Calico's IGNORE_UNSTARTED_REPORT_AFTER).
AUDITUI_REPORT_MAX_CATCH_UP_HOURS = env_int("AUDITUI_REPORT_MAX_CATCH_UP_HOURS", 168)
# Attempts of one interval before it is failed with the reason (Calico's operator: 6 retries).
AUDITUI_REPORT_MAX_ATTEMPTS = env_int("AUDITUI_REPORT_MAX_ATTEMPTS", 7)
# Sections other apps add to the activity summary (reports.sections): dotted paths of callables
# (start, end) -> {"title", "columns", "rows"} or None, e.g. alerts fired in the interval.
AUDITUI_SUMMARY_SECTIONS: list[str] = []

# --- Celery ------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # Embedded default: kombu's filesystem transport, a real broker living in a folder.
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- e-mail ------------------------------------------------------------------------------


def _email_settings(url: str) -> dict:
    if not url or url.startswith("console"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps", "submission"):
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not smtp, smtps or console")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "submission",
    }


globals().update(_email_settings(env_str("EMAIL_URL", "console")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "auditui@localhost")

# --- REST framework ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # ?format= belongs to our endpoints (exports, report downloads), not to DRF negotiation.
    "URL_FORMAT_OVERRIDE": None,
    # Bad parameters answer {"error", "param"} (+ "position") with a 400, in every app's API.
    "EXCEPTION_HANDLER": "auditui.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "auditui API",
    "DESCRIPTION": "Kubernetes audit events: ingest, search, changelog, alerts and reports.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema lists every endpoint and parameter: for logged-in users (session or token) only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {"auditui": {"level": env_str("LOG_LEVEL", "INFO"), "propagate": True}},
}
