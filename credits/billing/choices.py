"""Billing's choices: how an order is paid, its kind and status, an invoice's status.
Kept apart from the models so pure modules can use them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentType(models.TextChoices):
    CARD = "card", _("Credit or debit card")
    INVOICE = "invoice", _("Invoice")
    ENTERPRISE_AGREEMENT = "enterprise_agreement", _("Enterprise Agreement")


class OrderKind(models.TextChoices):
    PURCHASE = "purchase", _("Set-up purchase")
    TOP_UP = "top_up", _("Add funds")
    AUTO_RECHARGE = "auto_recharge", _("Auto-recharge")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class InvoiceStatus(models.TextChoices):
    """What is stored of an invoice. *Overdue* is not a status: it is an open invoice
    past its due date, derived when it is read (``Invoice.is_overdue``), so it can't go
    stale."""

    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
