"""When interrupted payments are recovered: one recurring job on the workers, no cron.

A payment can be interrupted anywhere: the request dies before the charge, the gateway
times out, the process dies between the charge and the completion, the database
connection drops. The order then stays *pending*. ``payments_recover_task``
(``credits.tasks``, running ``credits.billing.services.recovery.payments_recover``)
reconciles every order pending for over ``STALE_AFTER`` with the gateway's record of
its charge (``orders.order_reconcile``).

**When it runs.** Every ``RECOVERY_INTERVAL`` while any order is pending; it stops when
none is. Whatever writes a pending order (``orders.order_pending_create``: the set-up
purchase, Add funds, an auto-recharge) starts it again in the same transaction, so an
order never exists without a run queued after it; a recharge check that meets a stale
pending recharge asks for a run at once, and the daily jobs run it too (the backstop).
A queued run is a row of the task queue, so it waits for the workers to start and
survives their restarts. A pending order is thus reconciled at most ``STALE_AFTER`` +
``RECOVERY_INTERVAL`` after it was written, plus the workers' polling: about 3 minutes.

**Kept single.** One ``RecurringJob`` row: queuing a run locks it, bumps its
``generation`` and queues the run with that number; a run first claims the row, and one
whose generation is no longer the row's (another run was queued since) stops at once,
without queuing another. However many processes ask at once, one run is queued; a run
queued but not started after ``LOST_AFTER`` is taken for lost (a worker's queue row
deleted, say) and replaced by the next one to ask. A run queues its successor *before*
it works, so a worker dying in the middle of a run leaves the next one queued.

Backends that can't defer a job (the immediate backend of the tests) queue nothing: the
daily jobs and the next order of the tenant (``orders.orders_recover``) still recover.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from credits.billing.choices import OrderStatus
from credits.billing.models import Order, RecurringJob
from credits.common.jobs import can_defer, enqueue_after_commit

RECOVERY_JOB = "payments_recover_task"
# A pending order older than this was interrupted: no request still paying it can be
# running (the gateway call times out within a minute, a web worker is killed after 30
# seconds), and the recovery, every minute, then settles it well within 5 minutes.
STALE_AFTER = timedelta(minutes=2)
RECOVERY_INTERVAL = timedelta(minutes=1)
# A run queued this long past its time was lost; the next to ask queues another.
LOST_AFTER = timedelta(minutes=2)
# A new order's first run comes once the order could be stale (a few seconds after).
FIRST_RUN_AFTER = STALE_AFTER + timedelta(seconds=5)


def _locked() -> RecurringJob:
    """The recovery's row, locked for the transaction. The UPDATE comes first: it takes
    the row's lock on PostgreSQL and the database's write lock on SQLite (which ignores
    ``SELECT ... FOR UPDATE``) before anything is read."""
    rows = RecurringJob.objects.filter(name=RECOVERY_JOB)
    if not rows.update(generation=F("generation")):
        RecurringJob.objects.get_or_create(name=RECOVERY_JOB)
    return rows.select_for_update().get()


def _queue(job: RecurringJob, run_after: datetime, *, defer: bool = True) -> None:
    job.generation += 1
    job.next_run_at = run_after
    enqueue_after_commit(
        RECOVERY_JOB, run_after=run_after if defer else None, generation=job.generation
    )


def _queued(next_run_at: datetime | None, now: datetime) -> bool:
    return next_run_at is not None and next_run_at > now - LOST_AFTER


def recovery_schedule(*, at: datetime | None = None, delay: timedelta | None = None) -> bool:
    """Make sure a recovery run is queued; when none is, queue one ``delay`` from now
    (by default ``FIRST_RUN_AFTER``; zero: as soon as a worker is free, on any backend).
    Inside the caller's transaction (the run is queued when it commits). Returns whether
    it queued one: ``False`` when one was queued already, or the backend can't defer."""
    delay = FIRST_RUN_AFTER if delay is None else delay
    soon = delay <= timedelta(0)
    if not soon and not can_defer(RECOVERY_JOB):
        return False
    now = at or timezone.now()
    next_run_at = (
        RecurringJob.objects.filter(name=RECOVERY_JOB)
        .values_list("next_run_at", flat=True)
        .first()
    )
    if _queued(next_run_at, now):
        return False  # the common case, without a lock
    with transaction.atomic():
        job = _locked()
        if _queued(job.next_run_at, now):
            return False
        _queue(job, now + delay, defer=not soon)
        job.save(update_fields=["generation", "next_run_at"])
    return True


def recovery_claim(*, generation: int | None = None, at: datetime | None = None) -> bool:
    """A run starts: ``False`` if it was superseded (``generation`` is no longer the
    row's) and must stop. Otherwise it queues the next run ``RECOVERY_INTERVAL`` later
    while any order is pending (none when none is) and returns ``True``. A run without a
    generation (the daily jobs, the command line) always goes ahead."""
    now = at or timezone.now()
    with transaction.atomic():
        job = _locked()
        if generation is not None and generation != job.generation:
            return False
        job.last_run_at = now
        job.next_run_at = None
        if Order.objects.filter(status=OrderStatus.PENDING).exists() and can_defer(RECOVERY_JOB):
            _queue(job, now + RECOVERY_INTERVAL)
        job.save(update_fields=["generation", "next_run_at", "last_run_at"])
    return True


def recovery_record(summary: dict) -> None:
    """Keep what the last run did, for the backoffice and operators."""
    RecurringJob.objects.filter(name=RECOVERY_JOB).update(last_summary=summary)
