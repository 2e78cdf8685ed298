"""Notifications: every credits email sent to a tenant's admins (the Message center)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.common.money import money_field
from credits.notifications.choices import (
    CRITICAL_KINDS,
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


class BalanceAlert(models.Model):
    """The low-balance alert of a tenant's credits: an email and a Message center entry
    when the usable balance falls below ``threshold`` (empty: off), once per crossing.
    ``alerted_entry_id`` is the last ledger entry when it last alerted: it alerts again
    only after an entry has left the balance at or above the threshold (re-armed)."""

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="balance_alert",
        verbose_name=_("tenant"),
    )
    threshold = money_field(_("alert below"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("alerted at"), null=True, blank=True)
    alerted_entry_id = models.BigIntegerField(_("last entry when alerted"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("low-balance alert")
        verbose_name_plural = _("low-balance alerts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__isnull=True) | models.Q(threshold__gt=0),
                name="credits_balance_alert_threshold_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.threshold}"


class BillingRecipientQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> BillingRecipientQuerySet:
        return self.filter(tenant=tenant)


class BillingRecipient(models.Model):
    """Someone beyond the notified roles who receives the tenant's billing emails: one of
    its admins (``user``) or an email address outside the directory (``email``)."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="billing_recipients",
        verbose_name=_("tenant"),
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, null=True, blank=True,
        related_name="billing_recipient_of", verbose_name=_("admin"),
    )
    email = models.EmailField(_("email address"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = BillingRecipientQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("billing email recipient")
        verbose_name_plural = _("billing email recipients")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, email="")
                    | models.Q(user__isnull=True) & ~models.Q(email="")
                ),
                name="credits_billing_recipient_user_or_email",
            ),
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=models.Q(user__isnull=False),
                name="credits_billing_recipient_user_once",
            ),
            models.UniqueConstraint(
                "tenant", Lower("email"), condition=~models.Q(email=""),
                name="credits_billing_recipient_email_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} · {self.email or self.user_id}"


class NotificationOptOut(models.Model):
    """An admin who asked not to receive one kind of billing email (never a critical
    kind: ``CRITICAL_KINDS``)."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="notification_opt_outs",
        verbose_name=_("tenant"),
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_opt_outs",
        verbose_name=_("admin"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="credits_notification_opt_out_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=sorted(CRITICAL_KINDS)),
                name="credits_notification_opt_out_not_critical",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.kind}"
