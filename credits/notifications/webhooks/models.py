"""Webhooks: the endpoints a tenant registers, the events emitted for it, one delivery per
event and subscribed endpoint, and the row that keeps the retry sweep single."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.notifications.webhooks.choices import WebhookDeliveryStatus, WebhookEventType


class WebhookEndpointQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> WebhookEndpointQuerySet:
        return self.filter(tenant=tenant)

    def enabled(self) -> WebhookEndpointQuerySet:
        return self.filter(is_enabled=True)


class WebhookEndpoint(models.Model):
    """An address of the tenant's that receives the events it subscribes to, each body
    signed with ``secret`` (HMAC-SHA256, the ``Credits-Signature`` header).

    The secret has to be readable to sign, so it is kept as it is (a hash could not
    sign); it is shown to the admin once, when it is made or rolled, and never again:
    the page, the backoffice and the audit trail show only its first characters."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="webhook_endpoints",
        verbose_name=_("tenant"),
    )
    url = models.URLField(_("endpoint URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"), default=list, blank=True,
        help_text=_("The event types sent to this endpoint."),
    )
    secret = models.CharField(_("signing secret"), max_length=100)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True,
        help_text=_("The first failed attempt since the last successful one."),
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    secret_rolled_at = models.DateTimeField(_("secret made at"), default=timezone.now)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["tenant", "is_enabled"], name="credits_whend_tenant_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        """The secret's first characters, enough to tell two apart."""
        return f"{self.secret[:10]}…"

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.events

    @property
    def event_labels(self) -> list[str]:
        labels = dict(WebhookEventType.choices)
        return [str(labels.get(value, value)) for value in self.events]


class WebhookEventQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> WebhookEventQuerySet:
        return self.filter(tenant=tenant)


class WebhookEvent(models.Model):
    """Something that happened to a tenant's credits, emitted once per ``key``."""

    uid = models.UUIDField(_("event ID"), default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="webhook_events",
        verbose_name=_("tenant"),
    )
    key = models.CharField(_("event key"), max_length=200)
    type = models.CharField(_("type"), max_length=40, choices=WebhookEventType.choices)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="credits_webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"

    @property
    def public_id(self) -> str:
        return f"evt_{self.uid.hex}"


class WebhookDeliveryQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> WebhookDeliveryQuerySet:
        return self.filter(endpoint__tenant=tenant)

    def open(self) -> WebhookDeliveryQuerySet:
        """Deliveries with an attempt still to come."""
        return self.filter(
            status__in=(WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING)
        )


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: its attempts (the first at once, then with
    back-off), the last answer and when the next attempt is due. "Resend" adds a new
    delivery of the same event."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries",
        verbose_name=_("event"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="credits_whdel_endpoint_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="credits_whdel_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class WebhookSweep(models.Model):
    """The one row that keeps the retry sweep single (``credits.notifications.webhooks.
    delivery``): whoever queues a run locks it and bumps ``generation``; a queued run
    whose generation is no longer the row's stops at once."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    generation = models.PositiveBigIntegerField(_("generation"), default=0)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook retry sweep")
        verbose_name_plural = _("webhook retry sweeps")

    def __str__(self) -> str:
        return self.name
