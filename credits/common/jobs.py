"""The one seam between services and background tasks.

Services never import ``credits.tasks`` (the tasks call the services, so that would be a
cycle). They name the task instead: ``enqueue_after_commit("recharge_pay_task",
order_id=pk)`` enqueues it once the current transaction commits, so a worker never
sees a row that was rolled back. ``credits.tasks`` registers each task here with
``@registered``; the app's ``ready()`` imports it, so every task is known before the first
request or worker job.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

_TASKS: dict[str, Any] = {}


def registered(task: Any) -> Any:
    """Register a django-tasks task under its function's name (a decorator)."""
    _TASKS[task.func.__name__] = task
    return task


def enqueue_after_commit(name: str, **kwargs: Any) -> None:
    """Enqueue the registered task ``name`` with ``kwargs`` after the commit (at once,
    outside a transaction). An unknown name is a programming error: ``KeyError``."""
    task = _TASKS[name]
    transaction.on_commit(lambda: task.enqueue(**kwargs))
