"""The webhooks' choices: the events an endpoint may subscribe to, and how a delivery
stands."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventType(models.TextChoices):
    BALANCE_LOW = "balance.low", _("The balance fell below the alert threshold")
    BALANCE_DEPLETED = "balance.depleted", _("The balance reached zero or below")
    RECHARGE_SUCCEEDED = "recharge.succeeded", _("An auto-recharge succeeded")
    RECHARGE_FAILED = "recharge.failed", _("An auto-recharge failed")
    ORDER_SUCCEEDED = "order.succeeded", _("An order was paid and its funds added")
    FUNDS_EXPIRING = "funds.expiring", _("Funds expire in 30 or 7 days")
    FUNDS_EXPIRED = "funds.expired", _("Funds expired and were forfeited")
    SPEND_ANOMALY = "spend.anomaly", _("A day's spend was unusually high")


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
