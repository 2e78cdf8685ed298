"""Charging usage: earliest-expiring lot first, split across lots, then a deficit."""

from datetime import timedelta
from decimal import Decimal

from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, FundLot
from tests.credits.factories import T0, charge, fund, lot_remaining


def test_charge_draws_from_the_lot_expiring_first(account):
    older = fund(account, "100", at=T0).lot
    newer = fund(account, "100", at=T0 + timedelta(days=30)).lot

    charge(account, "40", at=T0 + timedelta(days=31))

    assert lot_remaining(older) == Decimal("60")
    assert lot_remaining(newer) == Decimal("100")


def test_order_is_by_expiry_not_by_purchase(account):
    first = fund(account, "100", at=T0).lot
    second = fund(account, "100", at=T0 + timedelta(days=1)).lot
    # An operator moved the second lot's expiry earlier (say, a promotional lot).
    FundLot.objects.filter(pk=second.pk).update(expires_at=T0 + timedelta(days=60))

    charge(account, "30", at=T0 + timedelta(days=2))

    assert lot_remaining(second) == Decimal("70")
    assert lot_remaining(first) == Decimal("100")


def test_charge_splits_across_lots_in_expiry_order(account):
    first = fund(account, "10", at=T0).lot
    second = fund(account, "20", at=T0 + timedelta(days=1)).lot
    third = fund(account, "30", at=T0 + timedelta(days=2)).lot

    entry = charge(account, "25.5", at=T0 + timedelta(days=3))

    assert [lot_remaining(lot) for lot in (first, second, third)] == [0, Decimal("4.5"), 30]
    moves = {m.lot_id: m.amount for m in entry.movements.all()}
    assert moves == {first.pk: Decimal("-10"), second.pk: Decimal("-15.5")}
    assert entry.amount == Decimal("-25.5") and entry.balance_after == Decimal("34.5")
    assert entry.kind == EntryKind.USAGE
    assert account_verify(account) == []


def test_usage_beyond_all_funds_becomes_a_deficit(account):
    lot = fund(account, "10", at=T0).lot

    entry = charge(account, "12.3456", at=T0 + timedelta(hours=1))

    assert lot_remaining(lot) == 0
    assert entry.balance_after == Decimal("-2.3456")
    assert (account.balance, account.deficit) == (Decimal("-2.3456"), Decimal("2.3456"))
    assert account_verify(account) == []


def test_charge_while_in_deficit_is_still_charged_in_full(account):
    """A call allowed while the balance was positive is charged when it ends."""
    charge(account, "5", at=T0)
    charge(account, "7", at=T0 + timedelta(minutes=1))
    assert (account.balance, account.deficit) == (Decimal("-12"), Decimal("12"))


def test_rated_charges_keep_four_decimals(account):
    fund(account, "1", at=T0)
    entry = charge(account, "0.0570", at=T0)
    assert entry.amount == Decimal("-0.057")
    assert account.balance == Decimal("0.943")


def test_charge_never_spends_expired_funds_even_before_the_expiry_run(account):
    expired = fund(account, "100", at=T0).lot
    fresh = fund(account, "20", at=T0 + timedelta(days=200)).lot
    after_expiry = expired.expires_at + timedelta(days=1)

    entry = charge(account, "30", at=after_expiry)

    assert lot_remaining(fresh) == 0
    assert lot_remaining(expired) == 0  # forfeited by the expiry the charge wrote first
    assert entry.balance_after == Decimal("-10")
    expiry = account.entries.get(kind=EntryKind.EXPIRY)
    assert (expiry.lot, expiry.amount) == (expired, Decimal("-100"))
    assert expiry.pk < entry.pk
    assert account_verify(account) == []


def test_lot_is_usable_until_just_before_it_expires(account):
    lot = fund(account, "10", at=T0).lot
    charge(account, "4", at=lot.expires_at - timedelta(microseconds=1))
    assert lot_remaining(lot) == Decimal("6")
    assert ledger.balance_at(account=account, at=lot.expires_at) == 0
