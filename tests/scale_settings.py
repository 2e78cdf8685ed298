"""Settings of the web servers and workers that tests/credits/test_scale_out.py starts as
processes of their own: the test settings, with background tasks on the database queue
(the workers run them, as in production) and the export storage's directory from the
environment (one directory every process shares, as a bucket would be)."""

import os
from pathlib import Path

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("CREDITS_EXPORT_DIR"):
    CREDITS_EXPORT_DIR = Path(os.environ["CREDITS_EXPORT_DIR"])
