"""Orders: buying Communications Credits (the set-up purchase, Add funds, auto-recharge).

``order_place`` is the one way money comes in from outside, in three steps:

1. **Check** everything that can be checked without charging: the tenant's country
   (no credits in RU, KR, TW), the amount (``credits.billing.rules``), the recharge settings, the
   payment method (a saved card of the tenant and not expired, invoice, or an Enterprise
   Agreement billed in the tenant's region with a PO number), whether credits are set up.
   A refusal raises an ``OrderError`` (or ``PurchaseNotAllowed``) and writes nothing.
2. **Record** the order as *pending* (with the new card, when one was typed), in one
   transaction that holds the tenant's row lock, so two set-up purchases cannot race and
   an idempotency key is used once.
3. **Pay** through the gateway (outside any transaction: it is a network call), with the
   order as the idempotency key, then **complete** it: in one transaction the order
   becomes *succeeded* and the ledger adds the funds keyed by the order (and, for a
   set-up purchase, the credit account, the subscription, the billing profile and the
   recharge settings appear). A failed payment marks the order *failed* with the reason,
   removes a card typed for it, adds no funds and raises ``PaymentDeclined``.

**Idempotency.** The checkout form carries a token that becomes the order's
``idempotency_key``. The same key again returns the same order (a double-clicked Place
order charges once); the same key with other details raises ``OrderConflict``. A
*pending* order found again is paid again with the same gateway key, which the gateway
answers from its first result, so a crash between the charge and the completion heals on
retry without charging twice. Invoice and Enterprise Agreement orders are billed later
(on the invoice or through the agreement), so they complete at once.

**Invoices.** An invoice order needs the tenant's invoicing approval, no overdue invoice
and room within its credit limit (``checks.invoicing_check``): checked before anything is
written, and again when the order completes, under the tenant's row lock, so two orders
placed at once can't both pass the limit. A refusal then fails the order with the reason,
as a declined card does (an auto-recharge paid by invoice included). A completed invoice
order gets its ``Invoice`` (``credits.billing.services.invoices``) in the same
transaction as its funds.

**Unknown outcomes and recovery.** When the gateway doesn't answer (``GatewayUnavailable``,
a timeout, any error of its own) the order stays *pending* with a note and
``PaymentPending`` is raised: the admin is told so and may try again (``order_retry``,
the same order and key). ``order_reconcile`` settles a pending order from the gateway's
record of its charge (``charge_status`` by the order's key); the workers run it for every
order pending for over ``STALE_AFTER`` (``credits.billing.services.schedule``), the
tenant's next order does it first (``orders_recover``), and staff can run it from the
backoffice (Reconcile with the gateway).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Product, Subscription, SubscriptionStatus, Tenant
from accounts.services import audit_record
from credits.billing.choices import OrderKind, OrderStatus, PaymentType
from credits.billing.gateway import (
    CardError,
    ChargeResult,
    GatewayUnavailable,
    PaymentGateway,
    SavedCard,
)
from credits.billing.gateway import get_gateway as _default_gateway
from credits.billing.models import Order
from credits.billing.rules import (
    RechargeSettings,
    credits_available_check,
    order_amount_check,
    recharge_settings_check,
)
from credits.billing.services.accounts import credit_account_open
from credits.billing.services.checks import Payment, invoicing_check, payment_check
from credits.billing.services.invoices import invoice_issue
from credits.billing.services.payment_methods import card_forget, card_save, card_tokenize
from credits.billing.services.recharge_settings import (
    billing_profile_write,
    recharge_settings_write,
)
from credits.billing.services.schedule import STALE_AFTER, recovery_schedule
from credits.common.fingerprints import fingerprint as content_fingerprint
from credits.common.logs import event_log
from credits.exceptions import (
    CreditsAlreadySetUp,
    CreditsNotSetUp,
    OrderConflict,
    OrderError,
    PaymentDeclined,
    PaymentPending,
)
from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.selectors import credit_account_for_tenant
from credits.notifications.webhooks.events import order_succeeded_emit

if TYPE_CHECKING:
    from accounts.models import User

FUND_SOURCE = {
    OrderKind.PURCHASE: FundSource.PURCHASE,
    OrderKind.TOP_UP: FundSource.TOP_UP,
    OrderKind.AUTO_RECHARGE: FundSource.AUTO_RECHARGE,
}
MEMO = {
    OrderKind.PURCHASE: "Communications Credits purchase",
    OrderKind.TOP_UP: "Funds added manually",
    OrderKind.AUTO_RECHARGE: "Auto-recharge: the balance fell below the trigger amount",
}
KEY_MAX_LENGTH = 200
log = logging.getLogger(__name__)


def order_fingerprint(
    *,
    kind: str,
    amount: Decimal,
    currency: str,
    payment: Payment,
    recharge: RechargeSettings | None = None,
) -> str:
    """What an order asks for: the same idempotency key with another fingerprint is a
    conflict, never a second charge."""
    return content_fingerprint(
        {
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "payment": payment.identity(),
            "recharge": recharge.as_json() if recharge else None,
        }
    )


def _key_check(key: object) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX_LENGTH:
        raise OrderError(_("This form has expired. Start the purchase again."))
    return key


# ----------------------------------------------------------------------------- placing


def order_place(
    *,
    tenant: Tenant,
    acting_user: User | None,
    kind: str,
    amount: object,
    payment: Payment,
    idempotency_key: str,
    recharge: RechargeSettings | None = None,
    gateway: PaymentGateway | None = None,
) -> Order:
    """Place and pay an order; returns it *succeeded*. See the module docstring.

    Raises ``PurchaseNotAllowed`` or an ``OrderError`` (nothing written or charged),
    ``PaymentDeclined`` (the order is recorded as failed; no funds were added).
    """
    gateway = gateway or _default_gateway()
    if kind not in OrderKind.values:
        raise OrderError(f"Unknown order kind {kind!r}.")
    key = _key_check(idempotency_key)
    credits_available_check(tenant)
    amount = order_amount_check(amount, currency=tenant.currency)
    if kind == OrderKind.PURCHASE:
        recharge = recharge_settings_check(
            recharge or RechargeSettings(enabled=False), currency=tenant.currency
        )
    elif recharge is not None:
        raise OrderError("Only the set-up purchase changes the recharge settings.")
    fingerprint = order_fingerprint(
        kind=kind, amount=amount, currency=tenant.currency, payment=payment, recharge=recharge
    )

    existing = Order.objects.filter(tenant=tenant, idempotency_key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint, gateway)

    payment = payment_check(tenant, payment, amount=amount)
    orders_recover(tenant=tenant, gateway=gateway)
    try:
        _state_check(tenant, kind)
    except CreditsAlreadySetUp:
        # A concurrent press of the same button may have placed this very order since
        # the lookup above: that is a replay, not a second set-up.
        existing = Order.objects.filter(tenant=tenant, idempotency_key=key).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint, gateway)
    tokenized = None
    if payment.new_card is not None:
        tokenized = card_tokenize(
            payment.new_card, gateway=gateway, refused_suffix=_("Nothing was charged.")
        )

    try:
        order = _record(
            tenant=tenant, acting_user=acting_user, kind=kind, amount=amount, payment=payment,
            tokenized=tokenized, key=key, fingerprint=fingerprint, recharge=recharge,
        )
    except _Replay as replay:
        return _replay(replay.order, fingerprint, gateway)
    return order_pay(order, gateway=gateway)


def orders_recover(
    *, tenant: Tenant, gateway: PaymentGateway | None = None, at: datetime | None = None
) -> list[Order]:
    """Settle the tenant's orders left *pending* for over ``STALE_AFTER`` (the process
    placing them was interrupted) with ``order_reconcile``: nothing is charged twice.
    Returns them as they now stand (succeeded, failed, or still pending when the gateway
    can't tell yet)."""
    gateway = gateway or _default_gateway()
    stale = orders_stale(at=at).filter(tenant=tenant).select_related("payment_method", "tenant")
    return [order_reconcile(order, gateway=gateway, at=at) for order in stale]


def orders_stale(*, at: datetime | None = None) -> QuerySet[Order]:
    """Orders left *pending* for over ``STALE_AFTER`` at ``at`` (default now), oldest
    first: the process paying them died before it finished."""
    cutoff = (at or timezone.now()) - STALE_AFTER
    return Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).order_by(
        "pk"
    )


