"""Fault injection on PostgreSQL: payments interrupted at every point a process, the
gateway or the database can fail, then recovered by the real worker loop (django-tasks'
``db_worker`` on the database queue) with nobody's help.

The crash points, for Add funds (a top-up), auto-recharge (its worker's job) and the
set-up purchase: the process dies before the charge; after the charge and before the
commit; after the commit and before the notification (or the response); the gateway
times out after charging (an unknown result) or can't be reached at all; the database
connection is lost in the middle (``pg_terminate_backend``), before the charge and in
the completion's transaction. Afterwards: exactly one gateway charge and one funds entry
per order, no order pending, one email per recharge, ``manage.py ledger_verify`` clean.

The recovery's durations are scaled down 60 times (2 minutes → 2 seconds before an order
is stale, 1 minute → 1 second between runs) so the worker recovers in real time within
the test; everything else is the production code path. The figures are printed (run
with ``-s``) and recorded in docs/operations.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import Error as DatabaseLayerError
from django.db import connection, connections
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts.models import AdminRole
from credits.billing.gateway import CardDetails
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.models import RecurringJob
from credits.billing.rules import RechargeSettings
from credits.billing.services import auto_recharge, orders, schedule
from credits.billing.services.auto_recharge import recharge_check, recharge_pay
from credits.billing.services.checks import Payment
from credits.billing.services.orders import gateway_key, order_place
from credits.billing.services.recovery import payments_recover
from credits.exceptions import PaymentPending
from credits.ledger import services as ledger
from credits.models import (
    LedgerEntry,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
    SandboxCharge,
)
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.concurrency import in_parallel
from tests.credits.billing.gateways import (
    FLAKY,
    AnswerLost,
    DiesAfterCharge,
    DiesBeforeCharge,
    FlakyGateway,
    ProcessDied,
    Unreachable,
)
from tests.credits.factories import charge
from tests.credits.payments import future_year, token
from tests.credits.recharge_helpers import auto_recharge_account

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCALE = 60  # production durations / test durations
RECOVERY_TASK = "credits.tasks.payments_recover_task"
SETTLE_WITHIN = 30  # seconds the test waits for the worker, at most


# --------------------------------------------------------------------------- the faults


def kill_own_connection() -> None:
    """Terminate this thread's database session from another connection, as a failover
    or a network cut would: its next query fails."""
    pid = connection.connection.info.backend_pid
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"], user=params["USER"], host=params["HOST"] or None,
        port=params["PORT"] or None, password=params["PASSWORD"] or None, autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


class ConnectionLostBeforeCharge(SandboxGateway):
    """The database connection drops on the way to the gateway."""

    def charge(self, **kwargs):
        kill_own_connection()
        return super().charge(**kwargs)


@contextmanager
def in_funds_add(fault: Callable[[], None]) -> Iterator[None]:
    """``fault`` strikes right after the ledger wrote the funds, inside the completion's
    transaction: before its commit."""
    real = ledger.funds_add

    def funds_add(**kwargs):
        entry = real(**kwargs)
        fault()
        return entry

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger, "funds_add", funds_add)
        yield


def process_dies() -> None:
    raise ProcessDied("after the charge, before the commit")


@contextmanager
def survives_a_lost_connection() -> Iterator[None]:
    """The request (or job) dies of its lost connection; the next one gets a new one."""
    try:
        yield
    except DatabaseLayerError:
        pass
    else:
        raise AssertionError("the lost connection went unnoticed")
    finally:
        connection.close()


# --------------------------------------------------------------------------- the setting


@pytest.fixture
def scaled(monkeypatch, settings):
    """The recovery's durations 60 times shorter, the database queue, the sandbox."""
    stale = schedule.STALE_AFTER / SCALE
    interval = schedule.RECOVERY_INTERVAL / SCALE
    for module in (schedule, orders, auto_recharge):
        monkeypatch.setattr(module, "STALE_AFTER", stale)
    for module in (schedule, auto_recharge):
        monkeypatch.setattr(module, "RECOVERY_INTERVAL", interval)
    monkeypatch.setattr(schedule, "FIRST_RUN_AFTER", schedule.FIRST_RUN_AFTER / SCALE)
    monkeypatch.setattr(schedule, "LOST_AFTER", schedule.LOST_AFTER / SCALE)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PAYMENT_GATEWAY = FLAKY
    monkeypatch.setattr(FlakyGateway, "fault", None)
    assert connection.vendor == "postgresql"
    return stale, interval


