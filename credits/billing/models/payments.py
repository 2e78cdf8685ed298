"""Paying for Communications Credits: saved cards, Enterprise Agreements, the way each
tenant's credits are paid for, orders, and the sandbox gateway's charges.

Written only by ``credits.billing.services.orders`` and ``credits.billing.services.payment_methods``
(and the sandbox gateway for ``SandboxCharge``). The full card number and the security
code are never stored: a card is its gateway token, brand, last four digits and expiry.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.tenants import validate_country, validate_currency
from credits.billing.choices import (
    OrderKind,
    OrderStatus,
    PaymentType,
)
from credits.billing.gateway.base import card_expired
from credits.billing.regions import Region, region_of
from credits.common.money import money_field

# --------------------------------------------------------------------------- saved cards


class PaymentMethodQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> PaymentMethodQuerySet:
        return self.filter(tenant=tenant)

    def saved(self) -> PaymentMethodQuerySet:
        """Cards the tenant still has (removed cards stay only for the orders they paid)."""
        return self.filter(removed_at__isnull=True)

    def listed(self) -> PaymentMethodQuerySet:
        return self.order_by("-is_default", "-created_at", "-id")


class PaymentMethod(models.Model):
    """A saved credit or debit card: a gateway token and what people may see of the card."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="payment_methods",
        verbose_name=_("tenant"),
    )
    holder = models.CharField(_("name on card"), max_length=200, blank=True)
    brand = models.CharField(_("brand"), max_length=40)
    last4 = models.CharField(_("last four digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    gateway_token = models.CharField(
        _("gateway token"), max_length=200, blank=True,
        help_text=_("What the payment gateway charges; cleared when the card is removed."),
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Chosen first when paying.")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = PaymentMethodQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "-is_default", "-created_at"]
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True, removed_at__isnull=True),
                name="credits_payment_method_one_default",
            ),
            models.CheckConstraint(
                condition=Q(last4__regex=r"^[0-9]{4}$"), name="credits_payment_method_last4"
            ),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12),
                name="credits_payment_method_exp_month",
            ),
            models.CheckConstraint(
                condition=Q(exp_year__gte=2000, exp_year__lte=2099),
                name="credits_payment_method_exp_year",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(is_default=False, gateway_token=""),
                name="credits_payment_method_removed_is_inert",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"

    def is_expired(self, today: dt.date | None = None) -> bool:
        return card_expired(self.exp_month, self.exp_year, today=today or timezone.localdate())

    @property
    def expired(self) -> bool:
        return self.is_expired()

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


# ------------------------------------------------------------------ enterprise agreements


class EnterpriseAgreementQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> EnterpriseAgreementQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> EnterpriseAgreementQuerySet:
        return self.filter(is_active=True)


class EnterpriseAgreement(models.Model):
    """A volume-licensing agreement a tenant may pay with (an EA number and a PO number).

    Agreements are set up by platform staff in the backoffice, as the account team does;
    admins see them on Payment methods and choose one at checkout.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="enterprise_agreements",
        verbose_name=_("tenant"),
    )
    number = models.CharField(
        _("EA number"), max_length=12, unique=True,
        help_text=_("The agreement's enrollment number: 6 to 12 digits."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    billing_country = models.CharField(
        _("billing address country"), max_length=2, validators=[validate_country],
        help_text=_("ISO 3166 code of the country of the agreement's billing address."),
    )
    billing_address = models.TextField(_("billing address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EnterpriseAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "number"]
        verbose_name = _("Enterprise Agreement")
        verbose_name_plural = _("Enterprise Agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{6,12}$"), name="credits_ea_number_digits"
            ),
            models.CheckConstraint(
                condition=Q(billing_country__regex=r"^[A-Z]{2}$"), name="credits_ea_country_iso2"
            ),
        ]

    def __str__(self) -> str:
        return f"EA {self.number}"

    @property
    def region(self) -> Region | None:
        return region_of(self.billing_country)


# ---------------------------------------------------------------------- billing profile


class BillingProfile(models.Model):
    """How a tenant's Communications Credits are paid: what auto-recharge charges, and
    what Add more funds offers first. Set by the first purchase; changed on the
    subscription page."""

    account = models.OneToOneField(
        "credits.CreditAccount", on_delete=models.CASCADE, related_name="billing_profile",
        verbose_name=_("credit account"),
    )
    payment_type = models.CharField(_("pay with"), max_length=30, choices=PaymentType.choices)
    card = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("card"),
    )
    enterprise_agreement = models.ForeignKey(
        EnterpriseAgreement, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("Enterprise Agreement"),
    )
    po_number = models.CharField(_("PO number"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment_type=PaymentType.CARD) & Q(card__isnull=False))
                | (~Q(payment_type=PaymentType.CARD) & Q(card__isnull=True)),
                name="credits_billing_card_iff_card",
            ),
            models.CheckConstraint(
                condition=(
                    Q(payment_type=PaymentType.ENTERPRISE_AGREEMENT)
                    & Q(enterprise_agreement__isnull=False)
                )
                | (
                    ~Q(payment_type=PaymentType.ENTERPRISE_AGREEMENT)
                    & Q(enterprise_agreement__isnull=True)
                ),
                name="credits_billing_ea_iff_ea",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.get_payment_type_display()}"


# ------------------------------------------------------------------------------- orders


class OrderQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> OrderQuerySet:
        return self.filter(tenant=tenant)

    def succeeded(self) -> OrderQuerySet:
        return self.filter(status=OrderStatus.SUCCEEDED)


class Order(models.Model):
    """One purchase of credits: a set-up purchase, a manual top-up or an auto-recharge.

    Created ``pending`` before the payment; ``succeeded`` once paid, in the same
    transaction as the ledger entry it funded (keyed by the order); ``failed`` with the
    reason otherwise. ``idempotency_key`` (per tenant) makes a repeated request (a double
    click on Place order) return this order instead of charging again.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="credit_orders",
        verbose_name=_("tenant"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrderKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    payment_type = models.CharField(_("paid with"), max_length=30, choices=PaymentType.choices)
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="orders",
        verbose_name=_("card"),
    )
    card_added = models.BooleanField(
        _("card added with the order"), default=False,
        help_text=_("The card was typed at checkout; it is not kept if the payment fails."),
    )
    enterprise_agreement = models.ForeignKey(
        EnterpriseAgreement, on_delete=models.PROTECT, null=True, blank=True,
        related_name="orders", verbose_name=_("Enterprise Agreement"),
    )
    po_number = models.CharField(_("PO number"), max_length=50, blank=True)
    recharge_settings = models.JSONField(
        _("recharge settings"), default=dict, blank=True,
        help_text=_("The auto-recharge settings a set-up purchase applies once it is paid."),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64, editable=False)
    gateway_charge_id = models.CharField(_("gateway charge"), max_length=100, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    ledger_entry = models.OneToOneField(
        "credits.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True,
        related_name="order", verbose_name=_("ledger entry"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("placed by"),
        help_text=_("Empty for auto-recharges, which the system places."),
    )
    created_at = models.DateTimeField(_("placed at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_reconciled_at = models.DateTimeField(
        _("last checked with the gateway"), null=True, blank=True,
        help_text=_("When the order was last reconciled with the gateway's record of its "
                    "charge (by the recovery or the Reconcile action)."),
    )
    reconcile_note = models.CharField(
        _("reconciliation note"), max_length=300, blank=True,
        help_text=_("Why a pending order is still pending after its last check."),
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["tenant", "-created_at"], name="credits_order_tenant_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="credits_order_unique_key"
            ),
            # Auto-recharge is single-flight: at most one pending per tenant.
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(kind="auto_recharge", status="pending"),
                name="credits_order_one_pending_recharge",
            ),
            models.CheckConstraint(
                condition=~Q(idempotency_key=""), name="credits_order_key_present"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credits_order_amount_positive"),
            models.CheckConstraint(
                condition=~Q(payment_type=PaymentType.CARD) | Q(payment_method__isnull=False),
                name="credits_order_card_has_method",
            ),
            models.CheckConstraint(
                condition=~Q(payment_type=PaymentType.ENTERPRISE_AGREEMENT)
                | Q(enterprise_agreement__isnull=False),
                name="credits_order_ea_has_agreement",
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.SUCCEEDED)
                | Q(ledger_entry__isnull=False, completed_at__isnull=False),
                name="credits_order_succeeded_is_funded",
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.FAILED)
                | (~Q(failure_code="") & Q(ledger_entry__isnull=True, completed_at__isnull=False)),
                name="credits_order_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def number(self) -> str:
        return f"CC-{self.pk:07d}" if self.pk else "CC-new"

    @property
    def is_pending(self) -> bool:
        return self.status == OrderStatus.PENDING

    @property
    def succeeded(self) -> bool:
        return self.status == OrderStatus.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status == OrderStatus.FAILED


# ---------------------------------------------------------------------- recurring jobs


class RecurringJob(models.Model):
    """A background job that schedules its own next run (the recovery of interrupted
    payments, ``credits.billing.services.schedule``). The row is what keeps it single:
    whoever schedules a run locks it and bumps ``generation``, and a queued run whose
    generation is no longer the row's stops without doing anything."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    generation = models.PositiveBigIntegerField(_("generation"), default=0)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_summary = models.JSONField(_("last run's summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("recurring job")
        verbose_name_plural = _("recurring jobs")

    def __str__(self) -> str:
        return self.name


# ----------------------------------------------------------------------- sandbox charges


class SandboxCharge(models.Model):
    """A charge the sandbox gateway made (or refused): one per idempotency key."""

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    charge_id = models.CharField(_("charge"), max_length=60, unique=True)
    token = models.CharField(_("card token"), max_length=200)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    description = models.CharField(_("description"), max_length=200, blank=True)
    succeeded = models.BooleanField(_("succeeded"))
    failure_code = models.CharField(_("failure code"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sandbox charge")
        verbose_name_plural = _("sandbox charges")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credits_sandbox_amount_pos"),
            models.CheckConstraint(
                condition=Q(succeeded=True, failure_code="")
                | (Q(succeeded=False) & ~Q(failure_code="")),
                name="credits_sandbox_failure_code",
            ),
        ]

    def __str__(self) -> str:
        state = "succeeded" if self.succeeded else f"failed: {self.failure_code}"
        return f"{self.charge_id} {self.amount} {self.currency} ({state})"
