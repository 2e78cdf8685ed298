from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from credits.billing.services.accounts import credit_account_open
from credits.exceptions import PurchaseNotAllowed
from credits.models import CreditAccount, CreditAccountStatus
from tests.accounts.factories import TenantFactory


def test_opening_creates_the_account_in_the_tenant_currency_once(tenant, global_admin):
    account = credit_account_open(tenant=tenant, acting_user=global_admin)
    assert (account.currency, account.balance, account.status) == (
        "USD", Decimal("0"), CreditAccountStatus.ACTIVE
    )
    assert credit_account_open(tenant=tenant) == account
    event = AuditEvent.objects.get(action="credits.account_open")
    assert event.actor == global_admin


@pytest.mark.parametrize("country", ["RU", "KR", "TW"])
def test_credits_are_not_available_in_some_countries(db, country):
    tenant = TenantFactory(country=country, currency="USD")
    with pytest.raises(PurchaseNotAllowed, match="aren't available"):
        credit_account_open(tenant=tenant)
    assert not CreditAccount.objects.filter(tenant=tenant).exists()
