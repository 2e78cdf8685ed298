"""Database constraints guard the ledger even against code that bypasses the service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from credits.exceptions import LedgerError
from credits.models import (
    CreditAccount,
    EntryKind,
    FundLot,
    FundSource,
    LedgerEntry,
    LotMovement,
)
from tests.accounts.factories import TenantFactory
from tests.credits.factories import T0, CreditAccountFactory, charge, fund


def _violates(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def lot(account):
    return fund(account, "100", at=T0).lot


def test_lot_remaining_cannot_go_below_zero_or_above_its_amount(lot):
    lots = FundLot.objects.filter(pk=lot.pk)
    assert _violates(lambda: lots.update(remaining=Decimal("-0.0001")))
    assert _violates(lambda: lots.update(remaining=Decimal("100.0001")))
    assert not _violates(lambda: lots.update(remaining=Decimal("100")))


def test_lot_amount_must_be_positive_and_expire_after_purchase(account):
    def make(**fields):
        values = {
            "account": account, "source": FundSource.PURCHASE, "amount": Decimal("10"),
            "remaining": Decimal("0"), "purchased_at": T0, "expires_at": T0 + timedelta(days=1),
        }
        return lambda: FundLot.objects.create(**(values | fields))

    assert _violates(make(amount=Decimal("0"), remaining=Decimal("0")))
    assert _violates(make(expires_at=T0))


def test_idempotency_key_is_unique_per_account_not_globally(account, other_account):
    entry = fund(account, "100", at=T0, key="order-1")
    duplicate = {
        field.attname: getattr(entry, field.attname)
        for field in LedgerEntry._meta.concrete_fields if not field.primary_key
    }
    assert _violates(lambda: LedgerEntry.objects.create(**duplicate))
    other = fund(other_account, "100", at=T0, key="order-1")
    assert other.idempotency_key == entry.idempotency_key


def test_an_entry_can_be_reversed_only_once_in_the_database(account):
    original = charge(account, "1", at=T0)
    values = {
        "account": account, "kind": EntryKind.REVERSAL, "amount": Decimal("1"),
        "balance_after": Decimal("0"), "reverses": original, "fingerprint": "x",
        "created_at": T0,
    }
    LedgerEntry.objects.create(idempotency_key="r1", **values)
    assert _violates(lambda: LedgerEntry.objects.create(idempotency_key="r2", **values))


def test_entry_signs_and_links_are_checked(account, lot):
    base = {
        "account": account, "balance_after": Decimal("0"), "fingerprint": "x", "created_at": T0,
    }
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.USAGE, amount=Decimal("5"), idempotency_key="a", **base))
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.PURCHASE, amount=Decimal("-5"), lot=lot, idempotency_key="b", **base))
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.PURCHASE, amount=Decimal("5"), idempotency_key="c", **base))
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.ADJUSTMENT, amount=Decimal("0"), idempotency_key="d", **base))
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.REVERSAL, amount=Decimal("5"), idempotency_key="e", **base))
    assert _violates(lambda: LedgerEntry.objects.create(
        kind=EntryKind.USAGE, amount=Decimal("-5"), idempotency_key="", **base))


def test_one_expiry_entry_per_lot(account, lot):
    values = {
        "account": account, "kind": EntryKind.EXPIRY, "amount": Decimal("-1"),
        "balance_after": Decimal("0"), "lot": lot, "fingerprint": "x", "created_at": T0,
    }
    LedgerEntry.objects.create(idempotency_key="x1", **values)
    assert _violates(lambda: LedgerEntry.objects.create(idempotency_key="x2", **values))


def _indexes(model) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: found["columns"] for name, found in constraints.items()
        if found["index"] or found["unique"]
    }


@pytest.mark.django_db
def test_an_entry_writes_no_index_that_another_already_leads_with_its_column():
    entries, movements = _indexes(LedgerEntry), _indexes(LotMovement)
    # The account, the lot and the acting user: by the composite and partial indexes only.
    assert [name for name, columns in entries.items() if columns == ["account_id"]] == []
    assert entries["credits_entry_unique_key"][0] == "account_id"
    assert entries["credits_entry_lot_idx"] == ["lot_id"]
    assert entries["credits_entry_actor_idx"] == ["acting_user_id"]
    assert "credits_entry_one_expiry_per_lot" in entries  # kept (the test above)
    assert [name for name, columns in movements.items() if columns == ["entry_id"]] == []
    assert movements["credits_movement_once_per_lot"] == ["entry_id", "lot_id"]


def test_account_deficit_cannot_be_negative_and_balance_not_below_minus_deficit(account):
    accounts = CreditAccount.objects.filter(pk=account.pk)
    assert _violates(lambda: accounts.update(deficit=Decimal("-1")))
    assert _violates(lambda: accounts.update(balance=Decimal("-1")))
    assert not _violates(lambda: accounts.update(balance=Decimal("-1"), deficit=Decimal("1")))


def test_auto_recharge_needs_amount_and_trigger_and_a_limit_that_allows_one(account):
    accounts = CreditAccount.objects.filter(pk=account.pk)
    assert _violates(lambda: accounts.update(auto_recharge_enabled=True))
    assert _violates(lambda: accounts.update(recharge_amount=Decimal("0")))
    assert _violates(lambda: accounts.update(
        recharge_amount=Decimal("100"), monthly_recharge_limit=Decimal("50")))
    assert not _violates(lambda: accounts.update(
        auto_recharge_enabled=True, recharge_amount=Decimal("100"),
        recharge_trigger=Decimal("25"), monthly_recharge_limit=Decimal("300")))


def test_one_credit_account_per_tenant(account):
    assert _violates(lambda: CreditAccount.objects.create(tenant=account.tenant, currency="USD"))


def test_recharge_amounts_are_validated_against_the_currency_decimals(db):
    account = CreditAccountFactory.build(
        tenant=TenantFactory(currency="JPY"), currency="JPY", recharge_amount=Decimal("100.5"),
    )
    with pytest.raises(Exception, match="decimal places") as error:
        account.full_clean()
    assert "recharge_amount" in error.value.message_dict


def test_entries_and_movements_are_append_only(account):
    entry = fund(account, "10", at=T0)
    entry.memo = "edited"
    with pytest.raises(LedgerError, match="append-only"):
        entry.save()
    with pytest.raises(LedgerError, match="append-only"):
        entry.delete()
    movement = entry.movements.get()
    with pytest.raises(LedgerError, match="append-only"):
        movement.save()
    assert LedgerEntry.objects.get(pk=entry.pk).memo == ""


def test_querysets_filter_by_tenant_and_by_time(account, other_account):
    first = fund(account, "100", at=T0).lot
    second = fund(account, "50", at=T0 + timedelta(days=200)).lot
    fund(other_account, "70", at=T0)
    lots = FundLot.objects.for_tenant(account.tenant)
    assert set(lots) == {first, second}
    just_before = first.expires_at - timedelta(seconds=1)
    assert set(lots.active(just_before)) == {first, second}
    assert set(lots.active(first.expires_at)) == {second}
    assert set(lots.expired(first.expires_at)) == {first}
    assert set(lots.expiring(timedelta(days=30), first.expires_at - timedelta(days=10))) == {first}
    assert list(lots.draw_order()) == [first, second]
    assert LedgerEntry.objects.for_tenant(account.tenant).count() == 2
    assert LedgerEntry.objects.for_tenant(account.tenant).credits().count() == 2
    assert not LedgerEntry.objects.for_tenant(account.tenant).debits().exists()
    assert CreditAccount.objects.for_tenant(account.tenant).get() == account
