"""Webhook deliveries: the signed body a receiver verifies, retries with back-off, the
sweep, and the endpoint disabled (with an email) after its deliveries failed for a day."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from credits.models import Notification, NotificationKind
from credits.notifications.webhooks.choices import WebhookDeliveryStatus as S
from credits.notifications.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    webhook_body,
    webhook_deliver,
    webhook_signature,
    webhooks_sweep,
)
from credits.notifications.webhooks.events import webhook_event_emit
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from credits.notifications.webhooks.services import (
    webhook_delivery_resend,
    webhook_endpoint_enable,
    webhook_secret_roll,
)
from tests.credits.notifications.webhooks.receiver import signature_verify

pytestmark = pytest.mark.django_db

DATA = {"amount": "100.0000", "currency": "USD", "order": "CC-000001"}


def emit(tenant, capture, *, key="k1", type="recharge.succeeded", at=None, data=None):
    with capture(execute=True):
        return webhook_event_emit(tenant=tenant, type=type, data=data or DATA, key=key, at=at)


def test_the_receiver_gets_the_signed_body_and_verifies_it(
    tenant, endpoint, receiver, django_capture_on_commit_callbacks
):
    event = emit(tenant, django_capture_on_commit_callbacks)
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request.verified
    assert request.path == "/hooks/credits"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Credits-Event-Id"] == event.public_id
    body = request.json
    assert body == {
        "id": event.public_id,
        "type": "recharge.succeeded",
        "created": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "tenant": {"id": tenant.pk, "name": "Contoso"},
        "data": DATA,
    }
    assert body["id"].startswith("evt_") and body["created"].endswith("Z")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (S.SUCCEEDED, 1, 200)
    assert delivery.duration_ms is not None and delivery.next_attempt_at is None


def test_a_wrong_secret_fails_the_receivers_check(
    tenant, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.secret = "whsec_not-the-one"
    emit(tenant, django_capture_on_commit_callbacks)
    assert receiver.received[0].verified is False
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.error) == (S.RETRYING, 400,
                                                                          "HTTP 400")


def test_the_signature_is_stripes_scheme():
    body = b'{"id":"evt_1"}'
    header = webhook_signature(secret="whsec_abc", body=body, timestamp=1700000000)
    digest = hmac.new(b"whsec_abc", b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={digest}"
    assert not signature_verify(header, body, "whsec_abc")  # too old for a receiver


def test_a_500_is_retried_a_minute_later_then_succeeds(
    tenant, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500]
    now = timezone.now()
    emit(tenant, django_capture_on_commit_callbacks, at=now)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (S.RETRYING, 1, 500)
    retry_at = delivery.next_attempt_at
    assert retry_at - delivery.last_attempt_at == timedelta(minutes=1)
    assert webhooks_sweep(at=retry_at - timedelta(seconds=5))["sent"] == 0  # not due yet
    assert webhooks_sweep(at=retry_at) == {"sent": 1, "succeeded": 1, "errors": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (S.SUCCEEDED, 2, 200)
    assert [r.json["id"] for r in receiver.received] == [delivery.event.public_id] * 2
    assert all(r.verified for r in receiver.received)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.is_enabled


def test_an_attempt_is_made_once_however_many_ask(
    tenant, endpoint, receiver, django_capture_on_commit_callbacks
):
    emit(tenant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    webhook_deliver(delivery_id=delivery.pk)
    webhooks_sweep(at=timezone.now() + timedelta(days=1))
    assert len(receiver.received) == 1


def fail_all_attempts(delivery: WebhookDelivery) -> list[timedelta]:
    """Run the sweep at each retry's time until the delivery is over; the delays seen."""
    delays = []
    delivery.refresh_from_db()
    while delivery.status == S.RETRYING:
        delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
        webhooks_sweep(at=delivery.next_attempt_at)
        delivery.refresh_from_db()
    return delays