class _Replay(Exception):
    def __init__(self, order: Order) -> None:
        self.order = order


def _replay(order: Order, fingerprint: str, gateway: PaymentGateway) -> Order:
    if order.fingerprint != fingerprint:
        raise OrderConflict(
            _(
                "This form was already used for order %(number)s with different details, so "
                "nothing more was charged. Start again to place a new order."
            )
            % {"number": order.number}
        )
    if order.status == OrderStatus.PENDING:
        return order_pay(order, gateway=gateway)
    if order.status == OrderStatus.FAILED:
        raise _declined(order)
    return order


def _state_check(tenant: Tenant, kind: str) -> CreditAccount | None:
    account = credit_account_for_tenant(tenant)
    if kind == OrderKind.PURCHASE:
        if account is not None:
            raise CreditsAlreadySetUp(
                _("Communications Credits are already set up for your organization.")
            )
        if Order.objects.filter(
            tenant=tenant, kind=OrderKind.PURCHASE, status=OrderStatus.PENDING
        ).exists():
            raise CreditsAlreadySetUp(
                _("Another administrator is setting up Communications Credits right now.")
            )
        return None
    if account is None:
        raise CreditsNotSetUp(
            _("Set up Communications Credits first: Billing > Purchase services > Add-ons.")
        )
    if account.is_closed:
        raise CreditsNotSetUp(_("Your Communications Credits account is closed."))
    return account


