"""The auto-recharge engine: single-flight, payment-gated, capped, no loop.

``recharge_check`` runs after usage charges commit. Under the account's row lock it
decides whether a recharge is due (the balance fell below the trigger) and allowed:

- **single-flight**: at most one *pending* auto-recharge order per tenant; the database
  guarantees it (the partial unique constraint ``credits_order_one_pending_recharge``);
- **capped**: no recharge that would pass the monthly recharge limit (calendar month,
  UTC); the admins are told once a month;
- **failure back-off**: after a failed recharge, no new attempt until the payment method
  or the recharge settings change, or ``BACKOFF`` passes; never more than
  ``MAX_FAILURES_PER_DAY`` failed attempts in 24 hours.

It then records the pending order (``orders.order_pending_create``, the one way orders
are written) and, after the commit, enqueues ``recharge_pay``, which pays it through the
one payment path (``orders.order_pay``, keyed by the order): funds appear only once the
gateway said yes. A recharge that leaves the balance still below the trigger does not
start another: the next one is due at the next charge.

**Recovery.** A recharge whose payment was interrupted stays pending, and while it does
no other starts (single-flight). The workers' recovery settles it
(``credits.billing.services.recovery``) with ``recharge_reconcile``, which also sends its
email; a recharge check that meets a recharge pending for over ``STALE_AFTER`` asks for
that recovery at once. An email lost to a crash between the payment and the email is
sent by the recovery too (``recharges_notify_missing``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from credits.billing.choices import OrderKind, OrderStatus
from credits.billing.gateway import PaymentGateway
from credits.billing.gateway import get_gateway as _default_gateway
from credits.billing.models import BillingProfile, Order
from credits.billing.services import orders
from credits.billing.services.checks import Payment
from credits.billing.services.schedule import RECOVERY_INTERVAL, STALE_AFTER, recovery_schedule
from credits.common.dates import month_start
from credits.common.jobs import enqueue_after_commit
from credits.common.logs import event_log
from credits.exceptions import PaymentDeclined, PaymentPending
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.lots import FundLot
from credits.notifications.alerts import balance_alert_check
from credits.notifications.choices import NotificationKind
from credits.notifications.models import Notification
from credits.notifications.services import notification_create

BACKOFF = timedelta(hours=6)
MAX_FAILURES_PER_DAY = 3
# How far back the recovery looks for a finished recharge whose email was never written.
NOTIFY_WITHIN = timedelta(days=1)

log = logging.getLogger(__name__)


def _backing_off(account: CreditAccount, profile: BillingProfile, now: datetime) -> bool:
    failed = Order.objects.filter(
        tenant_id=account.tenant_id, kind=OrderKind.AUTO_RECHARGE, status=OrderStatus.FAILED,
        completed_at__gt=now - timedelta(days=1),
    ).order_by("-completed_at", "-id")
    recent = list(failed[:MAX_FAILURES_PER_DAY])
    if len(recent) >= MAX_FAILURES_PER_DAY:
        return True
    if not recent:
        return False
    last = recent[0].completed_at
    changes = [t for t in (account.recharge_settings_updated_at, profile.updated_at) if t]
    if changes and max(changes) > last:
        return False
    return now - last < BACKOFF


def _zero_balance_notify(account: CreditAccount) -> None:
    if account.balance > 0:
        return
    last_lot = FundLot.objects.filter(account=account).order_by("-id").values_list(
        "id", flat=True
    ).first()
    notification_create(
        tenant=account.tenant, kind=NotificationKind.BALANCE_ZERO,
        dedupe_key=f"balance_zero:{last_lot or 0}",
        params={"balance": str(account.balance), "currency": account.currency},
    )


def _limit_notify(account: CreditAccount, now: datetime, spent: Decimal) -> None:
    month = month_start(now)
    notification_create(
        tenant=account.tenant, kind=NotificationKind.LIMIT_REACHED,
        dedupe_key=f"limit_reached:{month:%Y-%m}",
        params={
            "spent": str(spent), "amount": str(account.recharge_amount),
            "limit": str(account.monthly_recharge_limit), "currency": account.currency,
            "month": f"{month:%Y-%m}",
        },
    )


def recharge_check(*, account: CreditAccount, at: datetime | None = None) -> Order | None:
    """Start an auto-recharge if one is due and allowed; returns the pending order."""
    now = at or timezone.now()
    with transaction.atomic():
        locked = CreditAccount.objects.locked(account)
        _zero_balance_notify(locked)
        balance_alert_check(account=locked, at=at)
        if (
            not locked.auto_recharge_enabled
            or locked.is_closed
            or locked.recharge_amount is None
            or locked.recharge_trigger is None
            or locked.balance >= locked.recharge_trigger
        ):
            return None
        profile = (
            BillingProfile.objects.select_related("card", "enterprise_agreement")
            .filter(account=locked)
            .first()
        )
        def decided(decision: str, **fields: object) -> None:
            """Log why a due recharge starts or waits (not the balances above the trigger:
            every imported call would write one)."""
            event_log(log, "auto_recharge.decision", tenant_id=locked.tenant_id,
                      account_id=locked.pk, balance=locked.balance,
                      trigger=locked.recharge_trigger, decision=decision, **fields)

        if profile is None:
            decided("skipped_no_payment_method")
            return None
        recharges = Order.objects.filter(tenant_id=locked.tenant_id, kind=OrderKind.AUTO_RECHARGE)
        pending = recharges.filter(status=OrderStatus.PENDING)
        pending_since = pending.values_list("created_at", flat=True).first()
        if pending_since is not None:
            if now - pending_since >= STALE_AFTER:
                # Its payment was interrupted: have the workers settle it now.
                recovery_schedule(delay=timedelta(0))
            decided("skipped_pending")
            return None
        if _backing_off(locked, profile, now):
            decided("skipped_backing_off")
            return None
        if locked.monthly_recharge_limit is not None:
            spent = recharges.filter(
                status=OrderStatus.SUCCEEDED, created_at__gte=month_start(now)
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
            if spent + locked.recharge_amount > locked.monthly_recharge_limit:
                _limit_notify(locked, now, spent)
                decided("skipped_monthly_limit", spent=spent,
                        limit=locked.monthly_recharge_limit)
                return None
        amount = locked.recharge_amount
        payment = Payment(
            type=profile.payment_type, card=profile.card,
            enterprise_agreement=profile.enterprise_agreement, po_number=profile.po_number,
        )
        try:
            with transaction.atomic():
                order = orders.order_pending_create(
                    tenant=locked.tenant, kind=OrderKind.AUTO_RECHARGE, amount=amount,
                    payment=payment, idempotency_key=f"auto-recharge:{uuid.uuid4()}",
                    fingerprint=orders.order_fingerprint(
                        kind=OrderKind.AUTO_RECHARGE, amount=amount,
                        currency=locked.currency, payment=payment,
                    ),
                    created_at=now,
                )
        except IntegrityError:
            decided("skipped_already_started")
            return None  # another process started the recharge: single-flight
        decided("started", order_id=order.pk, amount=amount)
        enqueue_after_commit("recharge_pay_task", order_id=order.pk)
    return order


def recharge_pay(*, order_id: int, gateway: PaymentGateway | None = None) -> Order:
    """Pay a pending auto-recharge keyed by the order, then tell the admins. When the
    gateway doesn't answer, the order stays pending for the recovery to settle."""
    gateway = gateway or _default_gateway()
    order = Order.objects.select_related("payment_method", "tenant").get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        return order
    try:
        order = orders.order_pay(order, gateway=gateway)
    except PaymentDeclined as declined:
        order = declined.order
    except PaymentPending as pending:
        return pending.order
    recharge_notify(order)
    return order


