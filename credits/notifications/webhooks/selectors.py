"""The Webhooks page's reads: the tenant's endpoints, and an endpoint's delivery log."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from accounts.models import Tenant
from credits.notifications.webhooks.choices import WebhookDeliveryStatus
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoints(tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    """The tenant's endpoints, each with when it was last sent to and its deliveries
    that failed for good (one query)."""
    return (
        WebhookEndpoint.objects.for_tenant(tenant)
        .annotate(
            last_delivery_at=Max("deliveries__last_attempt_at"),
            failed_count=Count(
                "deliveries", filter=Q(deliveries__status=WebhookDeliveryStatus.FAILED)
            ),
        )
        .order_by("created_at", "pk")
    )


def delivery_log(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, with their events."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-pk")
    )
