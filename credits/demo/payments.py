"""Payment methods of the demo tenants (README, "Demo sign-ins"), through the payment services.

``seed_demo`` calls ``seed_payment_demo`` once per demo tenant, before its credit history:
the history's orders are paid with ``paying_card`` (the set-up purchase makes it the card
that pays for the subscription). Idempotent: a card or agreement already there is kept as
it is.

- **contoso**: a saved Visa 4242 (the default, paying for auto-recharge) and a
  Mastercard 4444.
- **fabrikam**: one expired Visa 4242, which pays for the subscription, so Add more funds
  with it is refused as expired until another card is added.
- **northwind**: volume licensing with two Enterprise Agreements, one billed in Germany
  (the tenant's region) and one in the United States (another region: refused at
  checkout with a link to open a service request). No credits yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from credits.billing.choices import PaymentType
from credits.billing.gateway import CardDetails
from credits.billing.gateway.sandbox import SandboxGateway
from credits.billing.models import BillingProfile, EnterpriseAgreement, PaymentMethod
from credits.billing.services.invoices import invoicing_approve
from credits.billing.services.payment_methods import card_save
from credits.billing.services.recharge_settings import billing_profile_write
from credits.ledger.selectors import credit_account_for_tenant

if TYPE_CHECKING:
    from accounts.models import Tenant, User


AGREEMENTS = {
    "northwind": (
        {
            "number": "61234567",
            "name": "Northwind Traders Europe",
            "billing_country": "DE",
            "billing_address": "Kaiserstraße 12\n60311 Frankfurt am Main\nGermany",
        },
        {
            "number": "71234567",
            "name": "Northwind Traders Americas",
            "billing_country": "US",
            "billing_address": "1 Commerce Way\nSeattle, WA 98101\nUnited States",
        },
    ),
}


def _card(
    tenant: Tenant, acting_user: User | None, *, number: str, holder: str, month: int, year: int
) -> PaymentMethod:
    existing = (
        PaymentMethod.objects.for_tenant(tenant).saved()
        .filter(last4=number[-4:], exp_month=month, exp_year=year)
        .first()
    )
    if existing is not None:
        return existing
    # Tokenized as of the month it was valid in, so an expired demo card can be saved too.
    tokenized = SandboxGateway().tokenize_card(
        CardDetails(number=number, exp_month=month, exp_year=year, cvc="123", holder=holder),
        today=dt.date(year, month, 1),
    )
    return card_save(tenant=tenant, acting_user=acting_user, tokenized=tokenized, holder=holder)


def _pays_with(tenant: Tenant, acting_user: User | None, card: PaymentMethod) -> None:
    account = credit_account_for_tenant(tenant)
    if account is None or BillingProfile.objects.filter(account=account).exists():
        return
    billing_profile_write(
        account=account, acting_user=acting_user, payment_type=PaymentType.CARD, card=card
    )


def paying_card(tenant: Tenant) -> PaymentMethod | None:
    """The card that pays for ``tenant``'s credits: its billing profile's, or else the
    first card the demo saved."""
    account = credit_account_for_tenant(tenant)
    if account is not None:
        profile = BillingProfile.objects.filter(account=account).select_related("card").first()
        if profile is not None and profile.card is not None:
            return profile.card
    return PaymentMethod.objects.for_tenant(tenant).saved().order_by("pk").first()


DEMO_CREDIT_LIMIT = Decimal("5000")


def seed_payment_demo(
    *, tenant: Tenant, scenario: str, now: dt.datetime, acting_user: User | None = None
) -> None:
    """Give ``tenant`` the demo payment methods of ``scenario``; idempotent."""
    today = now.date()
    with transaction.atomic():
        if scenario == "contoso":
            visa = _card(tenant, acting_user, number="4242424242424242", holder="Alex Wilber",
                         month=12, year=today.year + 3)
            _card(tenant, acting_user, number="5555555555554444", holder="Megan Bowen",
                  month=6, year=today.year + 2)
            _pays_with(tenant, acting_user, visa)
            # Contoso may also pay by invoice, up to this credit limit (README).
            invoicing_approve(tenant=tenant, credit_limit=DEMO_CREDIT_LIMIT)
        elif scenario == "fabrikam":
            last_month = today.replace(day=1) - dt.timedelta(days=1)
            expired = _card(tenant, acting_user, number="4242424242424242",
                            holder="Fabrikam Accounts", month=last_month.month,
                            year=last_month.year)
            _pays_with(tenant, acting_user, expired)
        for values in AGREEMENTS.get(scenario, ()):
            EnterpriseAgreement.objects.get_or_create(
                number=values["number"], defaults={**values, "tenant": tenant}
            )