def _record(
    *,
    tenant: Tenant,
    acting_user: User | None,
    kind: str,
    amount: Decimal,
    payment: Payment,
    tokenized,
    key: str,
    fingerprint: str,
    recharge: RechargeSettings | None,
) -> Order:
    """Write the pending order (and a card typed for it) under the tenant's row lock."""
    try:
        with transaction.atomic():
            Tenant.objects.lock(tenant)
            existing = Order.objects.filter(tenant=tenant, idempotency_key=key).first()
            if existing is not None:
                raise _Replay(existing)
            _state_check(tenant, kind)  # again, now that set-up purchases are serialized
            card = payment.card
            if tokenized is not None:
                card = card_save(
                    tenant=tenant, acting_user=acting_user, tokenized=tokenized,
                    holder=payment.new_card.holder,
                )
            return order_pending_create(
                tenant=tenant, kind=kind, amount=amount,
                payment=replace(payment, card=card, new_card=None),
                card_added=tokenized is not None, recharge=recharge,
                idempotency_key=key, fingerprint=fingerprint, acting_user=acting_user,
            )
    except IntegrityError:
        # The same key committed by a concurrent request between our check and insert.
        existing = Order.objects.filter(tenant=tenant, idempotency_key=key).first()
        if existing is None:
            raise
        raise _Replay(existing) from None


