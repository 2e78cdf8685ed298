"""The demo tenants' credit history (README, "Demo sign-ins"), as seed_demo creates it:
every funding an order paid with the tenant's card, backdated to its day. (The calls,
the usage charges, are tested in test_demo_calls.py; here the history has none, so
the first lot expires whole.)"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from credits.billing.selectors.bills import statements
from credits.demo.history import seed_credit_history
from credits.demo.payments import seed_payment_demo
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import (
    BillingProfile,
    CreditAccount,
    EntryKind,
    FundLot,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
)
from tests.accounts.factories import TenantFactory

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def seed(tenant, scenario, now=NOW, acting_user=None):
    seed_payment_demo(tenant=tenant, scenario=scenario, now=now, acting_user=acting_user)
    return seed_credit_history(tenant=tenant, scenario=scenario, now=now,
                               acting_user=acting_user)


def test_contoso_is_funded_by_orders_paid_with_its_visa(tenant, billing_admin):
    account = seed(tenant, "contoso", acting_user=billing_admin)

    assert account.currency == "USD" and account.auto_recharge_enabled
    assert (account.recharge_amount, account.recharge_trigger) == (Decimal(100), Decimal(25))
    orders = Order.objects.filter(tenant=tenant).order_by("created_at")
    assert [(o.kind, o.amount, o.status) for o in orders] == [
        (OrderKind.PURCHASE, Decimal("300.00"), OrderStatus.SUCCEEDED),
        (OrderKind.TOP_UP, Decimal("150.00"), OrderStatus.SUCCEEDED),
        (OrderKind.TOP_UP, Decimal("250.00"), OrderStatus.SUCCEEDED),
    ]
    for order, days in zip(orders, (400, 240, 5), strict=True):
        assert (NOW - order.completed_at).days in (days - 1, days)
        assert order.ledger_entry.created_at == order.completed_at == order.created_at
        assert order.placed_by == billing_admin
        assert order.payment_method.last4 == "4242"
    profile = BillingProfile.objects.get(account=account)
    assert profile.card.last4 == "4242"  # the set-up purchase made it the paying card
    # No calls here: the set-up purchase expired whole, 12 months after it.
    assert account.balance == Decimal("400.00") == ledger.balance_at(account=account, at=NOW)
    assert not LedgerEntry.objects.filter(reference_type="demo").exists()
    assert account_verify(account, at=NOW) == []


def test_each_order_is_in_its_months_statement(tenant):
    seed(tenant, "contoso")
    listed = {s.month: s.total for s in statements(tenant)[0:20]}
    months = {}
    for order in Order.objects.filter(tenant=tenant):
        month = order.completed_at.date().replace(day=1)
        months[month] = months.get(month, 0) + order.amount
    assert listed == months


@pytest.mark.parametrize(("scenario", "left"), [("contoso", "300.00"), ("fabrikam", "50.00")])
def test_one_lot_already_expired_with_its_expiry_entry(tenant, other_tenant, scenario, left):
    target = tenant if scenario == "contoso" else other_tenant
    account = seed(target, scenario)

    expiry = account.entries.get(kind=EntryKind.EXPIRY)
    assert expiry.amount == -Decimal(left)
    assert expiry.created_at == expiry.lot.expires_at < NOW
    assert expiry.lot.remaining == 0


def test_fabrikam_buys_once_at_a_time_and_a_lot_expires_within_30_days(other_tenant):
    account = seed(other_tenant, "fabrikam")

    assert account.currency == "GBP" and not account.auto_recharge_enabled
    expiring = FundLot.objects.for_account(account).expiring(timedelta(days=30), NOW)
    assert [lot.remaining for lot in expiring] == [Decimal("50.00")]
    assert not Order.objects.filter(tenant=other_tenant, kind=OrderKind.AUTO_RECHARGE).exists()
    # Paid with the Visa that has expired since: valid on the days of the orders.
    assert set(Order.objects.filter(tenant=other_tenant).values_list("status", flat=True)) == {
        OrderStatus.SUCCEEDED
    }
    assert account_verify(account, at=NOW) == []


def test_northwind_has_no_credit_account(db):
    northwind = TenantFactory(name="Northwind Traders", slug="northwind", country="DE",
                              currency="EUR")
    assert seed(northwind, "northwind") is None
    assert not CreditAccount.objects.filter(tenant=northwind).exists()


def test_a_tenant_without_a_card_is_refused_before_anything_is_written(tenant):
    with pytest.raises(ValueError, match="no saved card"):
        seed_credit_history(tenant=tenant, scenario="contoso", now=NOW)
    assert not Order.objects.exists() and not LedgerEntry.objects.exists()


def test_seeding_twice_adds_nothing(tenant, other_tenant):
    for target, scenario in ((tenant, "contoso"), (other_tenant, "fabrikam")):
        seed(target, scenario)
    before = (LedgerEntry.objects.count(), FundLot.objects.count(), Order.objects.count())

    for target, scenario in ((tenant, "contoso"), (other_tenant, "fabrikam")):
        seed(target, scenario)

    assert (LedgerEntry.objects.count(), FundLot.objects.count(), Order.objects.count()) == before


def test_seeding_again_a_day_later_replays_the_history(tenant):
    seed(tenant, "contoso")
    count = LedgerEntry.objects.count()
    account = seed(tenant, "contoso", now=NOW + timedelta(days=1))
    assert LedgerEntry.objects.count() == count
    assert account_verify(account, at=NOW + timedelta(days=1)) == []


def test_unknown_scenario_is_an_error(tenant):
    with pytest.raises(ValueError, match="Unknown credits demo scenario 'tailspin'"):
        seed_credit_history(tenant=tenant, scenario="tailspin", now=NOW)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2024, 3, 1, 0, 0, tzinfo=UTC),  # a leap day inside the year of history
        datetime(2028, 2, 29, 23, 59, tzinfo=UTC),
        datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
        datetime(2027, 7, 1, 6, 30, tzinfo=UTC),
    ],
)
def test_the_story_holds_whatever_day_the_demo_is_seeded(tenant, other_tenant, now):
    contoso = seed(tenant, "contoso", now=now)
    fabrikam = seed(other_tenant, "fabrikam", now=now)

    assert contoso.balance == Decimal("400.00")
    assert fabrikam.balance == Decimal("50.00")
    for account in (contoso, fabrikam):
        assert account.entries.filter(kind=EntryKind.EXPIRY).count() == 1
        assert ledger.balance_at(account=account, at=now) == account.balance
        assert account_verify(account, at=now) == []
    soon = FundLot.objects.for_account(fabrikam).expiring(timedelta(days=30), now)
    assert soon.count() == 1
