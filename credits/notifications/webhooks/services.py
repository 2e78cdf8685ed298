"""What billing admins do with webhook endpoints (the Webhooks page): add one (its
signing secret made and shown once), change it, roll its secret, enable or disable it,
delete it, resend a delivery. Each change is audited in its transaction; the address is
checked (``addresses.target_check``) whenever it is saved."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from accounts.services import audit_record
from credits.common.jobs import enqueue_after_commit
from credits.exceptions import CreditsError
from credits.notifications.webhooks.addresses import target_check
from credits.notifications.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from credits.notifications.webhooks.events import DELIVER_TASK
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 10
SECRET_PREFIX = "whsec_"


class WebhookRefused(CreditsError):
    """A change to an endpoint that can't be made (too many endpoints, no events,
    resending to a disabled endpoint)."""

    code = "webhook_refused"


def secret_make() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def events_check(events: list[str]) -> list[str]:
    chosen = [value for value in WebhookEventType.values if value in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise WebhookRefused(_("Choose at least one event."))
    return chosen


def state_of(endpoint: WebhookEndpoint) -> dict:
    """What the audit trail keeps of an endpoint (the secret only by its first
    characters)."""
    return {
        "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
        "enabled": endpoint.is_enabled, "secret": endpoint.secret_hint,
    }


def target(endpoint: WebhookEndpoint) -> str:
    return f"Webhook endpoint {endpoint.pk}"


def webhook_endpoint_create(
    *, tenant: Tenant, acting_user: User, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its signing secret, to show once."""
    events = events_check(events)
    target_check(url)
    with transaction.atomic():
        Tenant.objects.lock(tenant)
        if WebhookEndpoint.objects.for_tenant(tenant).count() >= MAX_ENDPOINTS:
            raise WebhookRefused(
                _("An organization can have at most %(count)d webhook endpoints: delete one "
                  "first.") % {"count": MAX_ENDPOINTS}
            )
        secret = secret_make()
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url=url, events=events, description=description, secret=secret,
            created_by=acting_user,
        )
        audit_record(
            tenant=tenant, actor=acting_user, action="credits.webhook_endpoint_create",
            target=target(endpoint), after=state_of(endpoint),
        )
    return endpoint, secret


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, acting_user: User, url: str, events: list[str],
    description: str = "",
) -> WebhookEndpoint:
    events = events_check(events)
    target_check(url)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = state_of(locked)
        locked.url, locked.events, locked.description = url, events, description
        locked.save(update_fields=["url", "events", "description"])
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.webhook_endpoint_update",
            target=target(locked), before=before, after=state_of(locked),
        )
    return locked


def webhook_secret_roll(*, endpoint: WebhookEndpoint, acting_user: User) -> str:
    """A new signing secret, used from the next attempt on; returns it, to show once."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = state_of(locked)
        secret = secret_make()
        locked.secret, locked.secret_rolled_at = secret, timezone.now()
        locked.save(update_fields=["secret", "secret_rolled_at"])
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.webhook_secret_roll",
            target=target(locked), before=before, after=state_of(locked),
        )
    return secret


def webhook_endpoint_enable(
    *, endpoint: WebhookEndpoint, acting_user: User, enabled: bool
) -> WebhookEndpoint:
    """Enable or disable an endpoint. Enabling one starts it afresh (it is no longer
    counted as failing); what it missed can be resent from its delivery log."""
    if enabled:
        target_check(endpoint.url)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.is_enabled == enabled:
            return locked
        before = state_of(locked)
        locked.is_enabled = enabled
        if enabled:
            locked.failing_since, locked.disabled_at, locked.disabled_reason = None, None, ""
        else:
            locked.disabled_at, locked.disabled_reason = timezone.now(), ""
            WebhookDelivery.objects.open().filter(endpoint=locked).update(
                status=WebhookDeliveryStatus.FAILED, next_attempt_at=None,
                error="endpoint disabled",
            )
        locked.save(update_fields=["is_enabled", "failing_since", "disabled_at",
                                   "disabled_reason"])
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.webhook_endpoint_enable",
            target=target(locked), before=before, after=state_of(locked),
        )
    return locked


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, acting_user: User) -> None:
    """Delete an endpoint with its delivery log."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.webhook_endpoint_delete",
            target=target(locked), before=state_of(locked),
        )
        locked.delete()


def webhook_delivery_resend(*, delivery: WebhookDelivery, acting_user: User) -> WebhookDelivery:
    """Send the delivery's event to its endpoint again, as a new delivery (with its own
    attempts and retries), queued after the commit."""
    endpoint = delivery.endpoint
    if not endpoint.is_enabled:
        raise WebhookRefused(_("Enable the endpoint before resending to it."))
    now = timezone.now()
    with transaction.atomic():
        resent = WebhookDelivery.objects.create(
            endpoint=endpoint, event=delivery.event, next_attempt_at=now, created_at=now
        )
        audit_record(
            tenant=endpoint.tenant, actor=acting_user, action="credits.webhook_delivery_resend",
            target=target(endpoint),
            after={"event": delivery.event.public_id, "type": delivery.event.type,
                   "delivery": resent.pk, "resends": delivery.pk},
        )
        enqueue_after_commit(DELIVER_TASK, delivery_id=resent.pk)
    return resent
