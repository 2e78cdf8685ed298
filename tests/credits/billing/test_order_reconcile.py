"""order_reconcile settles a pending order from the gateway's record of its charge (by the
order's idempotency key); order_pay leaves an order pending when the gateway doesn't
answer; order_retry tries the same order again. Funds are added once, a card charged
once, whatever happened in between."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.services.checks import Payment
from credits.billing.services.orders import (
    STALE_AFTER,
    gateway_key,
    order_place,
    order_reconcile,
    order_retry,
    orders_recover,
)
from credits.exceptions import OrderError, PaymentDeclined, PaymentPending
from credits.models import (
    CreditAccount,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
    SandboxCharge,
)
from tests.credits.billing.gateways import (
    AnswerLost,
    Broken,
    DiesAfterCharge,
    DiesBeforeCharge,
    ProcessDied,
    Unreachable,
)
from tests.credits.payments import DECLINED, agreement, invoicing_approved, saved_card, token
from tests.credits.recharge_helpers import auto_recharge_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(tenant):
    """Contoso with credits set up (a balance of 100) and a Visa card on file."""
    return auto_recharge_account(tenant, balance="100", amount="50", trigger="20")


def top_up(tenant, user, *, amount="60", card=None, key=None, gateway=None):
    card = card or tenant.payment_methods.get()
    return order_place(
        tenant=tenant, acting_user=user, kind=OrderKind.TOP_UP, amount=Decimal(amount),
        payment=Payment(type=PaymentType.CARD, card=card), idempotency_key=key or token(),
        gateway=gateway,
    )


def interrupted(tenant, user, gateway, **kwargs) -> Order:
    """A top-up whose payment was interrupted by ``gateway``'s fault, made stale."""
    with pytest.raises((ProcessDied, PaymentPending)):
        top_up(tenant, user, gateway=gateway, **kwargs)
    order = Order.objects.get(kind=OrderKind.TOP_UP)
    assert order.status == OrderStatus.PENDING
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - STALE_AFTER)
    order.refresh_from_db()
    return order


def funds_entries(order) -> int:
    return LedgerEntry.objects.filter(reference_type="order", reference_id=str(order.pk)).count()


def charges(order) -> int:
    return SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count()


def balance(tenant) -> Decimal:
    return CreditAccount.objects.get(tenant=tenant).balance


# --- what the gateway's record says ----------------------------------------------------


def test_a_charge_that_went_through_completes_the_order_with_its_funds_once(
    tenant, billing_admin, account
):
    order = interrupted(tenant, billing_admin, DiesAfterCharge())
    assert charges(order) == 1 and funds_entries(order) == 0 and balance(tenant) == 100

    settled = order_reconcile(order)

    assert settled.status == OrderStatus.SUCCEEDED and settled.last_reconciled_at
    assert settled.gateway_charge_id == SandboxCharge.objects.get().charge_id
    assert charges(order) == 1 and funds_entries(order) == 1
    assert balance(tenant) == Decimal("160")
    assert order_reconcile(order).status == OrderStatus.SUCCEEDED  # again: nothing more
    assert charges(order) == 1 and funds_entries(order) == 1 and balance(tenant) == 160
    assert AuditEvent.objects.filter(action="credits.order_succeeded",
                                     target=f"Order {order.number}").count() == 1


def test_a_refused_charge_fails_the_order_with_the_reason_and_adds_nothing(
    tenant, billing_admin, account
):
    card = saved_card(tenant, DECLINED)
    order = interrupted(tenant, billing_admin, DiesAfterCharge(), card=card)
    assert SandboxCharge.objects.get().succeeded is False

    settled = order_reconcile(order)

    assert settled.status == OrderStatus.FAILED and settled.failure_code == "card_declined"
    assert "declined" in settled.failure_reason
    assert funds_entries(order) == 0 and balance(tenant) == 100 and charges(order) == 1


def test_a_payment_that_never_reached_the_gateway_is_paid_now_with_the_same_key(
    tenant, billing_admin, account
):
    order = interrupted(tenant, billing_admin, DiesBeforeCharge())
    assert charges(order) == 0

    settled = order_reconcile(order)

    assert settled.status == OrderStatus.SUCCEEDED
    assert charges(order) == 1 and funds_entries(order) == 1 and balance(tenant) == 160


def test_a_young_order_without_a_charge_is_left_to_the_request_still_paying_it(
    tenant, billing_admin, account
):
    with pytest.raises(ProcessDied):
        top_up(tenant, billing_admin, gateway=DiesBeforeCharge())
    order = Order.objects.get(kind=OrderKind.TOP_UP)

    settled = order_reconcile(order)

    assert settled.status == OrderStatus.PENDING and charges(order) == 0
    assert "still be in progress" in settled.reconcile_note and settled.last_reconciled_at