def order_pending_create(
    *,
    tenant: Tenant,
    kind: str,
    amount: Decimal,
    payment: Payment,
    idempotency_key: str,
    fingerprint: str,
    acting_user: User | None = None,
    recharge: RechargeSettings | None = None,
    card_added: bool = False,
    created_at: datetime | None = None,
) -> Order:
    """Write a *pending* order, inside the caller's transaction: the one way every order
    (set-up purchase, Add funds, auto-recharge) comes to exist before it is paid with
    ``order_pay``. ``payment`` is already checked and names a saved card, if any.

    Raises ``IntegrityError`` when the database refuses it (the same idempotency key, or
    a second pending auto-recharge of the tenant); callers decide what that means.

    The recovery of interrupted payments is queued in the same transaction when it isn't
    already (``credits.billing.services.schedule``), so no pending order goes unwatched."""
    recovery_schedule()
    order = Order.objects.create(
        tenant=tenant,
        kind=kind,
        status=OrderStatus.PENDING,
        amount=amount,
        currency=tenant.currency,
        payment_type=payment.type,
        payment_method=payment.card,
        card_added=card_added,
        enterprise_agreement=payment.enterprise_agreement,
        po_number=payment.po_number,
        recharge_settings=recharge.as_json() if recharge else {},
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        placed_by=acting_user if acting_user is not None and acting_user.pk else None,
        created_at=created_at or timezone.now(),
    )
    placed = {"tenant_id": tenant.pk, "order_id": order.pk, "number": order.number,
              "kind": kind, "amount": amount, "currency": order.currency,
              "payment_type": payment.type}
    transaction.on_commit(lambda: event_log(log, "order.placed", **placed))
    return order


# ------------------------------------------------------------------------------ paying


def gateway_key(order: Order) -> str:
    """The gateway's idempotency key for the order's charge (and the ledger's, too)."""
    return f"order:{order.pk}"


def order_pay(
    order: Order, *, gateway: PaymentGateway | None = None, at: datetime | None = None
) -> Order:
    """Pay a *pending* order through the gateway, keyed by the order (a retry charges
    once), then complete it (the ledger adds the funds) or mark it failed and raise
    ``PaymentDeclined``. Invoice and Enterprise Agreement orders complete at once. An
    order that is no longer pending is returned as it stands.

    ``at`` pays and completes it as of that moment instead of now (the demo's history of
    backdated orders): the card is charged as of that day, the funds and the completion
    are dated then. It must not be earlier than the account's latest entry.

    When the gateway doesn't answer (``GatewayUnavailable``, or any other error it
    raises) the charge may or may not have happened: the order stays pending with a note
    and ``PaymentPending`` is raised; ``order_retry`` or ``order_reconcile`` settle it."""
    gateway = gateway or _default_gateway()
    if order.payment_type != PaymentType.CARD:
        completed = _complete(order, charge_id="", at=at)
        if completed.failed:  # an invoice beyond the credit line: refused like a card
            raise _declined(completed)
        return completed
    card = order.payment_method
    dated = {"today": at.date()} if at is not None else {}
    try:
        result = gateway.charge(
            card=SavedCard(token=card.gateway_token, exp_month=card.exp_month,
                           exp_year=card.exp_year),
            amount=order.amount,
            currency=order.currency,
            idempotency_key=gateway_key(order),
            description=f"Communications Credits {order.number}",
            **dated,
        )
    except CardError as error:
        result = ChargeResult(
            succeeded=False, failure_code=error.code, failure_message=error.message
        )
    except Exception as error:  # noqa: BLE001 - whatever the gateway raised, the outcome is unknown
        event_log(log, "payment.no_answer", level=logging.WARNING, tenant_id=order.tenant_id,
                  order_id=order.pk, number=order.number, error=type(error).__name__)
        pending = _note(order, _gateway_silent(error))
        raise _pending(pending) from error
    event_log(log, "payment.charged" if result.succeeded else "payment.declined",
              tenant_id=order.tenant_id, order_id=order.pk, number=order.number,
              amount=order.amount, currency=order.currency, charge_id=result.charge_id or None,
              failure_code=result.failure_code or None)
    if not result.succeeded:
        failed = _fail(order, result)
        raise _declined(failed)
    return _complete(order, charge_id=result.charge_id, at=at)


def _gateway_silent(error: Exception) -> str:
    what = _("did not answer") if isinstance(error, GatewayUnavailable) else _("failed")
    return _("The payment gateway %(what)s (%(error)s): the outcome of the charge is unknown.") % {
        "what": what, "error": type(error).__name__,
    }


