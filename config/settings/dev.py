"""Local development and the demo: DEBUG on, emails written to files under var/emails/."""

from config.env import env_list, env_str

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "dev-only-secret-key-not-for-production")  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# Benchmark commands are dev tooling: installed here, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "credits.bench"]  # noqa: F405
# Emails are written to files, one per message, under var/emails/ (git-ignored), so they
# don't bury the server's output (README, "The two commands");
# EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend prints them instead.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "config.mail.FilePerMessageBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "emails"))  # noqa: F405
# Webhooks may go to a receiver on this machine over plain HTTP (README, "Webhooks").
WEBHOOKS_ALLOW_PRIVATE = True