@contextmanager
def worker_running(count: int = 1) -> Iterator[list[Worker]]:
    """``count`` db_worker loops in threads (as ``manage.py db_worker --queue-name '*'``
    processes would run), each with its own database connection."""
    workers = [
        Worker(queue_names=["*"], interval=0.05, batch=False, backend_name="default",
               startup_delay=False, max_tasks=None, worker_id=f"fault-worker-{n}",
               excluded_queue_names=[])
        for n in range(count)
    ]

    def loop(worker: Worker) -> None:
        try:
            worker.run()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        yield workers
    finally:
        for worker in workers:
            worker.running = False
        for thread in threads:
            thread.join(timeout=10)


def queued_recovery_runs() -> int:
    return DBTaskResult.objects.filter(
        task_path=RECOVERY_TASK, status=TaskResultStatus.READY
    ).count()


def wait_until(condition: Callable[[], bool], *, watch: Callable[[], None] = lambda: None):
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_WITHIN:
        watch()
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not settled within {SETTLE_WITHIN} s")


def settled(expected_recharge_emails: int) -> Callable[[], bool]:
    def check() -> bool:
        return (
            not Order.objects.filter(status=OrderStatus.PENDING).exists()
            and Notification.objects.filter(
                kind=NotificationKind.RECHARGE_SUCCEEDED
            ).count() == expected_recharge_emails
        )
    return check


def assert_recovered(*, orders_expected: int, recharges: int) -> None:
    all_orders = list(Order.objects.all())
    assert len(all_orders) == orders_expected
    for order in all_orders:
        assert order.status == OrderStatus.SUCCEEDED, (order, order.reconcile_note)
        assert SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count() == 1
        assert LedgerEntry.objects.filter(
            reference_type="order", reference_id=str(order.pk)
        ).count() == 1
    assert SandboxCharge.objects.count() == orders_expected
    emails = Notification.objects.filter(kind=NotificationKind.RECHARGE_SUCCEEDED)
    assert emails.count() == recharges
    assert len({n.dedupe_key for n in emails}) == recharges
    call_command("ledger_verify")


# --------------------------------------------------------------------------- scenarios


def _tenant(name: str):
    tenant = TenantFactory(name=name, slug=name.lower().replace(" ", "-"))
    admin = AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN])
    return tenant, admin


def _top_up(tenant, admin, gateway=None, *, amount="60"):
    return order_place(
        tenant=tenant, acting_user=admin, kind=OrderKind.TOP_UP, amount=Decimal(amount),
        payment=Payment(type=PaymentType.CARD, card=tenant.payment_methods.get()),
        idempotency_key=token(), gateway=gateway,
    )


def top_up_scenario(name: str, crash: Callable) -> Callable[[], None]:
    """An organization with credits whose Add funds is interrupted by ``crash``."""

    def run() -> None:
        tenant, admin = _tenant(name)
        auto_recharge_account(tenant, balance="100", amount="50", trigger="20")
        crash(tenant, admin)

    return run


def recharge_scenario(name: str, crash: Callable) -> Callable[[], None]:
    """Calls take an organization below its trigger; the worker paying the recharge is
    interrupted by ``crash`` (its job stays claimed by the dead worker)."""

    def run() -> None:
        tenant, _ = _tenant(name)
        account = auto_recharge_account(tenant, balance="100", amount="50", trigger="20")
        charge(account, "85")
        order = recharge_check(account=account)
        job = DBTaskResult.objects.get(
            task_path="credits.tasks.recharge_pay_task", status=TaskResultStatus.READY,
            args_kwargs__kwargs__order_id=order.pk,
        )
        job.claim("dead-worker")
        job.save()
        crash(order)

    return run


def _dies(gateway):
    def crash(tenant, admin):
        with pytest.raises(ProcessDied):
            _top_up(tenant, admin, gateway)
    return crash


def _pending(gateway):
    def crash(tenant, admin):
        with pytest.raises(PaymentPending):
            _top_up(tenant, admin, gateway)
    return crash


