"""Emitting webhook events: ``webhook_event_emit`` records an event once per key and one
delivery per enabled endpoint of the tenant subscribed to its type, each sent by a worker
after the commit (``credits.notifications.webhooks.delivery``).

The notifications emit theirs as they are recorded (``NOTIFICATION_EVENTS``: the
notification's parameters are the event's data); orders and the daily expiry run emit
``order.succeeded`` and ``funds.expired`` themselves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Tenant
from credits.common.jobs import enqueue_after_commit
from credits.ledger.choices import EntryKind
from credits.ledger.models.entries import LedgerEntry
from credits.notifications.choices import NotificationKind
from credits.notifications.webhooks.choices import WebhookEventType
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

DELIVER_TASK = "webhook_deliver_task"

# The notification kinds that are also webhook events.
NOTIFICATION_EVENTS: dict[str, str] = {
    NotificationKind.RECHARGE_SUCCEEDED: WebhookEventType.RECHARGE_SUCCEEDED,
    NotificationKind.RECHARGE_FAILED: WebhookEventType.RECHARGE_FAILED,
    NotificationKind.BALANCE_ZERO: WebhookEventType.BALANCE_DEPLETED,
    NotificationKind.EXPIRY_REMINDER: WebhookEventType.FUNDS_EXPIRING,
    NotificationKind.BALANCE_LOW: WebhookEventType.BALANCE_LOW,
    NotificationKind.SPEND_ANOMALY: WebhookEventType.SPEND_ANOMALY,
}


def json_safe(data: dict) -> dict:
    """``data`` as JSON reads it back: Decimals as strings, dates in ISO 8601."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def webhook_event_emit(
    *, tenant: Tenant, type: str, data: dict, key: str, at: datetime | None = None
) -> WebhookEvent | None:
    """Record the event ``type`` once per ``key`` (per tenant) with one delivery per
    enabled endpoint subscribed to it, each queued after the commit. Nothing is written
    when no endpoint of the tenant wants it, or the key was emitted already (``None``)."""
    if type not in WebhookEventType.values:
        raise ValueError(f"Unknown webhook event type {type!r}.")
    endpoints = [
        endpoint for endpoint in WebhookEndpoint.objects.for_tenant(tenant).enabled()
        if endpoint.subscribes_to(type)
    ]
    if not endpoints:
        return None
    now = at or timezone.now()
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                tenant=tenant, key=key[:200], type=type, data=json_safe(data), created_at=now
            )
            deliveries = WebhookDelivery.objects.bulk_create(
                [WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now,
                                 created_at=now) for endpoint in endpoints]
            )
    except IntegrityError:
        return None
    for delivery in deliveries:
        enqueue_after_commit(DELIVER_TASK, delivery_id=delivery.pk)
    return event


def notification_event_emit(*, tenant: Tenant, kind: str, dedupe_key: str, params: dict) -> None:
    """The webhook event of a notification just recorded, if its kind is one."""
    event_type = NOTIFICATION_EVENTS.get(kind)
    if event_type is not None:
        webhook_event_emit(
            tenant=tenant, type=event_type, data=params, key=f"notification:{dedupe_key}"
        )


def order_succeeded_emit(*, order) -> WebhookEvent | None:
    """``order.succeeded``: the set-up purchase, Add funds or an auto-recharge was paid
    and its funds added (inside the order's completing transaction)."""
    completed = order.completed_at or timezone.now()
    return webhook_event_emit(
        tenant=order.tenant, type=WebhookEventType.ORDER_SUCCEEDED,
        key=f"order:{order.pk}:succeeded",
        data={
            "order": order.number, "kind": str(order.kind), "amount": str(order.amount),
            "currency": order.currency, "payment_type": str(order.payment_type),
            "completed": completed.astimezone(UTC).isoformat(),
        },
    )


EXPIRED_LOOKBACK = timedelta(days=3)


def funds_expired_emit(*, at: datetime | None = None) -> int:
    """``funds.expired``: one event per expiry entry of the last days (the daily jobs'
    expiry run writes them), once per entry, for the tenants with an endpoint that wants
    it. A run that stopped before emitting is caught up by the next. Returns how many
    events were emitted."""
    now = at or timezone.now()
    tenant_ids = {
        endpoint.tenant_id
        for endpoint in WebhookEndpoint.objects.enabled().only("tenant_id", "events")
        if endpoint.subscribes_to(WebhookEventType.FUNDS_EXPIRED)
    }
    if not tenant_ids:
        return 0
    entries = (
        LedgerEntry.objects.filter(
            kind=EntryKind.EXPIRY, created_at__gte=now - EXPIRED_LOOKBACK,
            account__tenant_id__in=tenant_ids,
        )
        .select_related("account__tenant", "lot")
        .order_by("pk")
    )
    emitted = 0
    for entry in entries:
        lot = entry.lot
        event = webhook_event_emit(
            tenant=entry.account.tenant, type=WebhookEventType.FUNDS_EXPIRED,
            key=f"expiry:{entry.pk}",
            data={
                "amount": str(-entry.amount), "currency": entry.account.currency,
                "balance": str(entry.balance_after),
                "lot_id": lot.pk if lot else None,
                "bought": lot.purchased_at.astimezone(UTC).isoformat() if lot else None,
                "expired": entry.created_at.astimezone(UTC).isoformat(),
            },
        )
        emitted += event is not None
    return emitted
