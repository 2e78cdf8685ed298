"""Helpers for the payment and purchase tests: cards, agreements, counts, checkout posts."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from accounts.models import AuditEvent, Product, Subscription
from credits.billing.gateway import CardDetails
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.services.invoices import invoicing_approve
from credits.billing.services.payment_methods import card_save
from credits.models import (
    BillingProfile,
    CreditAccount,
    EnterpriseAgreement,
    FundLot,
    Invoice,
    InvoicingApproval,
    LedgerEntry,
    Order,
    PaymentMethod,
    SandboxCharge,
)

VISA = "4242424242424242"
DECLINED = "4000000000000002"
INSUFFICIENT = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"
MASTERCARD = "5555555555554444"

SETUP_URL = "/billing/purchase-services/communications-credits/"
SUBSCRIPTION_URL = "/billing/products/communications-credits/"
ADD_FUNDS_URL = "/billing/products/communications-credits/add-funds/"
RECHARGE_URL = "/billing/products/communications-credits/recharge-settings/"
PAYMENT_METHOD_URL = "/billing/products/communications-credits/payment-method/"
PAYMENT_METHODS_URL = "/billing/payment-methods/"


def future_year(years: int = 3) -> int:
    return timezone.localdate().year + years


def saved_card(
    tenant, number: str = VISA, *, month: int = 12, year: int | None = None, holder: str = "",
    acting_user=None,
) -> PaymentMethod:
    """A card saved through the service, tokenized as of a date it was valid."""
    year = year or future_year()
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=month, exp_year=year, cvc="123", holder=holder),
        today=dt.date(year, month, 1),
    )
    return card_save(tenant=tenant, acting_user=acting_user, tokenized=tokenized, holder=holder)


def expired_card(tenant, number: str = VISA) -> PaymentMethod:
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    return saved_card(tenant, number, month=last_month.month, year=last_month.year)


def agreement(tenant, number: str = "61234567", country: str = "US", **extra):
    tenant.volume_licensing = True
    tenant.save(update_fields=["volume_licensing"])
    return EnterpriseAgreement.objects.create(
        tenant=tenant, number=number, billing_country=country, **extra
    )


def invoicing_approved(tenant, limit: str = "100000") -> InvoicingApproval:
    """Approve ``tenant`` for paying by invoice with a credit limit of ``limit`` (in its
    currency), as platform staff do: needed before any invoice order."""
    return invoicing_approve(tenant=tenant, credit_limit=Decimal(limit))


def counts(tenant=None) -> dict[str, int]:
    """What a purchase could write: compare before and after a refusal."""
    return {
        "orders": Order.objects.count(),
        "charges": SandboxCharge.objects.count(),
        "succeeded_charges": SandboxCharge.objects.filter(succeeded=True).count(),
        "entries": LedgerEntry.objects.count(),
        "lots": FundLot.objects.count(),
        "accounts": CreditAccount.objects.count(),
        "profiles": BillingProfile.objects.count(),
        "cards": PaymentMethod.objects.count(),
        "subscriptions": Subscription.objects.filter(
            product__code=Product.COMMUNICATIONS_CREDITS
        ).count(),
        "audit": AuditEvent.objects.count(),
        "invoices": Invoice.objects.count(),
    }


def token() -> str:
    return str(uuid.uuid4())


def setup_post(add_funds="100", *, auto=True, recharge="50", below="20", limit="", **extra):
    data = {"step": "setup", "add_funds": add_funds, "recharge_with": recharge,
            "recharge_below": below, "monthly_limit": limit, **extra}
    if auto:
        data["auto_recharge"] = "on"
    return data


def payment_post(*, payment="new_card", number=VISA, expiry=None, cvc="123", holder="Alex Wilber",
                 key=None, setup=None, **extra) -> dict:
    """Step 2 as the browser posts it: step 1's values as hidden fields (True/False for
    the switch), then the payment fields and the form's token."""
    setup = dict(setup or setup_post())
    setup.pop("step", None)
    auto = setup.pop("auto_recharge", None)
    data = {
        "step": "payment",
        **setup,
        "auto_recharge": "True" if auto else "False",
        "payment": payment,
        "holder": holder,
        "card_number": number,
        "expiry": expiry or f"12/{future_year() % 100:02d}",
        "cvc": cvc,
        "token": key or token(),
        **extra,
    }
    return data


def money(value: str) -> Decimal:
    return Decimal(value)
