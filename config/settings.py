"""Settings from the environment, with safe local defaults.

Nothing set: SQLite file + in-memory channel layer, one process, zero services.
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (channels-redis) switch to the scaled set-up.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Fail closed: DEBUG is on only when asked for (``make run`` and the tests set DJANGO_DEBUG=1).
DEBUG = envbool("DJANGO_DEBUG", False)
LOCAL_SECRET_KEY = "django-insecure-dev-only-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or (LOCAL_SECRET_KEY if DEBUG else "")


def weak_secret_key(key: str) -> str:
    """Why ``key`` must not sign sessions on a real server ("" when it may)."""
    if not key:
        return "DJANGO_SECRET_KEY is not set"
    if key.startswith("django-insecure-"):
        return "DJANGO_SECRET_KEY starts with 'django-insecure-' (a development key)"
    if "CHANGE-ME" in key.upper():  # the placeholder of deploy/crisis-table.env.sample
        return "DJANGO_SECRET_KEY is the sample's placeholder (deploy/crisis-table.env.sample)"
    if len(set(key)) < 5 or len(key) < 32:
        return "DJANGO_SECRET_KEY is too short or too simple (use 50+ random characters)"
    return ""


if not DEBUG and weak_secret_key(SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"Refusing to start with DEBUG off: {weak_secret_key(SECRET_KEY)}. Set one with "
        "DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set DJANGO_DEBUG=1 for local development only (docs/security.md)."
    )
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # before staticfiles: its runserver serves WebSockets (stack notes, pitfall 1)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "scenarios",
    "exercises",
    "jobs",
    "hotwash",
    "studio",
    "review",
]

MIDDLEWARE = [
    "exercises.health.ProbeMiddleware",  # /healthz, /readyz: before host checks and HTTPS redirects
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

# --- database: SQLite by default, DATABASE_URL for PostgreSQL -------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DJANGO_TEST_DB_NAME", "test_crisis_table")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DJANGO_DB_NAME", str(BASE_DIR / "db.sqlite3")),
            # A live daphne subprocess in the browser tests reads the same file (stack notes, pitfall 7).
            "TEST": {"NAME": os.environ.get("DJANGO_TEST_DB_NAME", str(BASE_DIR / "test_db.sqlite3"))},
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }
# Persistent connections serve the WebSocket workers' long-lived database thread (issue #11:
# opening one per command, batch and tick cost 16-25 % of a worker). Under ASGI an HTTP request
# runs in a thread of its own that is never reused, so its connection is closed when the request
# finishes (exercises.apps), as with CONN_MAX_AGE=0. See docs/deploy.md.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- channel layer: in-memory by default, REDIS_URL for several workers -------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Typed as plain dicts: inferred from the literals they would be Collection[str] at the leaves.
CHANNEL_LAYERS: dict[str, dict[str, Any]]
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s socket timeout and a 100-connection pool (stack notes, 9).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": envint("CT_REDIS_MAX_CONNECTIONS", 1000),
                    }
                ],
                # Overflow is dropped silently (stack notes, 8); the hub channel gets one message per batch.
                "capacity": envint("CT_CHANNEL_CAPACITY", 1000),
                "prefix": os.environ.get("CT_REDIS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": envint("CT_CHANNEL_CAPACITY", 1000)},
        }
    }

# --- shared counters: throttles, presence (docs/security.md) --------------------------------
# One process: local memory. Several workers (REDIS_URL): Redis, so every limit holds across them.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",  # Django's, one client per pool (config/redis_cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CT_REDIS_PREFIX", "asgi") + ".cache",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "crisis-table"}}

# --- accounts: password rules and sign-in lockout (django-axes) -------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out name + address never reaches the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("CT_SIGNIN_FAILURES", 5)
AXES_COOLOFF_TIME = envint("CT_SIGNIN_LOCKOUT_MINUTES", 15) / 60  # hours; `manage.py axes_reset` lifts it sooner
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "facilitator_home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = True  # a daphne/uvicorn worker serves static/ without collectstatic

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Content-Security-Policy (django-csp 4): nothing inline, nothing evaluated -----------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # same-origin ws:/wss: too (CSP level 3)
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if not DEBUG:
    # Behind TLS (docs/deploy.md) set all of these; ``check --deploy`` is then silent
    # (tests/services/test_deploy.py runs it with deploy/crisis-table.env.sample).
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # nginx sets it (deploy/nginx.conf)
    SECURE_SSL_REDIRECT = envbool("DJANGO_SSL_REDIRECT", False)
    SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", False)
    SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", False)

# Production runs ``collectstatic`` once per release and serves hashed, compressed files
# with far-future caching; the default serves static/ straight from the finders.
if envbool("DJANGO_STATIC_MANIFEST", False):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = False

# --- product settings ---------------------------------------------------------------
CRISIS_TABLE: dict[str, Any] = {
    "SCENARIO_DIRS": [BASE_DIR / "scenarios" / "library"],
    "TICK_SECONDS": float(os.environ.get("CT_TICK_SECONDS", "2")),
    # Commands per participant per 10 s, WebSocket and form posts together (Exercise.rate_limit overrides).
    "RATE_LIMIT_PER_10S": envint("CT_RATE_LIMIT_PER_10S", 30),
    # Background jobs (jobs/): threads per worker process, and when a silent job counts as dead.
    "JOB_THREADS": envint("CT_JOB_THREADS", 1),
    "JOB_STALE_SECONDS": envint("CT_JOB_STALE_SECONDS", 30),
    # Scenario studio: the largest YAML file it accepts, and the largest MSEL spreadsheet.
    "STUDIO_MAX_BYTES": envint("CT_STUDIO_MAX_BYTES", 1024 * 1024),
    "MSEL_MAX_BYTES": envint("CT_MSEL_MAX_BYTES", 2 * 1024 * 1024),
    # Tokens an authorization refusal (a forged command) costs its sender.
    "FORBIDDEN_PENALTY": envint("CT_FORBIDDEN_PENALTY", 10),
    # Failed code look-ups (unknown codes) per client address: this many per window, then 429.
    "CODE_MISSES": envint("CT_CODE_MISSES", 30),
    "CODE_MISSES_WINDOW": envint("CT_CODE_MISSES_WINDOW", 600),
    # Successful joins per client address (a classroom shares one NAT address).
    "JOINS_PER_IP": envint("CT_JOINS_PER_IP", 200),
    "JOINS_WINDOW": envint("CT_JOINS_WINDOW", 600),
    # Seats per exercise: playable roles x this factor (Exercise.max_participants overrides).
    "PARTICIPANTS_PER_ROLE": envint("CT_PARTICIPANTS_PER_ROLE", 10),
    # Presence: each worker refreshes its sockets' heartbeat this often; older than TTL = away.
    "HEARTBEAT_SECONDS": float(os.environ.get("CT_HEARTBEAT_SECONDS", "10")),
    "PRESENCE_TTL": float(os.environ.get("CT_PRESENCE_TTL", "30")),
    # A workshop-wide release: how many tables' commands commit and publish at once (threads).
    "RELEASE_THREADS": envint("CT_RELEASE_THREADS", 8),
    # Threads per worker that render pushed frames (0: on Channels' one database thread, as
    # commands run). Tables render side by side: one table's renders do not hold up another's.
    "RENDER_THREADS": envint("CT_RENDER_THREADS", 1),
    # Threads per worker that run the sockets' commands, each with its own connection (0: on
    # Channels' one database thread). On PostgreSQL a command waits on the server part of its
    # time, and the row lock orders a table's commands; SQLite has one writer at a time, so 0.
    "COMMAND_THREADS": envint("CT_COMMAND_THREADS", 4 if DATABASE_URL else 0),
    # With channels-redis: the hubs hear each other's batches over Redis publish/subscribe on the
    # layer's server (one PUBLISH a batch) rather than the layer's queues (exercises/wire.py).
    "HUB_PUBSUB": envbool("CT_HUB_PUBSUB", True),
    # A worker's full garbage collections at its quiet moments instead of whenever CPython starts
    # one, mid-round (exercises/collector.py); never more than 30 s late.
    "QUIET_GC": envbool("CT_QUIET_GC", True),
}
# WebSocket origins accepted besides the page's own (scheme, host and port must match exactly).
CT_ALLOWED_ORIGINS = CSRF_TRUSTED_ORIGINS

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_403": {"()": "exercises.logs.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["quiet_403"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # One JSON object a line: forged commands, lockouts, floods, share-link changes (docs/security.md).
        "crisis_table.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint reports the report's in-page links to timeline rows it does not contain as
        # errors, one per link; a PDF that cannot be drawn raises, and the view answers 503.
        "weasyprint": {"level": "CRITICAL"},
        "fontTools": {"level": "WARNING"},
    },
}
