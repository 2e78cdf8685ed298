"""Bad input is refused with a clear error and nothing written."""

from decimal import Decimal

import pytest

from credits.common.money import MAX_POSTING_AMOUNT, MONEY_LIMIT
from credits.exceptions import CurrencyMismatch, InvalidAmount, LedgerError
from credits.ledger import services as ledger
from credits.models import CreditAccount, FundSource
from tests.accounts.factories import TenantFactory
from tests.credits.factories import T0, CreditAccountFactory, fund, ledger_snapshot

BAD_AMOUNTS = [
    (Decimal("0"), InvalidAmount, "greater than zero"),
    (Decimal("-10"), InvalidAmount, "greater than zero"),
    (Decimal("10.001"), InvalidAmount, "at most 2 decimal places in USD"),
    (MAX_POSTING_AMOUNT + Decimal("0.01"), InvalidAmount, "over the maximum"),
    (10.0, InvalidAmount, "not float"),
]


@pytest.mark.parametrize(("amount", "error", "message"), BAD_AMOUNTS)
def test_funding_with_a_bad_amount_writes_nothing(account, amount, error, message):
    fund(account, "10", at=T0)
    before = ledger_snapshot(account)
    with pytest.raises(error, match=message):
        ledger.funds_add(
            account=account, amount=amount, currency="USD", source=FundSource.PURCHASE,
            idempotency_key="bad", at=T0,
        )
    assert ledger_snapshot(account) == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "greater than zero"),
        (Decimal("-0.5"), "greater than zero"),
        (Decimal("0.00001"), "at most 4 decimal places"),
        (MAX_POSTING_AMOUNT * 2, "over the maximum"),
    ],
)
def test_charge_with_a_bad_amount_writes_nothing(account, amount, message):
    before = ledger_snapshot(account)
    with pytest.raises(InvalidAmount, match=message):
        ledger.usage_charge(
            account=account, amount=amount, currency="USD", idempotency_key="bad", at=T0,
        )
    assert ledger_snapshot(account) == before


def test_amount_in_another_currency_is_refused(account):
    before = ledger_snapshot(account)
    with pytest.raises(CurrencyMismatch, match="in EUR, but this credit account is in USD"):
        ledger.funds_add(
            account=account, amount=Decimal("50"), currency="EUR", source=FundSource.PURCHASE,
            idempotency_key="eur", at=T0,
        )
    with pytest.raises(CurrencyMismatch):
        ledger.usage_charge(
            account=account, amount=Decimal("1"), currency="GBP", idempotency_key="gbp", at=T0,
        )
    assert ledger_snapshot(account) == before


def test_zero_decimal_currency_takes_whole_fundings_only(db):
    account = CreditAccountFactory(tenant=TenantFactory(country="JP", currency="JPY"))
    with pytest.raises(InvalidAmount, match="whole amounts of JPY"):
        ledger.funds_add(
            account=account, amount=Decimal("5000.5"), currency="JPY",
            source=FundSource.PURCHASE, idempotency_key="jpy", at=T0,
        )
    entry = ledger.funds_add(
        account=account, amount=Decimal("5000"), currency="JPY", source=FundSource.PURCHASE,
        idempotency_key="jpy", at=T0,
    )
    assert entry.amount == 5000


def test_balance_cannot_leave_the_column_range(account):
    CreditAccount.objects.filter(pk=account.pk).update(
        balance=MONEY_LIMIT - 1, deficit=Decimal(0)
    )
    account.refresh_from_db()
    with pytest.raises(InvalidAmount, match="range the ledger can hold"):
        fund(account, "10", at=T0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("memo", "x" * 501, "memo is longer than 500"),
        ("reference_id", "x" * 101, "reference_id is longer than 100"),
        ("reference_type", "x" * 41, "reference_type is longer than 40"),
        ("reference_id", 42, "reference_id must be text"),
    ],
)
def test_overlong_or_non_text_fields_are_refused(account, field, value, message):
    with pytest.raises(LedgerError, match=message):
        fund(account, "10", at=T0, **{field: value})


def test_naive_posting_time_is_refused(account):
    with pytest.raises(LedgerError, match="aware"):
        fund(account, "10", at=T0.replace(tzinfo=None))


def test_unsaved_account_is_refused(db):
    account = CreditAccountFactory.build(tenant=TenantFactory())
    with pytest.raises(LedgerError, match="must be saved"):
        fund(account, "10", at=T0)
