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
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from credits.billing.choices import OrderKind, OrderStatus
from credits.billing.gateway import PaymentGateway
from credits.billing.gateway import get_gateway as _default_gateway
from credits.billing.models import BillingProfile, Order
from credits.billing.services import orders
from credits.billing.services.checks import Payment
from credits.common.dates import month_start
from credits.common.formatting import format_money, tenant_locale
from credits.common.jobs import enqueue_after_commit
from credits.exceptions import PaymentDeclined
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.lots import FundLot
from credits.notifications.choices import NotificationKind
from credits.notifications.services import notification_create

BACKOFF = timedelta(hours=6)
MAX_FAILURES_PER_DAY = 3


def _money(amount: Decimal, currency: str, tenant) -> str:
    """An amount for an email to the tenant's admins, in the tenant's conventions."""
    return format_money(amount, currency, locale=tenant_locale(tenant.country))


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
        subject=_("Your Communications Credits balance reached zero"),
        lines=[
            _("The balance is %(balance)s. New paid calls are refused until funds are added.")
            % {"balance": _money(account.balance, account.currency, account.tenant)},
        ],
    )


def _limit_notify(account: CreditAccount, now: datetime, spent: Decimal) -> None:
    month = month_start(now)
    notification_create(
        tenant=account.tenant, kind=NotificationKind.LIMIT_REACHED,
        dedupe_key=f"limit_reached:{month:%Y-%m}",
        subject=_("Monthly recharge limit reached"),
        lines=[
            _(
                "Auto-recharge has bought %(spent)s this month; another recharge of %(amount)s "
                "would pass the monthly limit of %(limit)s, so none was made. Add funds "
                "manually or raise the limit."
            )
            % {
                "spent": _money(spent, account.currency, account.tenant),
                "amount": _money(account.recharge_amount, account.currency, account.tenant),
                "limit": _money(account.monthly_recharge_limit, account.currency, account.tenant),
            },
        ],
    )


def recharge_check(*, account: CreditAccount, at: datetime | None = None) -> Order | None:
    """Start an auto-recharge if one is due and allowed; returns the pending order."""
    now = at or timezone.now()
    with transaction.atomic():
        locked = CreditAccount.objects.locked(account)
        _zero_balance_notify(locked)
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
        if profile is None:
            return None
        recharges = Order.objects.filter(tenant_id=locked.tenant_id, kind=OrderKind.AUTO_RECHARGE)
        if recharges.filter(status=OrderStatus.PENDING).exists():
            return None
        if _backing_off(locked, profile, now):
            return None
        if locked.monthly_recharge_limit is not None:
            spent = recharges.filter(
                status=OrderStatus.SUCCEEDED, created_at__gte=month_start(now)
            ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
            if spent + locked.recharge_amount > locked.monthly_recharge_limit:
                _limit_notify(locked, now, spent)
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
            return None  # another process started the recharge: single-flight
        enqueue_after_commit("recharge_pay_task", order_id=order.pk)
    return order


def recharge_pay(*, order_id: int, gateway: PaymentGateway | None = None) -> Order:
    """Pay a pending auto-recharge keyed by the order, then tell the admins."""
    gateway = gateway or _default_gateway()
    order = Order.objects.select_related("payment_method", "tenant").get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        return order
    try:
        order = orders.order_pay(order, gateway=gateway)
    except PaymentDeclined as declined:
        order = declined.order
        notification_create(
            tenant=order.tenant, kind=NotificationKind.RECHARGE_FAILED,
            dedupe_key=f"recharge_failed:{order.pk}",
            subject=_("Auto-recharge failed"),
            lines=[
                _("The auto-recharge of %(amount)s (order %(number)s) failed: %(reason)s")
                % {"amount": _money(order.amount, order.currency, order.tenant),
                   "number": order.number, "reason": order.failure_reason},
                _("No funds were added. Update the payment method on the subscription page; "
                  "auto-recharge is tried again once it changes."),
            ],
        )
        return order
    if order.status == OrderStatus.SUCCEEDED:
        account = CreditAccount.objects.get(tenant_id=order.tenant_id)
        notification_create(
            tenant=order.tenant, kind=NotificationKind.RECHARGE_SUCCEEDED,
            dedupe_key=f"recharge_succeeded:{order.pk}",
            subject=_("Auto-recharge succeeded"),
            lines=[
                _("%(amount)s was added to your Communications Credits (order %(number)s). "
                  "The balance is now %(balance)s.")
                % {"amount": _money(order.amount, order.currency, order.tenant),
                   "number": order.number,
                   "balance": _money(account.balance, account.currency, order.tenant)},
            ],
        )
    return order


def recharges_recover(*, at: datetime | None = None) -> int:
    """Pay again auto-recharges left pending by a crashed worker (same gateway key)."""
    stale = orders.orders_stale(at=at).filter(kind=OrderKind.AUTO_RECHARGE)
    count = 0
    for pk in list(stale.values_list("pk", flat=True)):
        recharge_pay(order_id=pk)
        count += 1
    return count
