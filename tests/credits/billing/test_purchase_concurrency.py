"""On PostgreSQL, for real: Place order pressed many times at once charges once, and two
admins setting up credits at the same moment create one account.

Threads with their own connections run the requests truly in parallel; the tenant row
lock and the unique keys (order, gateway charge, ledger entry) are what keep them apart.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.models import AdminRole, Product, Subscription
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.exceptions import CreditsAlreadySetUp
from credits.models import CreditAccount, LedgerEntry, Order, OrderStatus, SandboxCharge
from credits.models import PaymentType as PT
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.credits.payments import saved_card, token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 8


def _in_parallel(work, count: int = WORKERS) -> list:
    barrier = threading.Barrier(count)

    def run(n: int):
        try:
            barrier.wait(timeout=30)
            return work(n)
        except Exception as exc:  # collected and asserted on by the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


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

    results = _in_parallel(lambda n: _place(tenant, admin, card, key))

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert {r.pk for r in results} == {Order.objects.get().pk}
    assert Order.objects.get().status == OrderStatus.SUCCEEDED
    assert SandboxCharge.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_admins_setting_up_credits_at_the_same_moment_create_one_account(shop):
    tenant, admin, card = shop

    results = _in_parallel(lambda n: _place(tenant, admin, card, token()))

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CreditsAlreadySetUp)]
    assert len(placed) == 1 and len(refused) == WORKERS - 1
    assert CreditAccount.objects.filter(tenant=tenant).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert Subscription.objects.filter(
        tenant=tenant, product__code=Product.COMMUNICATIONS_CREDITS
    ).count() == 1