def _dies_before_commit(tenant, admin):
    with in_funds_add(process_dies), pytest.raises(ProcessDied):
        _top_up(tenant, admin)


def _connection_lost_before_charge(tenant, admin):
    with survives_a_lost_connection():
        _top_up(tenant, admin, ConnectionLostBeforeCharge())


def _connection_lost_before_commit(tenant, admin):
    with survives_a_lost_connection(), in_funds_add(kill_own_connection):
        _top_up(tenant, admin)


def _dies_after_commit(tenant, admin):
    assert _top_up(tenant, admin).status == OrderStatus.SUCCEEDED  # then the response is lost


def _recharge_dies(gateway):
    def crash(order):
        with pytest.raises(ProcessDied):
            recharge_pay(order_id=order.pk, gateway=gateway)
    return crash


def _recharge_dies_before_commit(order):
    with in_funds_add(process_dies), pytest.raises(ProcessDied):
        recharge_pay(order_id=order.pk)


def _recharge_dies_before_email(order):
    with pytest.MonkeyPatch.context() as patch, pytest.raises(ProcessDied):
        patch.setattr(auto_recharge, "recharge_notify", lambda order: process_dies())
        recharge_pay(order_id=order.pk)


def _recharge_unanswered(order):
    assert recharge_pay(order_id=order.pk, gateway=AnswerLost()).status == "pending"


def _recharge_connection_lost(order):
    with survives_a_lost_connection(), in_funds_add(kill_own_connection):
        recharge_pay(order_id=order.pk)


def _set_up_unanswered():
    tenant, admin = _tenant("Set up unanswered")
    card = Payment(type=PaymentType.CARD, new_card=CardDetails(
        number="4242424242424242", exp_month=12, exp_year=future_year(), cvc="123",
    ))
    with pytest.raises(PaymentPending):
        order_place(
            tenant=tenant, acting_user=admin, kind=OrderKind.PURCHASE, amount=Decimal("100"),
            payment=card, idempotency_key=token(), gateway=AnswerLost(),
            recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
        )


SCENARIOS: dict[str, Callable[[], None]] = {
    "add funds: dies before the charge": top_up_scenario(
        "Before charge", _dies(DiesBeforeCharge())),
    "add funds: dies after the charge, before the commit": top_up_scenario(
        "After charge", _dies(DiesAfterCharge())),
    "add funds: dies in the completion, before its commit": top_up_scenario(
        "Before commit", _dies_before_commit),
    "add funds: dies after the commit, before the response": top_up_scenario(
        "After commit", _dies_after_commit),
    "add funds: gateway timeout after charging (unknown result)": top_up_scenario(
        "Answer lost", _pending(AnswerLost())),
    "add funds: gateway unreachable": top_up_scenario("Unreachable", _pending(Unreachable())),
    "add funds: database connection lost before the charge": top_up_scenario(
        "Connection before charge", _connection_lost_before_charge),
    "add funds: database connection lost before the commit": top_up_scenario(
        "Connection before commit", _connection_lost_before_commit),
    "auto-recharge: worker dies before the charge": recharge_scenario(
        "Recharge before charge", _recharge_dies(DiesBeforeCharge())),
    "auto-recharge: worker dies after the charge": recharge_scenario(
        "Recharge after charge", _recharge_dies(DiesAfterCharge())),
    "auto-recharge: worker dies before the commit": recharge_scenario(
        "Recharge before commit", _recharge_dies_before_commit),
    "auto-recharge: worker dies after the commit, before the email": recharge_scenario(
        "Recharge before email", _recharge_dies_before_email),
    "auto-recharge: gateway timeout after charging": recharge_scenario(
        "Recharge answer lost", _recharge_unanswered),
    "auto-recharge: database connection lost before the commit": recharge_scenario(
        "Recharge connection", _recharge_connection_lost),
    "set-up purchase: gateway timeout after charging": _set_up_unanswered,
}
RECHARGES = sum(name.startswith("auto-recharge") for name in SCENARIOS)


# ------------------------------------------------------------------------------- tests


