"""The one seam between services and background tasks.

Services never import ``credits.tasks`` (the tasks call the services, so that would be a
cycle). They name the task instead: ``enqueue_after_commit("recharge_pay_task",
order_id=pk)`` enqueues it once the current transaction commits, so a worker never
sees a row that was rolled back. ``credits.tasks`` registers each task here with
``@registered``; the app's ``ready()`` imports it, so every task is known before the first
request or worker job.

``run_after`` defers a job (the recurring recovery of interrupted payments schedules its
next run that way). The database backend's ``db_worker`` runs it once that time has
come; a backend that can't defer (the immediate backend the tests use, which runs a job
at once) is told nothing and ``enqueue_after_commit`` returns ``False``, so a job that
re-schedules itself can never loop there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

_TASKS: dict[str, Any] = {}


def registered(task: Any) -> Any:
    """Register a django-tasks task under its function's name (a decorator)."""
    _TASKS[task.func.__name__] = task
    return task


def can_defer(name: str) -> bool:
    """Whether the backend of the registered task ``name`` runs jobs at a later time."""
    return bool(_TASKS[name].get_backend().supports_defer)


def enqueue_after_commit(name: str, *, run_after: datetime | None = None, **kwargs: Any) -> bool:
    """Enqueue the registered task ``name`` with ``kwargs`` after the commit (at once,
    outside a transaction), to run as soon as a worker is free or, with ``run_after``,
    not before that time. Returns ``False`` (and enqueues nothing) when ``run_after`` is
    given and the backend can't defer. An unknown name is a programming error:
    ``KeyError``."""
    task = _TASKS[name]
    if run_after is not None:
        if not can_defer(name):
            return False
        task = task.using(run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(**kwargs))
    return True
