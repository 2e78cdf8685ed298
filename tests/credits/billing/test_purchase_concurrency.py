"""On PostgreSQL, for real: Place order pressed many times at once charges once, and two
admins setting up credits at the same moment create one account.

Threads with their own connections run the requests truly in parallel; the tenant row
lock and the unique keys (order, gateway charge, ledger entry) are what keep them apart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AdminRole, Product, Subscription
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.exceptions import CreditsAlreadySetUp
from credits.models import CreditAccount, LedgerEntry, Order, OrderStatus, SandboxCharge
from credits.models import PaymentType as PT
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.concurrency import in_parallel
from tests.credits.payments import saved_card, token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 8


@pytest.fixture
def shop():
    assert connection.vendor == "postgresql"
    tenant = TenantFactory(name="Concurrent", slug="concurrent-shop")
    admin = AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN])
    card = saved_card(tenant)
    return tenant, admin, card


def _place(tenant, admin, card, key):
    return order_place(
        tenant=tenant, acting_user=admin, kind="purchase", amount=Decimal("100"),
        payment=Payment(type=PT.CARD, card=card), idempotency_key=key,
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )


def test_place_order_pressed_many_times_at_once_charges_once(shop):
    tenant, admin, card = shop
    key = token()

    results = in_parallel(lambda n: _place(tenant, admin, card, key), WORKERS)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert {r.pk for r in results} == {Order.objects.get().pk}
    assert Order.objects.get().status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_admins_setting_up_credits_at_the_same_moment_create_one_account(shop):
    tenant, admin, card = shop

    results = in_parallel(lambda n: _place(tenant, admin, card, token()), WORKERS)

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CreditsAlreadySetUp)]
    assert len(placed) == 1 and len(refused) == WORKERS - 1
    assert CreditAccount.objects.filter(tenant=tenant).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert Subscription.objects.filter(
        tenant=tenant, product__code=Product.COMMUNICATIONS_CREDITS
    ).count() == 1