def recharge_reconcile(
    order: Order, *, gateway: PaymentGateway | None = None, at: datetime | None = None
) -> Order:
    """Settle a pending auto-recharge with the gateway (``orders.order_reconcile``), then
    tell the admins how it ended (nothing while it stays pending)."""
    order = orders.order_reconcile(order, gateway=gateway, at=at)
    recharge_notify(order)
    return order


def recharge_notify(order: Order) -> None:
    """Email the admins how an auto-recharge ended: once per order (the notification's
    key), however many times it is called; nothing for a pending one."""
    if order.status == OrderStatus.FAILED:
        notification_create(
            tenant=order.tenant, kind=NotificationKind.RECHARGE_FAILED,
            dedupe_key=f"recharge_failed:{order.pk}",
            params={"amount": str(order.amount), "currency": order.currency,
                    "order": order.number, "order_id": order.pk,
                    "reason": order.failure_reason, "reason_code": order.failure_code},
        )
    elif order.status == OrderStatus.SUCCEEDED:
        account = CreditAccount.objects.get(tenant_id=order.tenant_id)
        notification_create(
            tenant=order.tenant, kind=NotificationKind.RECHARGE_SUCCEEDED,
            dedupe_key=f"recharge_succeeded:{order.pk}",
            params={"amount": str(order.amount), "currency": order.currency,
                    "order": order.number, "order_id": order.pk,
                    "balance": str(account.balance)},
        )


def recharges_recover(*, at: datetime | None = None, gateway: PaymentGateway | None = None) -> int:
    """Settle the auto-recharges left pending for over ``STALE_AFTER`` (a crashed worker,
    a gateway that didn't answer) with ``recharge_reconcile``; returns how many it tried."""
    gateway = gateway or _default_gateway()
    stale = orders.orders_stale(at=at).filter(kind=OrderKind.AUTO_RECHARGE)
    count = 0
    for order in stale.select_related("payment_method", "tenant"):
        recharge_reconcile(order, gateway=gateway, at=at)
        count += 1
    return count


def recharges_notify_missing(*, at: datetime | None = None) -> int:
    """Email the admins about auto-recharges finished in the last day whose email was
    never written (the worker died between the payment and the email); returns how many.
    A recharge finished within the last ``RECOVERY_INTERVAL`` is left to its worker."""
    now = at or timezone.now()
    finished = Order.objects.filter(
        kind=OrderKind.AUTO_RECHARGE,
        status__in=[OrderStatus.SUCCEEDED, OrderStatus.FAILED],
        completed_at__gte=now - NOTIFY_WITHIN,
        completed_at__lt=now - RECOVERY_INTERVAL,
    ).select_related("tenant")
    keys = {_notification_key(order): order for order in finished}
    if not keys:
        return 0
    written = set(
        Notification.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True)
    )
    missing = [order for key, order in keys.items() if key not in written]
    for order in missing:
        recharge_notify(order)
    return len(missing)


def _notification_key(order: Order) -> str:
    prefix = "recharge_succeeded" if order.status == OrderStatus.SUCCEEDED else "recharge_failed"
    return f"{prefix}:{order.pk}"
