"""Interrupted payments recover by themselves on the workers: a recurring recovery run,
queued with every pending order and kept single, reconciles every order pending for
over STALE_AFTER; a recharge check that meets a stale pending recharge asks for it at
once; the daily jobs stay as the backstop.

The tests use the immediate task backend (a job runs at once, nothing can be deferred)
except where they say ``database_queue``: there jobs are rows of django-tasks' database
queue, as ``db_worker`` reads them, and the tests run the due ones themselves.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from credits.billing.models import RecurringJob
from credits.billing.services import auto_recharge, schedule
from credits.billing.services.auto_recharge import (
    recharge_check,
    recharge_pay,
    recharges_recover,
)
from credits.billing.services.checks import Payment
from credits.billing.services.orders import STALE_AFTER, gateway_key, order_pending_create
from credits.billing.services.recovery import payments_recover
from credits.daily import daily_jobs_run
from credits.models import (
    LedgerEntry,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
    SandboxCharge,
)
from tests.credits.billing.gateways import (
    FLAKY,
    DiesAfterCharge,
    FlakyGateway,
    ProcessDied,
    Unreachable,
)
from tests.credits.billing.test_order_reconcile import interrupted, top_up
from tests.credits.factories import charge
from tests.credits.recharge_helpers import auto_recharge_account

pytestmark = pytest.mark.django_db
RECOVERY_TASK = "credits.tasks.payments_recover_task"


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def account(tenant):
    return auto_recharge_account(tenant, balance="100", amount="50", trigger="20")


def queued_runs():
    return list(
        DBTaskResult.objects.filter(task_path=RECOVERY_TASK, status=TaskResultStatus.READY)
    )


def run_queued(row):
    """What db_worker does with a due job (the tests choose when it is due)."""
    row.claim("test-worker")
    row.save()
    result = row.task.call(*row.task_result.args, **row.task_result.kwargs)
    row.set_successful(result)
    row.save()
    return result


def recovery_job():
    return RecurringJob.objects.get(name=schedule.RECOVERY_JOB)


# --- queued with every pending order, kept single ---------------------------------------


def test_placing_an_order_queues_one_recovery_run_for_when_it_could_be_stale(
    tenant, billing_admin, account, database_queue, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        top_up(tenant, billing_admin)
    [run] = queued_runs()
    assert before + schedule.FIRST_RUN_AFTER <= run.run_after
    assert run.run_after <= timezone.now() + schedule.FIRST_RUN_AFTER
    assert run.task_result.kwargs == {"generation": recovery_job().generation}

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            top_up(tenant, billing_admin)
    assert len(queued_runs()) == 1


def test_an_order_rolled_back_queues_nothing(
    tenant, account, database_queue, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        order_pending_create(
            tenant=tenant, kind=OrderKind.TOP_UP, amount=Decimal("50"),
            payment=Payment(type="invoice"), idempotency_key="k", fingerprint="f",
        )
        raise RuntimeError("rolled back")
    assert queued_runs() == [] and not RecurringJob.objects.filter(generation__gt=0).exists()


def test_a_run_queues_its_successor_first_while_orders_are_pending_and_stops_after(
    tenant, billing_admin, account, database_queue, django_capture_on_commit_callbacks,
    settings, monkeypatch,
):
    with django_capture_on_commit_callbacks(execute=True):
        order = interrupted(tenant, billing_admin, Unreachable())
    [first] = queued_runs()

    # The gateway is still down: the order stays pending, the next run is queued.
    settings.PAYMENT_GATEWAY = FLAKY
    monkeypatch.setattr(FlakyGateway, "fault", "unreachable")
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_queued(first)
    monkeypatch.setattr(FlakyGateway, "fault", None)
    assert summary["pending"] == 1 and summary["reconciled"] == 1
    [second] = queued_runs()
    assert second.run_after - timezone.now() <= schedule.RECOVERY_INTERVAL
    assert second.task_result.kwargs == {"generation": first.task_result.kwargs["generation"] + 1}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING

    # The gateway is back (the sandbox): the order completes; one more run finds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_queued(second)
    assert summary["succeeded"] == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    [third] = queued_runs()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued(third)["reconciled"] == 0
    assert queued_runs() == []
    job = recovery_job()
    assert job.next_run_at is None and job.last_summary["reconciled"] == 0
    assert SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count() == 1


def test_a_superseded_run_does_nothing_and_queues_nothing(
    tenant, billing_admin, account, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = interrupted(tenant, billing_admin, DiesAfterCharge())
    [old] = queued_runs()
    # Its time long past, the run counts as lost: the next to ask queues another.
    RecurringJob.objects.update(next_run_at=timezone.now() - 2 * schedule.LOST_AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.recovery_schedule(delay=timedelta(0)) is True
    new = next(r for r in queued_runs() if r.pk != old.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued(old) == {"superseded": True}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert {r.pk for r in queued_runs()} == {new.pk}

    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued(new)["succeeded"] == 1
    assert len(queued_runs()) == 1  # its successor, which will find nothing


def test_asking_again_while_a_run_is_queued_queues_nothing(
    account, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.recovery_schedule() is True
        assert schedule.recovery_schedule() is False
        assert schedule.recovery_schedule(delay=timedelta(0)) is False
    assert len(queued_runs()) == 1


def test_with_the_immediate_backend_nothing_is_deferred_and_nothing_loops(
    tenant, billing_admin, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        interrupted(tenant, billing_admin, Unreachable())
        assert schedule.recovery_schedule() is False
        summary = payments_recover(gateway=Unreachable())
    assert summary["pending"] == 1
    assert not DBTaskResult.objects.exists()
    assert RecurringJob.objects.get().next_run_at is None


# --- auto-recharges ---------------------------------------------------------------------


def crashed_recharge(account, capture):
    """Calls take the balance below the trigger; the worker paying the recharge dies
    right after the gateway charged. (Its job is run by hand: the immediate backend
    would record the crash as a failed job instead of dying with it.)"""
    charge(account, "85")
    order = recharge_check(account=account)  # its job is never run: the worker died
    with pytest.raises(ProcessDied):
        recharge_pay(order_id=order.pk, gateway=DiesAfterCharge())
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    return order


def test_a_stale_pending_recharge_met_by_a_recharge_check_is_recovered_at_once(
    tenant, global_admin, account, django_capture_on_commit_callbacks
):
    order = crashed_recharge(account, django_capture_on_commit_callbacks)
    charge(account, "1")
    with django_capture_on_commit_callbacks(execute=True):
        assert recharge_check(account=account) is None  # young: it blocks, single-flight
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING

    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - STALE_AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        recharge_check(account=account)

    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count() == 1
    account.refresh_from_db()
    assert account.balance == Decimal("64")
    assert Notification.objects.filter(kind=NotificationKind.RECHARGE_SUCCEEDED).count() == 1
    assert [m.subject for m in mail.outbox] == ["Auto-recharge succeeded · Contoso"]
    # The balance is above the trigger again; the next drop starts the next recharge.
    charge(account, "50")
    with django_capture_on_commit_callbacks(execute=True):
        following = recharge_check(account=account)
    following.refresh_from_db()
    assert following.pk != order.pk and following.status == OrderStatus.SUCCEEDED


def test_a_stale_recharge_check_asks_for_a_run_at_once_on_the_database_queue(
    tenant, account, database_queue, django_capture_on_commit_callbacks
):
    order = crashed_recharge(account, django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()
    RecurringJob.objects.update(next_run_at=None)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - STALE_AFTER)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            recharge_check(account=account)

    [run] = queued_runs()
    assert DBTaskResult.objects.ready().filter(pk=run.pk).exists()  # as soon as a worker is free
    with django_capture_on_commit_callbacks(execute=True):
        assert run_queued(run)["recharges"] == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED


def test_a_recharge_email_lost_after_the_payment_is_sent_by_the_recovery(
    tenant, global_admin, account, django_capture_on_commit_callbacks, monkeypatch
):
    def dies(order):
        raise ProcessDied("after the commit, before the email")

    charge(account, "85")
    order = recharge_check(account=account)
    monkeypatch.setattr(auto_recharge, "recharge_notify", dies)
    with pytest.raises(ProcessDied):
        recharge_pay(order_id=order.pk)
    monkeypatch.undo()
    order = Order.objects.get(kind=OrderKind.AUTO_RECHARGE)
    assert order.status == OrderStatus.SUCCEEDED and not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert payments_recover()["notified"] == 0  # its worker may still be writing it
        later = timezone.now() + schedule.RECOVERY_INTERVAL
        assert payments_recover(at=later)["notified"] == 1
        assert payments_recover(at=later)["notified"] == 0

    assert Notification.objects.get().dedupe_key == f"recharge_succeeded:{order.pk}"
    assert len(mail.outbox) == 1
    assert LedgerEntry.objects.filter(reference_id=str(order.pk)).count() == 1


# --- the backstops keep working ---------------------------------------------------------


def test_the_daily_jobs_recover_interrupted_orders_and_recharges(
    tenant, billing_admin, account, django_capture_on_commit_callbacks
):
    top_up_order = interrupted(tenant, billing_admin, DiesAfterCharge())
    order = crashed_recharge(account, django_capture_on_commit_callbacks)
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - STALE_AFTER)

    with django_capture_on_commit_callbacks(execute=True):
        summary = daily_jobs_run()

    assert (summary["recharges_recovered"], summary["orders_recovered"]) == (1, 2)
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SUCCEEDED}
    assert SandboxCharge.objects.count() == 2
    assert top_up_order.pk != order.pk


def test_recharges_recover_still_settles_stale_recharges(
    tenant, account, django_capture_on_commit_callbacks
):
    order = crashed_recharge(account, django_capture_on_commit_callbacks)
    assert recharges_recover() == 0  # not stale yet
    with django_capture_on_commit_callbacks(execute=True):
        assert recharges_recover(at=timezone.now() + STALE_AFTER) == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
