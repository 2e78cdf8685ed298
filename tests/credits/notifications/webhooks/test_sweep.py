"""The retry sweep on a queue that defers jobs (the database backend, as in production):
a failed attempt queues one run for when its retry is due, an earlier retry supersedes a
later run, and each run queues the next for the earliest retry still to come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from credits.notifications.webhooks.choices import WebhookDeliveryStatus as S
from credits.notifications.webhooks.delivery import SWEEP_JOB, webhook_deliver, webhooks_sweep
from credits.notifications.webhooks.events import webhook_event_emit
from credits.notifications.webhooks.models import WebhookDelivery, WebhookSweep

pytestmark = pytest.mark.django_db
SWEEP_TASK = f"credits.tasks.{SWEEP_JOB}"
DELIVER_TASK = "credits.tasks.webhook_deliver_task"


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=path, status=TaskResultStatus.READY)
                .order_by("run_after"))


def emit(tenant, capture, key: str, at=None):
    with capture(execute=True):
        webhook_event_emit(tenant=tenant, type="balance.low", data={}, key=key, at=at)


def test_failed_attempts_queue_one_sweep_run_for_the_first_retry_due(
    tenant, endpoint, receiver, database_queue, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 500]
    now = timezone.now()
    emit(tenant, django_capture_on_commit_callbacks, "a", at=now)
    emit(tenant, django_capture_on_commit_callbacks, "b", at=now)
    # The first attempts are queued for a worker, not made here.
    assert len(queued(DELIVER_TASK)) == 2 and receiver.received == []
    first, second = WebhookDelivery.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliver(delivery_id=first.pk, at=now)
        webhook_deliver(delivery_id=second.pk, at=now + timedelta(seconds=1))
    [run] = queued(SWEEP_TASK)
    first.refresh_from_db()
    assert run.run_after == first.next_attempt_at == now + timedelta(minutes=1)
    job = WebhookSweep.objects.get()
    assert run.task_result.kwargs == {"generation": job.generation}

    # The run: both retries succeed; nothing is left, so no next run is queued.
    with django_capture_on_commit_callbacks(execute=True):
        summary = webhooks_sweep(generation=job.generation, at=now + timedelta(minutes=2))
    assert summary == {"sent": 2, "succeeded": 2, "errors": 0}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {S.SUCCEEDED}
    assert len(queued(SWEEP_TASK)) == 1  # only the run that just ran (never claimed here)


def test_an_earlier_retry_supersedes_a_later_run_and_runs_chain(
    tenant, endpoint, receiver, database_queue, django_capture_on_commit_callbacks
):
    receiver.answers = [500] * 10
    now = timezone.now()
    emit(tenant, django_capture_on_commit_callbacks, "a", at=now)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliver(delivery_id=delivery.pk, at=now)
    old_generation = WebhookSweep.objects.get().generation
    # Its second attempt fails too: its retry is 5 minutes later, a run is queued then.
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_sweep(generation=old_generation, at=now + timedelta(minutes=1))
    delivery.refresh_from_db()
    job = WebhookSweep.objects.get()
    assert delivery.attempts == 2 and job.generation == old_generation + 1
    assert job.next_run_at == delivery.next_attempt_at == now + timedelta(minutes=6)
    # A new event failing now needs a run in a minute: queued, and the later one superseded.
    emit(tenant, django_capture_on_commit_callbacks, "b", at=now + timedelta(minutes=2))
    other = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_deliver(delivery_id=other.pk, at=now + timedelta(minutes=2))
    job.refresh_from_db()
    assert job.next_run_at == now + timedelta(minutes=3)
    assert webhooks_sweep(generation=job.generation - 1, at=now + timedelta(minutes=6)) == {
        "superseded": True}
    # The current run sends the one due and queues the next for the other's retry.
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks_sweep(generation=job.generation, at=now + timedelta(minutes=3))[
            "sent"] == 1
    job.refresh_from_db()
    assert job.next_run_at == now + timedelta(minutes=6)
