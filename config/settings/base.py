"""Settings shared by every environment. Values that differ come from the environment."""

import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_json_object, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    # Sign-in security (README, "Security"): second factor devices and throttled sign-in.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "accounts",
    "credits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy, Permissions-Policy, no-store on billing pages and downloads.
    "csp.middleware.CSPMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in admin's language and their tenant's time zone (after both above).
    "accounts.shell.locale.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the session, the user and messages: ends idle or too old sessions (with a
    # message on the sign-in page), then sends admins who need a second factor to it.
    "accounts.security.middleware.SessionLimitsMiddleware",
    "accounts.security.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.shell.context_processors.console",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A ledger posting's lock, read and write run as server-side prepared statements on
# PostgreSQL (docs/operations.md, "The ledger"); off behind a pooler in transaction mode
# that does not keep prepared statements.
CREDITS_PREPARED_STATEMENTS = env_bool("CREDITS_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username or address before the password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ConsoleAuthBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in security (README, "Security > Sign-in"; accounts/security/).
# Throttling: 5 failed sign-ins for a username, or from an address, within 15 minutes lock
# it out for 15 minutes (or until staff unlock it: backoffice > Access attempts, or
# `manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.security.lockout.attempted_username"
AXES_VERBOSE = False
# The client's address that sign-in and password reset throttling count: REMOTE_ADDR, or,
# behind N trusted reverse proxies (TRUSTED_PROXY_COUNT=N), the address the outermost one
# saw, read from the right of X-Forwarded-For (accounts/security/lockout.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "accounts.security.lockout.client_ip"
# Sessions: signed out after 60 idle minutes and 12 hours after signing in, whatever.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 60, minimum=1)
SESSION_ABSOLUTE_AGE_HOURS = env_int("SESSION_ABSOLUTE_AGE_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_AGE_HOURS * 3600
# Paying, changing how to pay and recharge settings ask for the password (or a code) again
# when the last one is older than this.
REAUTHENTICATION_MINUTES = env_int("REAUTHENTICATION_MINUTES", 10, minimum=1)
# Password reset: links valid 1 hour; requests throttled per address and per client address.
PASSWORD_RESET_TIMEOUT = 3600
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10, minimum=1)
# Second factor: the name authenticator apps show; wrong codes slow down (django-otp).
OTP_TOTP_ISSUER = "Communications Credits"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and one date-time format per language, the time zone named (README, "Languages
# and time zones").
FORMAT_MODULE_PATH = ["accounts.shell.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The card processor: a dotted path to a credits.billing.gateway.base.PaymentGateway. The
# default, the sandbox, behaves like a processor's test mode (see the README's test cards).
PAYMENT_GATEWAY = env_str("PAYMENT_GATEWAY", "credits.billing.gateway.sandbox.SandboxGateway")
if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", PAYMENT_GATEWAY):
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAY must be the dotted path of a gateway class, not {PAYMENT_GATEWAY!r}."
    )

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Communications Credits <no-reply@console.example>"
)
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# The console's own name and the address users are sent to in emails.
CONSOLE_BASE_URL = env_str("CONSOLE_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# The "Zone A" countries that Audio Conferencing dial-out minutes cover (ISO 3166 codes,
# comma-separated). Empty (the default) keeps the product's own list, defined once in
# credits/usage/telephony/pools.py; a value here replaces it.
CREDITS_ZONE_A_COUNTRIES = env_list("CREDITS_ZONE_A_COUNTRIES", [])
if not all(len(code) == 2 and code.isalpha() and code.isupper()
           for code in CREDITS_ZONE_A_COUNTRIES):
    raise ImproperlyConfigured(
        "CREDITS_ZONE_A_COUNTRIES must be two-letter country codes in capitals, separated "
        f"by commas, not {','.join(CREDITS_ZONE_A_COUNTRIES)!r}."
    )

# Report exports written in the background (Reports > PSTN usage > Export to Excel) are
# kept here until the daily jobs delete them: a private directory, never served directly.
CREDITS_EXPORT_DIR = Path(env_str("CREDITS_EXPORT_DIR", str(BASE_DIR / "var" / "exports")))
if not CREDITS_EXPORT_DIR.is_absolute():
    raise ImproperlyConfigured(
        f"CREDITS_EXPORT_DIR must be an absolute path, not {str(CREDITS_EXPORT_DIR)!r}."
    )
# They are written, downloaded and deleted through the "exports" storage (STORAGES), never a
# path: by default the filesystem under CREDITS_EXPORT_DIR; on several machines, storage
# they all reach (docs/operations.md, "Several machines"): CREDITS_EXPORT_STORAGE_BACKEND,
# a storage class (storages.backends.s3.S3Storage), with CREDITS_EXPORT_STORAGE_OPTIONS,
# its options as a JSON object ({"bucket_name": "console-exports"}).
CREDITS_EXPORT_STORAGE = {
    "BACKEND": env_str(
        "CREDITS_EXPORT_STORAGE_BACKEND", "credits.reports.storage.ExportDirectoryStorage"
    ),
    "OPTIONS": env_json_object("CREDITS_EXPORT_STORAGE_OPTIONS", {}),
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": CREDITS_EXPORT_STORAGE,
}

# The cache (sign-in and password reset throttling, the usage API's limit per token): per
# process by default; with several processes or machines, a shared Redis (REDIS_URL,
# redis://host:6379/0; pip install '.[redis]').
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": REDIS_URL}
    }

# Security headers (README, "Exports and headers"). The pages load only the console's own
# scripts, styles, images and fonts (static/; no other host, no inline script or style:
# behaviour lives in static/console/*.js, htmx's indicator style in console.css).
# Images may be data: URIs (the authenticator QR code); pages are never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
SECURE_REFERRER_POLICY = "same-origin"
# Never kept by a browser or proxy cache: billing pages, usage exports, the usage API and
# the Graph-style call records
# (and every download, whatever its address).
NO_STORE_PATH_PREFIXES = ("/billing/", "/reports/pstn-usage/export", "/api/", "/v1.0/")

# GET /healthz (docs/operations.md): fails when the oldest background task waiting for a
# worker has waited longer than this (the workers are down or far behind).
HEALTHZ_QUEUE_MAX_AGE_SECONDS = env_int("HEALTHZ_QUEUE_MAX_AGE_SECONDS", 600, minimum=1)

# The usage API's limit per token (README, "Calls: rates, rating and the usage API"):
# requests per minute, counted in the cache; 0 turns the limit off.
USAGE_API_RATE_LIMIT = env_int("USAGE_API_RATE_LIMIT", 120, minimum=0)

# Webhooks (README, "Webhooks") go only over HTTPS to public internet addresses; the dev
# and test settings allow plain HTTP and any address (a receiver on this machine).
WEBHOOKS_ALLOW_PRIVATE = False

# Error reporting (docs/operations.md): to Sentry when SENTRY_DSN is set (pip install
# 'comms-credits-console[sentry]'), without personal data, request bodies or local
# variables.
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=env_int("SENTRY_TRACES_PERCENT", 0, minimum=0) / 100,
    )
