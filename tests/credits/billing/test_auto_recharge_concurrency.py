"""On PostgreSQL: many concurrent charges crossing the trigger start exactly one recharge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from credits.billing.services.auto_recharge import recharge_check
from credits.models import Order, OrderKind, OrderStatus, SandboxCharge
from tests.accounts.factories import TenantFactory
from tests.concurrency import in_parallel
from tests.credits.factories import charge
from tests.credits.recharge_helpers import auto_recharge_account

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_crossings_start_one_recharge_and_charge_the_card_once():
    tenant = TenantFactory(name="Race", slug="race", country="US", currency="USD")
    account = auto_recharge_account(tenant, balance="100", amount="500", trigger="50")

    def work(n):
        charge(account, "7")
        recharge_check(account=account)

    errors = [r for r in in_parallel(work, 8) if isinstance(r, Exception)]
    assert errors == []
    recharges = Order.objects.filter(kind=OrderKind.AUTO_RECHARGE)
    assert recharges.count() == 1 and recharges.get().status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.filter(succeeded=True, amount=Decimal("500")).count() == 1
    account.refresh_from_db()
    assert account.balance == Decimal("100") - 8 * 7 + 500
    call_command("ledger_verify")
