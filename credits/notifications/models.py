"""Notifications: every credits email sent to a tenant's admins (the Message center)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.notifications.choices import (
    DeliveryStatus,
    NotificationKind,
)


class NotificationQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> NotificationQuerySet:
        return self.filter(tenant=tenant)


class Notification(models.Model):
    """One notification to a tenant's notified admins. ``dedupe_key`` (per tenant) makes
    each event notify once: one per failed order, one per zero crossing, one per month
    for the limit, one per lot and reminder threshold."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("tenant"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    dedupe_key = models.CharField(_("event key"), max_length=200)
    subject = models.CharField(
        _("subject"), max_length=300,
        help_text=_("In English, for this list; each admin reads it in their own language."),
    )
    params = models.JSONField(
        _("parameters"), default=dict, blank=True,
        help_text=_("What the message is written from when it is sent or shown: amounts "
                    "with their currency, dates, order numbers."),
    )
    context = models.JSONField(
        _("stored text"), default=dict, blank=True,
        help_text=_("The text of notifications recorded before their parameters were kept."),
    )
    recipients = models.JSONField(
        _("recipients"), default=list, blank=True,
        help_text=_("One entry per admin: user id, email, name and delivery status."),
    )
    status = models.CharField(
        _("delivery status"), max_length=20, choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    error = models.CharField(_("delivery error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="credits_notif_tenant_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"], name="credits_notification_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.subject}"
