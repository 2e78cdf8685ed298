"""Invoices and the credit line (README, "Buying and managing Communications Credits").

- ``InvoicingApproval``: platform staff allow a tenant to pay by invoice, up to a credit
  limit in the tenant's currency (one per tenant; revoked by switching it off).
- ``Invoice``: one per succeeded invoice order, written in the transaction that
  completes the order (``credits.billing.services.invoices.invoice_issue``): a number
  (``INV-2026-000042``), the issue date, the due date (net 30), the amount and the fund
  lot it paid for. Its status is *open*, *paid* or *void*; **overdue** is not stored: it
  is an open invoice past its due date, derived when read, so it can't go stale.
- ``InvoiceSequence``: the last number issued in a year, locked while a number is taken,
  so numbers follow one another without gaps or repeats.

Written only by ``credits.billing.services.invoices`` (and, for approvals, the
backoffice's audited page).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.tenants import validate_currency
from credits.billing.choices import InvoiceStatus
from credits.billing.rules import invoice_is_overdue
from credits.common.money import money_field


def utc_today() -> dt.date:
    """Today's UTC calendar day: the day invoices are issued, fall due and go overdue."""
    return timezone.now().astimezone(dt.UTC).date()


# -------------------------------------------------------------------- invoicing approval


class InvoicingApprovalQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> InvoicingApprovalQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> InvoicingApprovalQuerySet:
        return self.filter(is_active=True)


class InvoicingApproval(models.Model):
    """Platform staff allow a tenant to pay by invoice, up to ``credit_limit`` unpaid (in
    the tenant's currency). Switched off, the tenant no longer sees the Invoice option and
    invoice orders (auto-recharge included) are refused; its invoices stay as they are."""

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="invoicing_approval",
        verbose_name=_("tenant"),
    )
    credit_limit = money_field(
        _("credit limit"),
        help_text=_(
            "The most the organization may owe on unpaid invoices (open invoices and invoice "
            "orders being placed), in its currency."
        ),
    )
    is_active = models.BooleanField(
        _("invoicing allowed"), default=True,
        help_text=_("Clear to revoke the approval: the Invoice option disappears at once."),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvoicingApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["tenant"]
        verbose_name = _("invoicing approval")
        verbose_name_plural = _("invoicing approvals")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gt=0), name="credits_invoicing_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True)
                | Q(is_active=False, revoked_at__isnull=False),
                name="credits_invoicing_revoked_when",
            ),
        ]

    def __str__(self) -> str:
        state = _("approved") if self.is_active else _("revoked")
        return f"{self.tenant} · {state}"


# ------------------------------------------------------------------------------ invoices


class InvoiceQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> InvoiceQuerySet:
        return self.filter(tenant=tenant)

    def open(self) -> InvoiceQuerySet:
        return self.filter(status=InvoiceStatus.OPEN)

    def overdue(self, today: dt.date | None = None) -> InvoiceQuerySet:
        """Open invoices past their due date on ``today`` (UTC; default: today)."""
        return self.open().filter(due_on__lt=today or utc_today())


class Invoice(models.Model):
    """The invoice of one invoice order: what the organization owes, and by when."""

    number = models.CharField(
        _("number"), max_length=20, unique=True,
        help_text=_("INV-<year of issue>-<sequence>: never reused, never changed."),
    )
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="invoices",
        verbose_name=_("tenant"),
    )
    order = models.OneToOneField(
        "credits.Order", on_delete=models.PROTECT, related_name="invoice",
        verbose_name=_("order"),
    )
    lot = models.ForeignKey(
        "credits.FundLot", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("fund lot"), help_text=_("The funds the invoiced order added."),
    )
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    issued_at = models.DateTimeField(_("issued at"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    paid_at = models.DateTimeField(_("marked paid at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("marked paid or void by"),
    )
    close_reason = models.CharField(_("reason"), max_length=500, blank=True)
    void_entry = models.OneToOneField(
        "credits.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("funds taken back"),
        help_text=_("The adjustment that took back the lot's unused funds when it was voided "
                    "(empty when nothing was left)."),
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            models.Index(fields=["tenant", "-issued_at"], name="credits_invoice_tenant_idx"),
            models.Index(fields=["tenant", "status", "due_on"], name="credits_invoice_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^INV-[0-9]{4}-[0-9]{6,}$"),
                name="credits_invoice_number_format",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credits_invoice_amount_pos"),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.OPEN, paid_at__isnull=True,
                            voided_at__isnull=True)
                | Q(status=InvoiceStatus.PAID, paid_at__isnull=False, voided_at__isnull=True)
                | Q(status=InvoiceStatus.VOID, paid_at__isnull=True, voided_at__isnull=False),
                name="credits_invoice_status_dates",
            ),
            models.CheckConstraint(
                condition=Q(void_entry__isnull=True) | Q(status=InvoiceStatus.VOID),
                name="credits_invoice_void_entry_only_void",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.amount} {self.currency}"

    @property
    def issued_on(self) -> dt.date:
        return self.issued_at.astimezone(dt.UTC).date()

    @property
    def is_open(self) -> bool:
        return self.status == InvoiceStatus.OPEN

    def overdue_on(self, today: dt.date) -> bool:
        return self.is_open and invoice_is_overdue(due_on=self.due_on, today=today)

    @property
    def is_overdue(self) -> bool:
        """Open and past its due date today (UTC): derived, never stored."""
        return self.overdue_on(utc_today())

    @property
    def status_label(self) -> str:
        """Open, Overdue, Paid or Void: what the pages show."""
        return str(_("Overdue")) if self.is_overdue else str(self.get_status_display())


class InvoiceSequence(models.Model):
    """The last invoice number issued in ``year``: ``INV-<year>-<last>``."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    last = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
