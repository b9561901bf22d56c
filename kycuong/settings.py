"""Settings come only from environment variables; the defaults run the embedded SQLite demo."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KYCUONG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if env_bool("KYCUONG_REQUIRE_SECRET_KEY", False):
        raise RuntimeError("SECRET_KEY must be set in production.")
    # Development and demo only; the django-insecure- prefix makes `check --deploy` flag it.
    SECRET_KEY = "django-insecure-kycuong-development-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Behind a reverse proxy on the same host: client addresses come from the last X-Forwarded-For entry.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)

INSTALLED_APPS = [
    # First, so that its createsuperuser and changepassword (which write audit records) win over Django's.
    "kycuong.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "kycuong.core",
    "kycuong.org",
    "kycuong.notifications",
    "kycuong.tasks",
    "kycuong.satisfaction",
    "kycuong.targets",
    "kycuong.inspections",
    "kycuong.discipline",
    "kycuong.processes",
    "kycuong.evaluations",
    "kycuong.reports",
    "kycuong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kycuong.core.middleware.RequestIdMiddleware",
    "kycuong.core.replica.UnitOfWorkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kycuong.accounts.two_factor.SecondStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kycuong.urls"
WSGI_APPLICATION = "kycuong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite database lives there
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kycuong.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# A PostgreSQL replica (streaming replication) for the dashboard, report and statistics reads; see
# kycuong/core/replica.py for which reads go there. Without it everything reads the primary.
if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["REPLICA_DATABASE_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kycuong.core.replica.ReplicaRouter"]

# Several web nodes share nothing but the database and Redis: with REDIS_URL the cache (rate limits of the
# public forms) and the sessions live in Redis; without it each process keeps its own cache and sessions
# stay in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "kycuong")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    # Read from Redis, written through to the database: a restart of Redis signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Scoped API reads kept in Redis while the tables they read are unchanged (kycuong/core/response_cache.py).
# On by default where Redis is configured; several processes without Redis could not tell each other of
# their writes.
RESPONSE_CACHE = env_bool("RESPONSE_CACHE", bool(REDIS_URL))
if RESPONSE_CACHE and not REDIS_URL:
    raise RuntimeError("RESPONSE_CACHE=on needs REDIS_URL.")
RESPONSE_CACHE_SECONDS = int(os.environ.get("RESPONSE_CACHE_SECONDS", "600"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["kycuong.accounts.lockout.GuardedModelBackend"]
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_CLIENT = int(os.environ.get("LOGIN_FAILURES_PER_CLIENT", "20"))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
# Roles whose holders must sign in with a second step (a code from an authenticator app); empty: nobody.
TWO_FACTOR_REQUIRED_ROLES = env_list(
    "TWO_FACTOR_REQUIRED_ROLES", "system_admin,city_leader,unit_head,inspector"
)
OTP_TOTP_ISSUER = "Kỷ Cương"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# A working day's session; it ends when the browser closes too.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
# Served over HTTPS (by default in production: DEBUG off and a public origin set): secure cookies, HSTS and a
# redirect of plain HTTP (gunicorn takes the scheme from the proxy's X-Forwarded-Proto, see docs/deploy.md).
HTTPS = env_bool("HTTPS", not DEBUG and bool(CSRF_TRUSTED_ORIGINS))
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # local health checks over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Preloading commits the whole domain to HTTPS in browsers for good: the operator's decision, off by default,
# so the deploy check's reminder about it is silenced.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "vi")
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["kycuong.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Ho_Chi_Minh")
# Off, so that ids in URLs, form values and element ids are never rendered as "1.728"; figures meant for
# people are grouped explicitly (humanize's intcomma, floatformat with "g"), in the locale's style (1.520).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
# Third-party front-end files come from npm (package-lock.json) and are served by the product itself.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/bpmn-js", NODE_MODULES / "bpmn-js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or os.environ.get("KYCUONG_PLAIN_STATIC")
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# In production the compressed files that collectstatic wrote are served; finders only while developing.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# The job queue: "database" (the default, no other server) or "redis" (REDIS_URL) for workers on several
# machines.
JOB_QUEUE = os.environ.get("JOB_QUEUE", "database").strip().lower()
JOB_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "kycuong.core.redis_jobs.RedisBackend",
}
if JOB_QUEUE not in JOB_BACKENDS:
    raise RuntimeError(f"JOB_QUEUE must be one of {', '.join(JOB_BACKENDS)}, not {JOB_QUEUE!r}.")
if JOB_QUEUE == "redis" and not REDIS_URL:
    raise RuntimeError("JOB_QUEUE=redis needs REDIS_URL.")
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", JOB_BACKENDS[JOB_QUEUE]),
        "QUEUES": ["default"],
        "OPTIONS": {"url": REDIS_URL, "prefix": f"{REDIS_KEY_PREFIX}:jobs"} if JOB_QUEUE == "redis" else {},
    }
}

# How often each process compares its copy of the working-day calendar with the database (seconds): a change
# made on one web node or worker is used by the others at most this long after it.
CALENDAR_RECHECK_SECONDS = float(os.environ.get("CALENDAR_RECHECK_SECONDS", "5"))
# A job still marked running after this long is taken to be abandoned by a worker on another machine.
JOB_ABANDONED_AFTER_MINUTES = int(os.environ.get("JOB_ABANDONED_AFTER_MINUTES", "60"))

MAILERS = {
    "default": {"BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}
}
# The address users reach the product at, for links in e-mails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kycuong@localhost")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: scripts only from this site (no inline script; data for charts travels in
# json_script blocks, which are not executed); styles may be inline because bpmn-js and htmx set them.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Who is mailed when something needs an operator (a broken audit chain): comma-separated e-mail addresses.
ADMINS = env_list("ADMINS", "")
# Task follow-up: when a task counts as at risk, and when reminders go out (working days before the due date).
TASK_AT_RISK_MARGIN_PERCENT = int(os.environ.get("TASK_AT_RISK_MARGIN_PERCENT", "25"))
TASK_AT_RISK_DUE_WITHIN_WORKING_DAYS = int(os.environ.get("TASK_AT_RISK_DUE_WITHIN_WORKING_DAYS", "3"))
TASK_AT_RISK_REPORT_AGE_DAYS = int(os.environ.get("TASK_AT_RISK_REPORT_AGE_DAYS", "7"))
TASK_REMINDER_WORKING_DAYS = [int(n) for n in env_list("TASK_REMINDER_WORKING_DAYS", "3,1")]
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "kycuong-demo")
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"kycuong": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