def test_every_interrupted_payment_is_recovered_by_the_worker_alone(scaled, capsys):
    stale, interval = scaled
    for run in SCENARIOS.values():
        run()
    crashed_at = time.monotonic()
    pending = Order.objects.filter(status=OrderStatus.PENDING).count()
    committed = [name for name in SCENARIOS if "after the commit" in name]
    assert pending == len(SCENARIOS) - len(committed)  # those died after their commit
    assert queued_recovery_runs() == 1

    most_queued = [0]

    def watch() -> None:
        most_queued[0] = max(most_queued[0], queued_recovery_runs())

    with worker_running(count=2):
        waited = wait_until(settled(RECHARGES), watch=watch)
        elapsed = time.monotonic() - crashed_at
        # Nothing pending any more: the recurring run stops after one more look.
        time.sleep(3 * interval.total_seconds())
        assert RecurringJob.objects.get().next_run_at is None
        assert queued_recovery_runs() == 0

    assert_recovered(orders_expected=len(SCENARIOS), recharges=RECHARGES)
    assert most_queued[0] <= 1  # one recovery run queued at a time, never more
    longest = max(o.completed_at - o.created_at for o in Order.objects.all()).total_seconds()
    sent = [m for m in mail.outbox if m.subject.startswith("Auto-recharge succeeded")]
    assert len(sent) == RECHARGES  # one email each (one notified admin per organization)
    bound = stale + 2 * interval
    with capsys.disabled():
        print(
            f"\nfault injection: {len(SCENARIOS)} scenarios, {pending} orders left pending; "
            f"all settled {elapsed:.2f} s after the last crash (the workers ran "
            f"{waited:.2f} s); the longest an order stayed pending: {longest:.2f} s, with "
            f"durations scaled 1:{SCALE}: about {longest * SCALE / 60:.1f} min in production "
            f"(bound {bound.total_seconds() * SCALE / 60:.0f} min)"
        )
    assert longest <= bound.total_seconds() + 2  # + the workers' polling and the runs


def test_a_gateway_outage_keeps_orders_pending_until_it_answers_again(scaled, capsys):
    stale, interval = scaled
    for name in ("Outage one", "Outage two", "Outage three"):
        top_up_scenario(name, _pending(Unreachable()))()
    FlakyGateway.fault = "unreachable"

    with worker_running():
        time.sleep((stale + 2 * interval).total_seconds())
        still = list(Order.objects.filter(status=OrderStatus.PENDING))
        assert len(still) == 3
        assert all("could not tell" in o.reconcile_note and o.last_reconciled_at for o in still)
        assert not SandboxCharge.objects.exists()
        # It keeps checking, one run at a time (none queued for the instant between a
        # worker claiming a run and that run queuing the next).
        assert queued_recovery_runs() <= 1
        assert DBTaskResult.objects.filter(
            task_path=RECOVERY_TASK, status=TaskResultStatus.SUCCESSFUL
        ).count() >= 2

        FlakyGateway.fault = None
        back = time.monotonic()
        wait_until(settled(0))
        after_outage = time.monotonic() - back

    assert_recovered(orders_expected=3, recharges=0)
    with capsys.disabled():
        print(f"\ngateway outage: 3 orders pending through it, all settled {after_outage:.2f} s "
              f"after the gateway answered again (scaled 1:{SCALE})")
    assert after_outage <= interval.total_seconds() + 2


def test_recovery_runs_at_the_same_moment_charge_and_fund_each_order_once(scaled):
    stale, _ = scaled
    for n in range(12):
        top_up_scenario(f"Parallel {n}", _dies(DiesAfterCharge() if n % 2 else
                                                DiesBeforeCharge()))()
    Order.objects.update(created_at=Order.objects.first().created_at - stale)

    results = in_parallel(lambda n: payments_recover(), 6)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert_recovered(orders_expected=12, recharges=0)


def test_a_lost_connection_in_the_recovery_itself_is_recovered_by_the_next_run(scaled):
    stale, _ = scaled
    top_up_scenario("Lost in recovery", _dies(DiesAfterCharge()))()
    Order.objects.update(created_at=Order.objects.get().created_at - stale)

    with survives_a_lost_connection(), in_funds_add(kill_own_connection):
        orders.order_reconcile(Order.objects.get())
    assert Order.objects.get().status == OrderStatus.PENDING

    with worker_running():
        wait_until(settled(0))
    assert_recovered(orders_expected=1, recharges=0)