def _pending(order: Order) -> PaymentPending:
    return PaymentPending(
        _(
            "The payment of order %(number)s isn't confirmed yet: the payment provider didn't "
            "answer in time, so the order is pending. Try again to check it: the same order "
            "is used, so nothing is charged twice. Otherwise it is settled automatically "
            "within a few minutes."
        )
        % {"number": order.number},
        order=order,
    )


def _note(order: Order, note: str, *, checked_at: datetime | None = None) -> Order:
    """Write why a pending order is still pending (and when it was last checked)."""
    fields: dict[str, object] = {"reconcile_note": note[:300]}
    if checked_at is not None:
        fields["last_reconciled_at"] = checked_at
    Order.objects.filter(pk=order.pk, status=OrderStatus.PENDING).update(**fields)
    for name, value in fields.items():
        setattr(order, name, value)
    return order


# ------------------------------------------------------------------------- reconciling


def order_reconcile(
    order: Order,
    *,
    gateway: PaymentGateway | None = None,
    at: datetime | None = None,
    acting_user: User | None = None,
    reason: str = "",
) -> Order:
    """Settle a *pending* order from the gateway's record of its charge, asked by the
    order's idempotency key (``charge_status``); returns the order as it now stands.
    Given a ``reason`` (platform staff's Reconcile with the gateway), the check is
    audited as ``credits.order_reconcile``: who, why, the order's state before → after.

    - the charge succeeded: the order completes (the funds are added once, keyed by the
      order, as ``order_pay`` does);
    - the charge failed: the order is marked failed with the reason;
    - no charge with that key: the payment never reached the gateway. Once the order is
      older than ``STALE_AFTER`` it is paid now through ``order_pay`` with the same key
      (the admin placed it, or auto-recharge started it, and nothing was charged; the key
      makes it one charge even if the first attempt arrives late). A younger one is left
      alone: its request may still be paying it;
    - the gateway can't tell (unavailable, an error): the order stays pending with a note,
      to be checked again later.

    Invoice and Enterprise Agreement orders complete at once (no card charge). An order
    that is no longer pending is returned as it stands."""
    gateway = gateway or _default_gateway()
    now = at or timezone.now()
    order = Order.objects.select_related("payment_method", "tenant").get(pk=order.pk)
    if not reason:
        return _reconcile(order, gateway=gateway, now=now)
    before = _reconcile_state(order)
    settled = _reconcile(order, gateway=gateway, now=now)
    with transaction.atomic():
        audit_record(
            tenant=settled.tenant, actor=acting_user, action="credits.order_reconcile",
            target=f"Order {settled.number}",
            before=before, after={**_reconcile_state(settled), "reason": reason},
        )
    return settled


def _reconcile_state(order: Order) -> dict[str, str]:
    return {
        "status": str(order.status),
        "note": order.reconcile_note,
        "gateway_charge": order.gateway_charge_id,
        "failure_reason": order.failure_reason,
    }


def _reconcile(order: Order, *, gateway: PaymentGateway, now: datetime) -> Order:
    if order.status != OrderStatus.PENDING:
        return order
    if order.payment_type != PaymentType.CARD:
        return _complete(order, charge_id="", checked_at=now)
    try:
        result = gateway.charge_status(gateway_key(order))
    except Exception as error:  # noqa: BLE001 - GatewayUnavailable or any error: unknown
        event_log(log, "order.reconcile", level=logging.WARNING, tenant_id=order.tenant_id,
                  order_id=order.pk, number=order.number, outcome="unknown",
                  error=type(error).__name__)
        return _note(
            order,
            _("The payment gateway could not tell the charge's status (%(error)s); checked "
              "again later.") % {"error": type(error).__name__},
            checked_at=now,
        )
    event_log(log, "order.reconcile", tenant_id=order.tenant_id, order_id=order.pk,
              number=order.number,
              outcome="no_charge" if result is None else
              ("charged" if result.succeeded else "declined"))
    if result is not None:
        if result.succeeded:
            return _complete(order, charge_id=result.charge_id, checked_at=now)
        return _fail(order, result, checked_at=now)
    if now - order.created_at < STALE_AFTER:
        return _note(
            order,
            _("No charge yet: the payment may still be in progress; checked again later."),
            checked_at=now,
        )
    _note(order, _("No charge at the gateway: the payment was interrupted before it; "
                   "paid now with the same key."), checked_at=now)
    try:
        return order_pay(order, gateway=gateway)
    except (PaymentDeclined, PaymentPending) as outcome:
        return outcome.order


