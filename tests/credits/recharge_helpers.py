"""Helpers for the auto-recharge tests: an account with auto-recharge on and a card."""

from __future__ import annotations

from decimal import Decimal

from credits.billing.services.recharge_settings import billing_profile_write
from credits.models import CreditAccount, PaymentType
from tests.credits.factories import fund
from tests.credits.payments import saved_card


def auto_recharge_account(
    tenant, *, card=None, balance="100", amount="50", trigger="20", limit=None
) -> CreditAccount:
    account, _ = CreditAccount.objects.get_or_create(tenant=tenant, currency=tenant.currency)
    card = card or saved_card(tenant)
    billing_profile_write(
        account=account, acting_user=None, payment_type=PaymentType.CARD, card=card
    )
    CreditAccount.objects.filter(pk=account.pk).update(
        auto_recharge_enabled=True, recharge_amount=Decimal(amount),
        recharge_trigger=Decimal(trigger),
        monthly_recharge_limit=Decimal(limit) if limit else None,
    )
    account.refresh_from_db()
    if Decimal(balance) > 0:
        fund(account, balance)
    account.refresh_from_db()
    return account
