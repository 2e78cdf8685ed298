"""On PostgreSQL, for real: invoice orders placed at the same moment can't together pass
the credit limit, and their invoices get distinct numbers that follow one another.

Threads with their own connections place the orders truly in parallel; the tenant's row
lock, taken by every invoice order as it completes, is what keeps the credit line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AdminRole
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.exceptions import CreditLimitExceeded, PaymentDeclined
from credits.ledger.verification import account_verify
from credits.models import (
    CreditAccount,
    Invoice,
    InvoiceSequence,
    InvoiceStatus,
    LedgerEntry,
    Order,
    OrderStatus,
)
from credits.models import PaymentType as PT
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.concurrency import in_parallel
from tests.credits.payments import invoicing_approved, token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 8
INVOICE = Payment(type=PT.INVOICE)


@pytest.fixture
def invoiced():
    """Approved up to 1,000, credits set up by invoice (100): room for 900 more."""
    assert connection.vendor == "postgresql"
    tenant = TenantFactory(name="Concurrent", slug="concurrent-invoices")
    admin = AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN])
    invoicing_approved(tenant, "1000")
    order_place(
        tenant=tenant, acting_user=admin, kind="purchase", amount=Decimal("100"),
        payment=INVOICE, idempotency_key=token(), recharge=RechargeSettings(enabled=False),
    )
    return tenant, admin


def test_invoice_orders_placed_at_once_never_pass_the_credit_limit(invoiced):
    tenant, admin = invoiced

    results = in_parallel(
        lambda n: order_place(
            tenant=tenant, acting_user=admin, kind="top_up", amount=Decimal("300"),
            payment=INVOICE, idempotency_key=token(),
        ),
        WORKERS,
    )

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CreditLimitExceeded | PaymentDeclined)]
    assert len(placed) + len(refused) == WORKERS, results
    assert len(placed) == 3  # 100 + 3 x 300 = the limit; the first three to complete win
    open_total = sum(i.amount for i in Invoice.objects.filter(status=InvoiceStatus.OPEN))
    assert open_total == Decimal("1000")
    assert Order.objects.filter(status=OrderStatus.PENDING).count() == 0
    declined = [r for r in refused if isinstance(r, PaymentDeclined)]
    assert all(r.failure_code == "credit_limit_exceeded" for r in declined)
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.balance == Decimal("1000") and account_verify(account) == []
    assert LedgerEntry.objects.filter(account=account).count() == 4


def test_invoices_issued_at_once_get_distinct_numbers_without_gaps(invoiced):
    tenant, admin = invoiced
    invoicing_approved(tenant, "100000")

    results = in_parallel(
        lambda n: order_place(
            tenant=tenant, acting_user=admin, kind="top_up", amount=Decimal("60"),
            payment=INVOICE, idempotency_key=token(),
        ),
        WORKERS,
    )

    assert [r for r in results if not isinstance(r, Order)] == []
    year = dt.datetime.now(dt.UTC).year
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, WORKERS + 2)]
    assert InvoiceSequence.objects.get(year=year).last == WORKERS + 1