def order_retry(
    *, tenant: Tenant, idempotency_key: str, gateway: PaymentGateway | None = None
) -> Order:
    """Try again the order placed with a form's token, after its payment was left
    pending: the same order and the same gateway key, so nothing is charged twice.
    Returns it succeeded; raises ``PaymentDeclined`` (failed), ``PaymentPending`` (the
    gateway still can't tell) or ``OrderError`` (the token placed no order)."""
    gateway = gateway or _default_gateway()
    order = order_find(tenant=tenant, idempotency_key=_key_check(idempotency_key))
    if order is None:
        raise OrderError(_("This form has expired. Start the purchase again."))
    if order.status == OrderStatus.PENDING:
        return order_pay(order, gateway=gateway)
    if order.status == OrderStatus.FAILED:
        raise _declined(order)
    return order


def order_find(*, tenant: Tenant, idempotency_key: str) -> Order | None:
    """The tenant's order placed with this idempotency key (a form's token), if any."""
    return (
        Order.objects.select_related("payment_method", "tenant")
        .filter(tenant=tenant, idempotency_key=idempotency_key)
        .first()
    )


def _declined(order: Order) -> PaymentDeclined:
    return PaymentDeclined(
        _("%(reason)s Nothing was charged and no funds were added (order %(number)s).")
        % {"reason": order.failure_reason, "number": order.number},
        order=order,
        failure_code=order.failure_code,
    )


def _lock_pending(order: Order) -> Order | None:
    locked = (
        Order.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=order.pk)
    )
    return locked if locked.status == OrderStatus.PENDING else None


def _complete(
    order: Order, *, charge_id: str, checked_at: datetime | None = None,
    at: datetime | None = None,
) -> Order:
    with transaction.atomic():
        if order.payment_type == PaymentType.INVOICE:
            # The credit line: a tenant's invoice orders complete one at a time.
            Tenant.objects.lock(order.tenant)
        locked = _lock_pending(order)
        if locked is None:
            return Order.objects.get(pk=order.pk)
        if locked.payment_type == PaymentType.INVOICE:
            try:
                invoicing_check(locked.tenant, amount=locked.amount, completing=True)
            except OrderError as refusal:
                return _fail(locked, ChargeResult(
                    succeeded=False, failure_code=refusal.code, failure_message=refusal.message,
                ), checked_at=checked_at)
        tenant, actor = locked.tenant, locked.placed_by
        if locked.kind == OrderKind.PURCHASE:
            account = credit_account_open(tenant=tenant, acting_user=actor)
            _subscription_activate(tenant, actor)
            billing_profile_write(
                account=account, acting_user=actor, payment_type=locked.payment_type,
                card=locked.payment_method, agreement=locked.enterprise_agreement,
                po_number=locked.po_number,
            )
            recharge_settings_write(
                account=account, acting_user=actor,
                settings=RechargeSettings.from_json(locked.recharge_settings),
            )
        else:
            account = CreditAccount.objects.get(tenant=tenant)
        before = account.balance
        entry = ledger.funds_add(
            account=account, amount=locked.amount, currency=locked.currency,
            source=FUND_SOURCE[locked.kind], idempotency_key=gateway_key(locked),
            acting_user=actor, reference_type="order", reference_id=str(locked.pk),
            memo=f"{MEMO[locked.kind]} ({locked.number})", at=at,
        )
        locked.status = OrderStatus.SUCCEEDED
        locked.ledger_entry = entry
        locked.gateway_charge_id = charge_id
        locked.completed_at = at or timezone.now()
        locked.reconcile_note = ""
        locked.last_reconciled_at = checked_at or locked.last_reconciled_at
        locked.save(update_fields=[
            "status", "ledger_entry", "gateway_charge_id", "completed_at", "reconcile_note",
            "last_reconciled_at",
        ])
        if locked.payment_type == PaymentType.INVOICE:
            invoice_issue(order=locked, lot=entry.lot)
        audit_record(
            tenant=tenant, actor=actor, action="credits.order_succeeded",
            target=f"Order {locked.number}",
            before={"status": OrderStatus.PENDING, "balance": str(before)},
            after={
                "status": OrderStatus.SUCCEEDED,
                "kind": locked.kind,
                "amount": str(locked.amount),
                "paid_with": _paid_with(locked),
                "balance": str(account.balance),
            },
        )
        order_succeeded_emit(order=locked)
    event_log(log, "order.paid", tenant_id=locked.tenant_id, order_id=locked.pk,
              number=locked.number, kind=locked.kind, amount=locked.amount,
              currency=locked.currency, payment_type=locked.payment_type,
              entry_id=entry.pk, balance=account.balance)
    return locked


