"""Test settings: fast password hashing, in-memory email, tasks run immediately."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

# Benchmark commands are dev tooling: installed here, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "credits.bench"]  # noqa: F405
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": CREDITS_EXPORT_STORAGE,  # noqa: F405
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WHITENOISE_AUTOREFRESH = True
CREDITS_EXPORT_DIR = Path(tempfile.gettempdir()) / "credits-exports-test"
# Templates that only tests render (tests/templates/).
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405
# The usage API limit per token is off, except in the tests of the limit (tests reuse
# token ids across rolled-back transactions, and the cache outlives them).
USAGE_API_RATE_LIMIT = 0
# Webhook receivers in the tests listen on 127.0.0.1 over plain HTTP.
WEBHOOKS_ALLOW_PRIVATE = True
