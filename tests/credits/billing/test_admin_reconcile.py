"""The backoffice's Reconcile with the gateway on orders: a page asking for the reason,
then order_reconcile for each selected order, audited (who, why, before → after); an
order the gateway can't tell about stays pending and the message says so."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEvent
from credits.billing.services.checks import Payment
from credits.billing.services.orders import STALE_AFTER, gateway_key, order_place
from credits.models import CreditAccount, LedgerEntry, Order, OrderKind, OrderStatus, SandboxCharge
from credits.models import PaymentType as PT
from tests.accounts.backoffice import admin_url, form_data
from tests.accounts.factories import StaffFactory
from tests.credits.billing.gateways import FLAKY, DiesAfterCharge, FlakyGateway, ProcessDied
from tests.credits.payments import saved_card, token
from tests.credits.recharge_helpers import auto_recharge_account
from tests.html_text import parse

pytestmark = pytest.mark.django_db
REASON = "The admin called: order stuck on Processing payment"


@pytest.fixture
def staff():
    return StaffFactory(username="platform@console.example", display_name="Platform Ops")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def stuck(tenant, billing_admin):
    """An Add funds order whose card was charged, then the process died: pending."""
    auto_recharge_account(tenant, balance="100")
    with pytest.raises(ProcessDied):
        order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.TOP_UP,
            amount=Decimal("60"), payment=Payment(type=PT.CARD, card=tenant.payment_methods.get()),
            idempotency_key=token(), gateway=DiesAfterCharge(),
        )
    return Order.objects.get(kind=OrderKind.TOP_UP)


def choose(client, orders):
    return client.post(admin_url(Order, "changelist"), {
        "action": "reconcile_with_gateway", "index": "0",
        "_selected_action": [o.pk for o in orders],
    })


def confirm(client, page, reason=REASON):
    data = form_data(page.content, "operation-form")
    data["reason"] = [reason]
    return client.post(admin_url(Order, "changelist"), data, follow=True)


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_reconcile_asks_for_the_reason_first_and_changes_nothing(staff_client, stuck):
    page = choose(staff_client, [stuck])

    assert page.status_code == 200
    form = parse(page.content).by_id("operation-form")
    assert form.find_all("textarea", name="reason")
    assert stuck.number in parse(page.content).by_id("operation-objects").text
    assert Order.objects.get(pk=stuck.pk).status == OrderStatus.PENDING

    refused = staff_client.post(admin_url(Order, "changelist"),
                                form_data(page.content, "operation-form"))
    assert "Give the reason" in parse(refused.content).by_id("operation-form").text
    assert Order.objects.get(pk=stuck.pk).status == OrderStatus.PENDING
    assert not AuditEvent.objects.filter(action="credits.order_reconcile").exists()


def test_a_charge_that_went_through_completes_the_order_audited_with_who_and_why(
    staff_client, staff, tenant, stuck
):
    response = confirm(staff_client, choose(staff_client, [stuck]))

    assert shown_messages(response) == [f"Order {stuck.number} is paid: its funds were added."]
    order = Order.objects.get(pk=stuck.pk)
    assert order.status == OrderStatus.SUCCEEDED and order.last_reconciled_at
    assert SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count() == 1
    assert LedgerEntry.objects.filter(reference_id=str(order.pk)).count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("160")
    event = AuditEvent.objects.get(action="credits.order_reconcile")
    assert (event.actor, event.tenant, event.target) == (staff, tenant, f"Order {order.number}")
    assert event.before["status"] == "pending"
    assert event.after["status"] == "succeeded" and event.after["reason"] == REASON
    assert event.after["gateway_charge"] == order.gateway_charge_id


def test_when_the_gateway_cannot_tell_the_order_stays_pending_and_the_message_says_so(
    staff_client, stuck, settings, monkeypatch
):
    settings.PAYMENT_GATEWAY = FLAKY
    monkeypatch.setattr(FlakyGateway, "fault", "unreachable")

    response = confirm(staff_client, choose(staff_client, [stuck]))

    [message] = shown_messages(response)
    assert message.startswith(f"Order {stuck.number} stays pending")
    assert "can't tell" in message and "every minute" in message
    order = Order.objects.get(pk=stuck.pk)
    assert order.status == OrderStatus.PENDING and "could not tell" in order.reconcile_note
    assert not LedgerEntry.objects.filter(reference_id=str(order.pk)).exists()
    event = AuditEvent.objects.get(action="credits.order_reconcile")
    assert (event.before["status"], event.after["status"]) == ("pending", "pending")
    assert "could not tell" in event.after["note"]
    change = parse(staff_client.get(admin_url(Order, "change", order.pk)).content).text
    assert "could not tell" in change


def test_a_payment_that_never_reached_the_gateway_is_paid_now_once(staff_client, tenant):
    auto_recharge_account(tenant, balance="100")
    order = Order.objects.create(
        tenant=tenant, kind=OrderKind.TOP_UP, amount=Decimal("50"), currency="USD",
        payment_type=PT.CARD, payment_method=tenant.payment_methods.get(),
        idempotency_key=token(), fingerprint="x",
        created_at=timezone.now() - STALE_AFTER,
    )
    confirm(staff_client, choose(staff_client, [order]))
    confirm(staff_client, choose(staff_client, [order]))  # again: nothing more
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    assert AuditEvent.objects.filter(action="credits.order_reconcile").count() == 2


def test_a_refused_charge_fails_the_order_and_finished_orders_are_left_alone(
    staff_client, tenant, billing_admin
):
    auto_recharge_account(tenant, balance="100")
    declining = saved_card(tenant, "4000000000000002")
    with pytest.raises(ProcessDied):
        order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.TOP_UP,
            amount=Decimal("60"), payment=Payment(type=PT.CARD, card=declining),
            idempotency_key=token(), gateway=DiesAfterCharge(),
        )
    refused = Order.objects.get(kind=OrderKind.TOP_UP)
    paid = order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.TOP_UP, amount=Decimal("70"),
        payment=Payment(type=PT.CARD, card=tenant.payment_methods.get(last4="4242")),
        idempotency_key=token(),
    )

    response = confirm(staff_client, choose(staff_client, [refused, paid]))

    assert shown_messages(response) == [
        f"Order {refused.number} failed: The card was declined. Use another card or contact "
        "your card issuer. No funds were added.",
        f"Order {paid.number} isn't pending (Succeeded): nothing to reconcile.",
    ]
    assert Order.objects.get(pk=refused.pk).status == OrderStatus.FAILED
    assert SandboxCharge.objects.count() == 2


def test_staff_without_superuser_are_not_offered_reconcile(client, stuck):
    viewer = StaffFactory(is_superuser=False)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_order"))
    client.force_login(viewer)
    page = client.get(admin_url(Order, "changelist"))
    assert page.status_code == 200 and b"reconcile_with_gateway" not in page.content
    response = choose(client, [stuck])
    assert b'id="operation-form"' not in response.content
    assert Order.objects.get(pk=stuck.pk).status == OrderStatus.PENDING


def test_the_changelist_offers_reconcile_to_superusers(staff_client, stuck):
    page = staff_client.get(admin_url(Order, "changelist"))
    assert b"reconcile_with_gateway" in page.content
    assert "Reconcile with the gateway…" in page.content.decode()