def test_deliveries_failing_for_a_day_disable_the_endpoint_and_email_the_admins(
    tenant, endpoint, receiver, billing_admin, global_admin, django_capture_on_commit_callbacks
):
    receiver.answers = [503] * 50
    emit(tenant, django_capture_on_commit_callbacks, key="first")
    first = WebhookDelivery.objects.get()
    emit(tenant, django_capture_on_commit_callbacks, key="second",
         at=first.created_at + timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        delays = fail_all_attempts(first)
    assert delays == list(RETRY_DELAYS)  # 1 min, 5 min, 30 min, 2 h, 5 h, 10 h
    first.refresh_from_db()
    assert (first.status, first.attempts, first.response_code) == (S.FAILED, MAX_ATTEMPTS, 503)
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and endpoint.disabled_at is not None
    assert "HTTP 503" in endpoint.disabled_reason
    # The other delivery stops with it; nothing more is sent.
    second = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert (second.status, second.next_attempt_at, second.error) == (
        S.FAILED, None, "endpoint disabled")
    sent = len(receiver.received)
    assert webhooks_sweep(at=timezone.now() + timedelta(days=2))["sent"] == 0
    assert len(receiver.received) == sent
    notification = Notification.objects.get(kind=NotificationKind.WEBHOOK_DISABLED)
    assert notification.params["url"] == receiver.url
    emails = [m for m in mail.outbox if m.subject.startswith("Webhook endpoint disabled")]
    assert sorted(m.to[0] for m in emails) == sorted(
        [billing_admin.username, global_admin.username])
    assert receiver.url in emails[0].body and "HTTP 503" in emails[0].body
    assert "enable it on the Webhooks page" in emails[0].body


def test_an_endpoint_that_answers_in_between_is_not_disabled(
    tenant, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500] * 5
    emit(tenant, django_capture_on_commit_callbacks, key="first")  # attempt 1
    first = WebhookDelivery.objects.get()
    start = first.created_at
    for _ in range(4):  # attempts 2 to 5 fail too (5 answers of 500 in all)
        first.refresh_from_db()
        webhooks_sweep(at=first.next_attempt_at)
    # 10 hours in, the first's 6th attempt fails, but another event goes through.
    receiver.answers = [500, 200]
    emit(tenant, django_capture_on_commit_callbacks, key="second", at=start + timedelta(hours=10))
    webhooks_sweep(at=start + timedelta(hours=10))
    assert WebhookDelivery.objects.get(event__key="second").status == S.SUCCEEDED
    first.refresh_from_db()
    assert (first.status, first.attempts) == (S.RETRYING, 6)
    receiver.answers = [500] * 10
    with django_capture_on_commit_callbacks(execute=True):
        fail_all_attempts(first)
    first.refresh_from_db()
    assert first.status == S.FAILED
    endpoint.refresh_from_db()
    assert endpoint.is_enabled
    assert not Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED).exists()


def test_an_address_refused_at_send_time_is_a_failed_attempt_and_nothing_is_sent(
    tenant, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    """Saved while private addresses were allowed; production refuses them on sending."""
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    emit(tenant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == S.RETRYING and delivery.response_code is None
    assert "https://" in delivery.error
    assert receiver.received == []


def test_resend_sends_the_same_event_again_as_a_new_delivery(
    tenant, endpoint, receiver, billing_admin, django_capture_on_commit_callbacks
):
    event = emit(tenant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        resent = webhook_delivery_resend(delivery=delivery, acting_user=billing_admin)
    resent.refresh_from_db()
    assert resent.pk != delivery.pk and resent.status == S.SUCCEEDED
    assert [r.json["id"] for r in receiver.received] == [event.public_id] * 2


def test_a_rolled_secret_signs_from_the_next_attempt(
    tenant, endpoint, receiver, billing_admin, django_capture_on_commit_callbacks
):
    old = receiver.secret
    receiver.secret = webhook_secret_roll(endpoint=endpoint, acting_user=billing_admin)
    assert receiver.secret != old and receiver.secret.startswith("whsec_")
    emit(tenant, django_capture_on_commit_callbacks)
    assert receiver.received[0].verified
    assert not signature_verify(
        receiver.received[0].headers["Credits-Signature"], receiver.received[0].body, old)


def test_a_disabled_endpoint_gets_nothing_until_enabled_again(
    tenant, endpoint, receiver, billing_admin, django_capture_on_commit_callbacks
):
    webhook_endpoint_enable(endpoint=endpoint, acting_user=billing_admin, enabled=False)
    assert emit(tenant, django_capture_on_commit_callbacks) is None
    webhook_endpoint_enable(endpoint=endpoint, acting_user=billing_admin, enabled=True)
    emit(tenant, django_capture_on_commit_callbacks, key="k2")
    assert len(receiver.received) == 1


def test_the_body_is_json_with_amounts_as_strings(
    tenant, endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        event = webhook_event_emit(
            tenant=tenant, type="balance.low", key="low",
            data={"balance": Decimal("4.5000"), "currency": "USD"},
        )
    body = json.loads(webhook_body(event))
    assert body["data"] == {"balance": "4.5000", "currency": "USD"}
    assert WebhookEndpoint.objects.get().pk == endpoint.pk
