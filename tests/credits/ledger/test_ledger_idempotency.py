"""Every posting is idempotent by key: a replay returns the first entry, a different
request with the same key is refused, and neither writes anything."""

from datetime import timedelta
from decimal import Decimal

import pytest

from credits.exceptions import IdempotencyConflict, LedgerError
from credits.ledger import services as ledger
from credits.models import FundSource
from tests.credits.factories import T0, charge, fund, ledger_snapshot


def test_replayed_funding_returns_the_first_entry_and_writes_nothing(account, billing_admin):
    first = fund(account, "100", at=T0, key="order-7", acting_user=billing_admin)
    before = ledger_snapshot(account)

    again = fund(account, "100.00", at=T0 + timedelta(days=1), key="order-7", memo="retry")

    assert again == first
    assert ledger_snapshot(account) == before
    assert account.balance == Decimal("100")


def test_replayed_charge_returns_the_first_entry(account):
    fund(account, "10", at=T0)
    first = charge(account, "2.5", at=T0, key="usage-1", reference_type="call", reference_id="1")
    later = T0 + timedelta(days=2)
    fund(account, "10", at=later)
    before = ledger_snapshot(account)
    # A replay may arrive after later postings; it is not a back-dated posting.
    again = charge(account, "2.5", at=T0, key="usage-1", reference_type="call", reference_id="1")
    assert again == first
    assert ledger_snapshot(account) == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "100.01"},
        {"source": FundSource.TOP_UP},
        {"reference_id": "8"},
        {"reference_type": "invoice"},
    ],
)
def test_same_key_with_different_content_is_a_conflict(account, change):
    first = fund(account, "100", at=T0, key="order-7", reference_type="order", reference_id="7")
    before = ledger_snapshot(account)
    request = {"amount": "100", "reference_type": "order", "reference_id": "7"} | change

    with pytest.raises(IdempotencyConflict, match="order-7") as error:
        fund(account, request.pop("amount"), at=T0, key="order-7", **request)

    assert error.value.entry_id == first.pk and error.value.key == "order-7"
    assert ledger_snapshot(account) == before


def test_same_key_for_another_operation_is_a_conflict(account):
    fund(account, "100", at=T0, key="k-1")
    before = ledger_snapshot(account)
    with pytest.raises(IdempotencyConflict, match="purchase of 100.0000 USD"):
        charge(account, "100", at=T0, key="k-1")
    with pytest.raises(IdempotencyConflict):
        ledger.entry_adjust(
            account=account, amount=Decimal("100"), currency="USD", memo="x",
            idempotency_key="k-1", at=T0,
        )
    assert ledger_snapshot(account) == before


def test_replayed_adjustment_returns_the_first_entry(account):
    def adjust(memo):
        return ledger.entry_adjust(
            account=account, amount=Decimal("-3"), currency="USD", memo=memo,
            idempotency_key="adj-1", at=T0,
        )

    fund(account, "10", at=T0)
    first = adjust("Correction")
    assert adjust("Correction, again") == first
    assert account.balance == Decimal("7")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "needs an idempotency key"),
        ("   ", "needs an idempotency key"),
        (None, "needs an idempotency key"),
        ("x" * 201, "longer than 200"),
        ("ledger:expiry:lot:1", "reserved"),
    ],
)
def test_bad_keys_are_refused(account, key, message):
    before = ledger_snapshot(account)
    with pytest.raises(LedgerError, match=message):
        ledger.funds_add(
            account=account, amount=Decimal("10"), currency="USD",
            source=FundSource.PURCHASE, idempotency_key=key, at=T0,
        )
    assert ledger_snapshot(account) == before
