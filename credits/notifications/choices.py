"""The notifications' choices: what happened, and how delivery went."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    RECHARGE_SUCCEEDED = "recharge_succeeded", _("Auto-recharge succeeded")
    RECHARGE_FAILED = "recharge_failed", _("Auto-recharge failed")
    BALANCE_ZERO = "balance_zero", _("Balance reached zero")
    LIMIT_REACHED = "limit_reached", _("Monthly recharge limit reached")
    EXPIRY_REMINDER = "expiry_reminder", _("Funds expiring soon")
    SETTINGS_TURNED_OFF = "settings_turned_off", _("Auto-recharge turned off")
    BALANCE_LOW = "balance_low", _("Balance below the alert threshold")
    SPEND_ANOMALY = "spend_anomaly", _("Unusual daily spend")
    DAILY_CAP_REACHED = "daily_cap_reached", _("Daily spend cap reached")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoint disabled")


# Always emailed: no admin can opt out of them (README, "Billing notifications").
CRITICAL_KINDS: frozenset[str] = frozenset(
    {
        NotificationKind.RECHARGE_FAILED,
        NotificationKind.BALANCE_ZERO,
        NotificationKind.DAILY_CAP_REACHED,
        NotificationKind.WEBHOOK_DISABLED,
    }
)
# What an admin may stop receiving, in the order the kinds are listed.
OPTIONAL_KINDS: tuple[str, ...] = tuple(
    kind for kind in NotificationKind.values if kind not in CRITICAL_KINDS
)
# At most this many email addresses outside the tenant's admins receive billing emails.
MAX_EXTRA_ADDRESSES = 5


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