def _fail(order: Order, result: ChargeResult, *, checked_at: datetime | None = None) -> Order:
    with transaction.atomic():
        locked = _lock_pending(order)
        if locked is None:
            return Order.objects.get(pk=order.pk)
        locked.status = OrderStatus.FAILED
        locked.failure_code = (result.failure_code or "payment_failed")[:40]
        locked.failure_reason = str(
            result.failure_message or CardError(locked.failure_code).message
        )[:500]
        locked.gateway_charge_id = result.charge_id
        locked.completed_at = timezone.now()
        locked.reconcile_note = ""
        locked.last_reconciled_at = checked_at or locked.last_reconciled_at
        locked.save(
            update_fields=[
                "status", "failure_code", "failure_reason", "gateway_charge_id", "completed_at",
                "reconcile_note", "last_reconciled_at",
            ]
        )
        if locked.card_added and locked.payment_method is not None:
            # A card typed for this order is not kept when its payment fails.
            card_forget(card=locked.payment_method)
        audit_record(
            tenant=locked.tenant, actor=locked.placed_by, action="credits.order_failed",
            target=f"Order {locked.number}",
            before={"status": OrderStatus.PENDING},
            after={
                "status": OrderStatus.FAILED,
                "kind": locked.kind,
                "amount": str(locked.amount),
                "paid_with": _paid_with(locked),
                "reason": locked.failure_reason,
            },
        )
    event_log(log, "order.failed", level=logging.WARNING, tenant_id=locked.tenant_id,
              order_id=locked.pk, number=locked.number, kind=locked.kind, amount=locked.amount,
              currency=locked.currency, failure_code=locked.failure_code)
    return locked


def _paid_with(order: Order) -> str:
    if order.payment_type == PaymentType.CARD and order.payment_method is not None:
        return order.payment_method.label
    if order.payment_type == PaymentType.ENTERPRISE_AGREEMENT and order.enterprise_agreement:
        return f"{order.enterprise_agreement} (PO {order.po_number})"
    return str(order.get_payment_type_display())


def _subscription_activate(tenant: Tenant, actor: User | None) -> Subscription:
    """The tenant's Communications Credits subscription (unlimited licenses), active."""
    product = Product.objects.get(code=Product.COMMUNICATIONS_CREDITS)
    subscription, created = Subscription.objects.get_or_create(
        tenant=tenant, product=product, defaults={"seats": 0}
    )
    if not created and subscription.status == SubscriptionStatus.ACTIVE:
        return subscription
    before = {} if created else {"status": subscription.status}
    if not created:
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.ended_at = None
        subscription.save(update_fields=["status", "ended_at"])
    audit_record(
        tenant=tenant, actor=actor, action="credits.subscription_activate",
        target=f"Subscription {subscription.pk} · {product.name}",
        before=before, after={"status": SubscriptionStatus.ACTIVE, "licenses": "unlimited"},
    )
    return subscription
