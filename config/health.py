"""``/healthz``: whether this instance can serve (docs/operations.md, "Health check").

For load balancers and uptime monitors: no sign-in, no CSRF, no session, never cached.
It answers ``{"status": "ok" | "fail", "checks": {...}}`` with 200 when every check
passes and 503 otherwise, and tells nothing secret (no host, path, version or error
text; the reason of a failure goes to the log). Three cheap checks:

- ``database``: one ``SELECT 1``;
- ``queue``: the age of the oldest background task waiting for a worker (ready to run
  and not started); over ``HEALTHZ_QUEUE_MAX_AGE_SECONDS`` the workers are down or
  behind, and payments and recharges wait;
- ``export_storage``: the storage of the reports' background exports (``STORAGES
  ["exports"]``) answers: on the filesystem (the default, ``CREDITS_EXPORT_DIR``), its
  directory can be written (or created); any other storage (S3, ...) answers whether a
  name exists without an error.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from credits.reports.storage import export_storage

logger = logging.getLogger("console.health")

OK, FAIL = "ok", "fail"


def database_check() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("healthz check=database status=fail error=%s", type(error).__name__)
        return {"status": FAIL}
    return {"status": OK}


def queue_check() -> dict[str, object]:
    """The oldest task ready for a worker: queued (and due) the longest time ago."""
    now = timezone.now()
    try:
        oldest = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
            .order_by("run_after")
            .values_list("run_after", flat=True)
            .first()
        )
        undated = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after=get_date_max())
            .order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first()
        )
    except DatabaseError as error:
        logger.error("healthz check=queue status=fail error=%s", type(error).__name__)
        return {"status": FAIL, "oldest_task_age_seconds": None}
    since = min((moment for moment in (oldest, undated) if moment is not None), default=None)
    age = None if since is None else max(0, int((now - since).total_seconds()))
    healthy = age is None or age <= settings.HEALTHZ_QUEUE_MAX_AGE_SECONDS
    if not healthy:
        logger.warning("healthz check=queue status=fail oldest_task_age_seconds=%s", age)
    return {"status": OK if healthy else FAIL, "oldest_task_age_seconds": age}


EXPORT_STORAGE_PROBE = "healthz-probe"  # a name looked up, never written


def export_storage_check() -> dict[str, object]:
    try:
        storage = export_storage()
        if isinstance(storage, FileSystemStorage):
            directory = Path(storage.location)
            # Not created yet (no export so far): the first export creates it under its
            # parent.
            existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
            healthy = (
                existing is not None
                and existing.is_dir()
                and os.access(existing, os.W_OK | os.X_OK)
            )
        else:
            storage.exists(EXPORT_STORAGE_PROBE)  # reached: it answered, whatever it says
            healthy = True
    except Exception as error:  # noqa: BLE001 - a storage may raise anything when down
        logger.error("healthz check=export_storage status=fail error=%s", type(error).__name__)
        return {"status": FAIL}
    if not healthy:
        logger.error("healthz check=export_storage status=fail")
    return {"status": OK if healthy else FAIL}


@csrf_exempt
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": database_check(),
        "queue": queue_check(),
        "export_storage": export_storage_check(),
    }
    healthy = all(check["status"] == OK for check in checks.values())
    return JsonResponse(
        {"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503
    )
