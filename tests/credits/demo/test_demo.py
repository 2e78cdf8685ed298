"""The demo tenants' credit history (README, "Demo sign-ins"), as seed_demo creates it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import AdminRole
from credits.demo.history import seed_credit_history
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import CreditAccount, EntryKind, FundLot, FundSource, LedgerEntry
from tests.accounts.factories import AdminFactory, TenantFactory

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def contoso(tenant):
    return tenant


@pytest.fixture
def fabrikam(other_tenant):
    return other_tenant


def test_contoso_has_a_healthy_balance_with_auto_recharge(contoso, billing_admin):
    account = seed_credit_history(
        tenant=contoso, scenario="contoso", now=NOW, acting_user=billing_admin
    )

    assert account.currency == "USD"
    assert account.balance == Decimal("281.45") == ledger.balance_at(account=account, at=NOW)
    assert account.auto_recharge_enabled
    assert (account.recharge_amount, account.recharge_trigger) == (Decimal(100), Decimal(25))
    sources = set(account.lots.values_list("source", flat=True))
    assert sources == {FundSource.PURCHASE, FundSource.TOP_UP, FundSource.AUTO_RECHARGE}
    first = account.entries.filter(created_at__lte=NOW - timedelta(days=330)).count()
    assert first >= 3  # fundings and usage across the past year
    assert account_verify(account, at=NOW) == []


@pytest.mark.parametrize(("scenario", "left"), [("contoso", "70.00"), ("fabrikam", "23.60")])
def test_one_lot_already_expired_with_its_expiry_entry(tenant, other_tenant, scenario, left):
    target = tenant if scenario == "contoso" else other_tenant
    account = seed_credit_history(tenant=target, scenario=scenario, now=NOW)

    expiry = account.entries.get(kind=EntryKind.EXPIRY)
    assert expiry.amount == -Decimal(left)
    assert expiry.created_at == expiry.lot.expires_at < NOW
    assert expiry.lot.remaining == 0


def test_fabrikam_is_near_zero_with_funds_expiring_within_30_days(fabrikam):
    account = seed_credit_history(tenant=fabrikam, scenario="fabrikam", now=NOW)

    assert account.currency == "GBP"
    assert account.balance == Decimal("8.40")
    assert not account.auto_recharge_enabled
    expiring = FundLot.objects.for_account(account).expiring(timedelta(days=30), NOW)
    assert [(lot.remaining, lot.source) for lot in expiring] == [
        (Decimal("8.40"), FundSource.PURCHASE)
    ]
    assert not account.lots.exclude(source=FundSource.PURCHASE).exists()  # one-time only
    assert account_verify(account, at=NOW) == []


def test_northwind_has_no_credit_account(db):
    northwind = TenantFactory(name="Northwind Traders", slug="northwind", country="DE",
                              currency="EUR")
    assert seed_credit_history(tenant=northwind, scenario="northwind", now=NOW) is None
    assert not CreditAccount.objects.filter(tenant=northwind).exists()


def test_seeding_twice_adds_nothing(contoso, fabrikam):
    admin = AdminFactory(tenant=contoso, roles=[AdminRole.BILLING_ADMIN])
    for tenant, scenario in ((contoso, "contoso"), (fabrikam, "fabrikam")):
        seed_credit_history(tenant=tenant, scenario=scenario, now=NOW, acting_user=admin
                            if tenant == contoso else None)
    before = (LedgerEntry.objects.count(), FundLot.objects.count())

    for tenant, scenario in ((contoso, "contoso"), (fabrikam, "fabrikam")):
        seed_credit_history(tenant=tenant, scenario=scenario, now=NOW)

    assert (LedgerEntry.objects.count(), FundLot.objects.count()) == before


def test_seeding_again_a_day_later_replays_the_history(contoso):
    seed_credit_history(tenant=contoso, scenario="contoso", now=NOW)
    count = LedgerEntry.objects.count()
    account = seed_credit_history(tenant=contoso, scenario="contoso", now=NOW + timedelta(days=1))
    assert LedgerEntry.objects.count() == count
    assert account_verify(account, at=NOW + timedelta(days=1)) == []


def test_purchases_record_the_acting_admin_and_recharges_the_system(contoso, billing_admin):
    account = seed_credit_history(
        tenant=contoso, scenario="contoso", now=NOW, acting_user=billing_admin
    )
    purchase = account.entries.filter(kind=EntryKind.PURCHASE).first()
    recharge = account.entries.get(kind=EntryKind.RECHARGE)
    assert (purchase.acting_user, recharge.acting_user) == (billing_admin, None)


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
    contoso = seed_credit_history(tenant=tenant, scenario="contoso", now=now)
    fabrikam = seed_credit_history(tenant=other_tenant, scenario="fabrikam", now=now)

    assert contoso.balance == Decimal("281.45")
    assert fabrikam.balance == Decimal("8.40")
    for account in (contoso, fabrikam):
        assert account.entries.filter(kind=EntryKind.EXPIRY).count() == 1
        assert ledger.balance_at(account=account, at=now) == account.balance
        assert account_verify(account, at=now) == []
    soon = FundLot.objects.for_account(fabrikam).expiring(timedelta(days=30), now)
    assert soon.count() == 1
