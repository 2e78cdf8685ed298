"""Emitting webhook events: once per key, only to enabled endpoints that subscribe, from
the notifications, the orders and the daily expiry run."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.daily import daily_jobs_run
from credits.models import NotificationKind, OrderKind, PaymentType
from credits.notifications.services import notification_create
from credits.notifications.webhooks.choices import WebhookEventType as E
from credits.notifications.webhooks.events import NOTIFICATION_EVENTS, webhook_event_emit
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEvent
from credits.notifications.webhooks.services import webhook_endpoint_create
from tests.credits.factories import T0, fund
from tests.credits.payments import saved_card, token

pytestmark = pytest.mark.django_db


def test_an_event_is_recorded_once_per_key_with_a_delivery_per_subscribed_endpoint(
    tenant, billing_admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    other, _ = webhook_endpoint_create(
        tenant=tenant, acting_user=billing_admin, url=receiver.url + "/other",
        events=[E.FUNDS_EXPIRED],
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = webhook_event_emit(tenant=tenant, type=E.BALANCE_LOW, data={}, key="low:1")
        again = webhook_event_emit(tenant=tenant, type=E.BALANCE_LOW, data={}, key="low:1")
    assert first is not None and again is None
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [endpoint.pk]
    assert len(queued) == 1  # one task, after the commit
    assert other.pk not in WebhookDelivery.objects.values_list("endpoint", flat=True)


def test_nothing_is_recorded_for_a_tenant_without_an_endpoint_that_wants_it(
    tenant, other_tenant, endpoint
):
    assert webhook_event_emit(tenant=other_tenant, type=E.BALANCE_LOW, data={}, key="x") is None
    assert WebhookEvent.objects.count() == 0
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        webhook_event_emit(tenant=tenant, type="balance.bogus", data={}, key="y")


@pytest.mark.parametrize(("kind", "event_type"), list(NOTIFICATION_EVENTS.items()))
def test_notifications_emit_their_event_with_their_parameters(
    tenant, endpoint, kind, event_type, django_capture_on_commit_callbacks
):
    params = {
        NotificationKind.RECHARGE_SUCCEEDED: {"amount": "50.0000", "currency": "USD",
                                              "order": "CC-1", "balance": "70.0000"},
        NotificationKind.RECHARGE_FAILED: {"amount": "50.0000", "currency": "USD",
                                           "order": "CC-1", "reason": "Declined"},
        NotificationKind.BALANCE_ZERO: {"balance": "-0.1200", "currency": "USD"},
        NotificationKind.EXPIRY_REMINDER: {
            "days": 7, "remaining": "5.0000", "currency": "USD", "lot_id": 1,
            "bought": "2025-01-15T12:00:00+00:00", "expires": "2026-01-15T12:00:00+00:00",
            "left": 6},
        NotificationKind.BALANCE_LOW: {"balance": "4.0000", "threshold": "10.0000",
                                       "currency": "USD"},
        NotificationKind.SPEND_ANOMALY: {
            "day": "2026-11-29", "spend": "90.0000", "average": "10.0000", "multiplier": 3,
            "currency": "USD", "over_average": True},
    }[kind]
    with django_capture_on_commit_callbacks(execute=False):
        notification_create(tenant=tenant, kind=kind, dedupe_key="n:1", params=params)
    event = WebhookEvent.objects.get()
    assert (event.type, event.data, event.key) == (event_type, params, "notification:n:1")


def test_a_kind_that_is_no_webhook_event_emits_none(
    tenant, endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notification_create(tenant=tenant, kind=NotificationKind.LIMIT_REACHED, dedupe_key="m",
                            params={"spent": "1", "amount": "1", "limit": "1",
                                    "currency": "USD"})
    assert WebhookEvent.objects.count() == 0  # no webhook event for this kind


def test_a_paid_order_emits_order_succeeded(
    tenant, billing_admin, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
            amount=Decimal("100"), payment=Payment(type=PaymentType.CARD,
                                                   card=saved_card(tenant)),
            idempotency_key=token(), recharge=RechargeSettings(enabled=False),
        )
    event = WebhookEvent.objects.get(type=E.ORDER_SUCCEEDED)
    assert event.data["order"] == order.number
    assert (event.data["amount"], event.data["currency"], event.data["kind"]) == (
        "100.0000", "USD", "purchase")
    bodies = [r.json for r in receiver.received if r.json["type"] == "order.succeeded"]
    assert len(bodies) == 1 and bodies[0]["data"]["order"] == order.number


def test_the_daily_expiry_run_emits_funds_expired_once(
    tenant, account, endpoint, django_capture_on_commit_callbacks
):
    lot = fund(account, "100", at=T0).lot
    with django_capture_on_commit_callbacks(execute=False):
        summary = daily_jobs_run(at=lot.expires_at + timedelta(hours=1))
        again = daily_jobs_run(at=lot.expires_at + timedelta(hours=2))
    assert (summary["expired_entries"], summary["webhooks_expired"]) == (1, 1)
    assert again["webhooks_expired"] == 0
    event = WebhookEvent.objects.get(type=E.FUNDS_EXPIRED)
    assert event.data["amount"] == "100.0000" and event.data["currency"] == "USD"
    assert event.data["lot_id"] == lot.pk and event.data["balance"] == "0.0000"