def test_a_gateway_that_cannot_tell_leaves_the_order_pending_with_a_note(
    tenant, billing_admin, account
):
    order = interrupted(tenant, billing_admin, DiesAfterCharge())

    settled = order_reconcile(order, gateway=Unreachable())

    assert settled.status == OrderStatus.PENDING
    assert "could not tell" in settled.reconcile_note and settled.last_reconciled_at
    assert funds_entries(order) == 0 and balance(tenant) == 100
    stored = Order.objects.get(pk=order.pk)
    assert stored.reconcile_note == settled.reconcile_note

    # Once the gateway answers again, the next reconciliation completes it.
    assert order_reconcile(order).status == OrderStatus.SUCCEEDED
    assert Order.objects.get(pk=order.pk).reconcile_note == ""
    assert charges(order) == 1 and funds_entries(order) == 1


def test_invoice_and_agreement_orders_complete_at_once_without_a_charge(tenant, account):
    invoicing_approved(tenant)
    ea = agreement(tenant)
    for payment_type, extra in (
        (PaymentType.INVOICE, {}),
        (PaymentType.ENTERPRISE_AGREEMENT, {"enterprise_agreement": ea, "po_number": "PO-1"}),
    ):
        order = Order.objects.create(
            tenant=tenant, kind=OrderKind.TOP_UP, amount=Decimal("50"), currency="USD",
            payment_type=payment_type, idempotency_key=token(), fingerprint="x", **extra,
        )
        assert order_reconcile(order, gateway=Unreachable()).status == OrderStatus.SUCCEEDED
        assert funds_entries(order) == 1
    assert not SandboxCharge.objects.exists() and balance(tenant) == 200


def test_a_finished_order_is_returned_as_it_stands(tenant, billing_admin, account):
    order = top_up(tenant, billing_admin)
    assert order_reconcile(order, gateway=Unreachable()).status == OrderStatus.SUCCEEDED
    assert charges(order) == 1 and funds_entries(order) == 1


# --- the gateway doesn't answer the charge ---------------------------------------------


@pytest.mark.parametrize("gateway", [Unreachable(), AnswerLost(), Broken()],
                         ids=["unreachable", "answer-lost", "gateway-error"])
def test_an_unanswered_charge_leaves_the_order_pending_and_a_retry_charges_once(
    tenant, billing_admin, account, gateway
):
    key = token()
    with pytest.raises(PaymentPending) as pending:
        top_up(tenant, billing_admin, key=key, gateway=gateway)
    order = pending.value.order
    assert order.status == OrderStatus.PENDING and order.number in pending.value.message
    assert "nothing is charged twice" in pending.value.message
    assert Order.objects.get(pk=order.pk).reconcile_note.startswith("The payment gateway")
    assert funds_entries(order) == 0 and balance(tenant) == 100

    retried = order_retry(tenant=tenant, idempotency_key=key)

    assert retried.pk == order.pk and retried.status == OrderStatus.SUCCEEDED
    assert charges(order) == 1 and funds_entries(order) == 1 and balance(tenant) == 160
    # The same form sent again replays the order: still one charge.
    assert top_up(tenant, billing_admin, key=key).pk == order.pk
    assert SandboxCharge.objects.count() == 1 and balance(tenant) == 160


def test_a_retry_of_a_declined_order_is_declined_without_a_second_attempt(
    tenant, billing_admin, account
):
    key = token()
    with pytest.raises(PaymentDeclined):
        top_up(tenant, billing_admin, key=key, card=saved_card(tenant, DECLINED))
    with pytest.raises(PaymentDeclined):
        order_retry(tenant=tenant, idempotency_key=key)
    assert SandboxCharge.objects.count() == 1


def test_a_retry_of_another_tenants_token_finds_nothing(tenant, other_tenant, billing_admin,
                                                        account):
    key = token()
    top_up(tenant, billing_admin, key=key)
    with pytest.raises(OrderError):
        order_retry(tenant=other_tenant, idempotency_key=key)


def test_the_tenants_next_order_settles_its_interrupted_ones_first(
    tenant, billing_admin, account
):
    order = interrupted(tenant, billing_admin, DiesAfterCharge())

    top_up(tenant, billing_admin, amount="70")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 2 and balance(tenant) == Decimal("230")


def test_orders_recover_leaves_an_order_the_gateway_cannot_tell_about_pending(
    tenant, billing_admin, account
):
    order = interrupted(tenant, billing_admin, DiesAfterCharge())
    [still] = orders_recover(tenant=tenant, gateway=Unreachable())
    assert still.pk == order.pk and still.status == OrderStatus.PENDING
    assert [o.status for o in orders_recover(tenant=tenant)] == [OrderStatus.SUCCEEDED]


def test_the_sandbox_reports_a_charge_by_its_key():
    assert SandboxGateway().charge_status("order:unknown") is None


def test_an_order_just_stale_is_paid_one_just_young_is_not(tenant, billing_admin, account):
    with pytest.raises(ProcessDied):
        top_up(tenant, billing_admin, gateway=DiesBeforeCharge())
    order = Order.objects.get(kind=OrderKind.TOP_UP)
    young = order.created_at + STALE_AFTER - timedelta(seconds=1)
    assert order_reconcile(order, at=young).status == OrderStatus.PENDING
    assert order_reconcile(order, at=order.created_at + STALE_AFTER).status == "succeeded"
