"""``ledger.usage_charge_many``: the batch form of ``usage_charge`` (rated calls).

The main property: posting a sequence of charges as one batch leaves the ledger exactly
as posting them one by one would (entries, balances, lot movements, expiries, deficit),
and every invariant ``ledger_verify`` checks holds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credits.exceptions import (
    AccountClosed,
    CurrencyMismatch,
    IdempotencyConflict,
    InvalidAmount,
    LedgerError,
)
from credits.ledger import services as ledger
from credits.ledger.services import UsageCharge
from credits.ledger.verification import account_verify
from credits.models import CreditAccount, CreditAccountStatus, EntryKind, FundLot, LedgerEntry
from tests.accounts.factories import TenantFactory
from tests.credits.factories import T0, CreditAccountFactory, charge, fund, ledger_snapshot
from tests.hypothesis_budget import examples


def charges(amounts, *, start=T0 + timedelta(days=1), step=timedelta(hours=1), prefix="call"):
    return [
        UsageCharge(
            amount=Decimal(amount), currency="USD", idempotency_key=f"{prefix}-{n}",
            reference_type="call", reference_id=f"{prefix}-{n}", at=start + step * n,
        )
        for n, amount in enumerate(amounts)
    ]


def ledger_state(account: CreditAccount) -> dict:
    """Everything two equivalent histories share (ids and keys aside)."""
    account.refresh_from_db()
    entries = list(account.entries.order_by("id"))
    lots = list(FundLot.objects.for_account(account).order_by("purchased_at", "id"))
    lot_index = {lot.pk: n for n, lot in enumerate(lots)}
    return {
        "balance": account.balance,
        "deficit": account.deficit,
        "last": account.last_posted_at,
        "entries": [
            (
                e.kind, e.amount, e.balance_after, e.created_at,
                sorted((lot_index[m.lot_id], m.amount, m.remaining_after)
                       for m in e.movements.all()),
            )
            for e in entries
        ],
        "lots": [(lot.amount, lot.remaining, lot.expires_at) for lot in lots],
    }


def test_a_batch_draws_lots_in_expiry_order_then_runs_into_a_deficit(account):
    first = fund(account, "1.00", at=T0).lot
    second = fund(account, "2.00", at=T0 + timedelta(minutes=1)).lot

    posted = ledger.usage_charge_many(
        account=account, charges=charges(["0.6000", "0.6000", "1.5000", "0.4321", "0.1"])
    )

    assert (posted.posted, posted.duplicates) == (5, 0)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.remaining, second.remaining) == (0, 0)
    assert (account.balance, account.deficit) == (Decimal("-0.2321"), Decimal("0.2321"))
    straddling = posted.entries["call-1"]
    assert sorted(m.amount for m in straddling.movements.all()) == [Decimal("-0.4"),
                                                                    Decimal("-0.2")]
    assert [m.amount for m in posted.entries["call-3"].movements.all()] == [Decimal("-0.3")]
    assert posted.entries["call-4"].movements.count() == 0  # all deficit
    assert [posted.entries[f"call-{n}"].balance_after for n in range(5)] == [
        Decimal("2.4"), Decimal("1.8"), Decimal("0.3"), Decimal("-0.1321"), Decimal("-0.2321")
    ]
    assert account_verify(account) == []


def test_a_lot_expiring_inside_the_batch_is_forfeited_before_the_next_charge(account):
    expiring = fund(account, "5.00", at=T0).lot
    fund(account, "5.00", at=T0 + timedelta(days=200))
    start = expiring.expires_at - timedelta(hours=2)

    ledger.usage_charge_many(
        account=account, charges=charges(["1", "1", "1", "1"], start=start)
    )

    expiry = account.entries.get(kind=EntryKind.EXPIRY)
    assert expiry.amount == Decimal("-3")  # two charges drew 2 before it expired
    assert expiry.created_at == start + timedelta(hours=2)  # at the first charge after it
    account.refresh_from_db()
    assert account.balance == Decimal("3")
    assert account_verify(account) == []


@settings(
    max_examples=examples(25), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    fundings=st.lists(
        st.tuples(
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2),
            st.integers(min_value=0, max_value=400),
        ),
        min_size=0, max_size=4,
    ),
    amounts=st.lists(
        st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("30"), places=4),
        min_size=1, max_size=25,
    ),
    gap_hours=st.integers(min_value=0, max_value=24 * 40),
    start_day=st.integers(min_value=0, max_value=500),
)
def test_a_batch_leaves_the_ledger_as_one_posting_per_charge_would(
    db, fundings, amounts, gap_hours, start_day
):
    one_by_one = CreditAccountFactory(tenant=TenantFactory())
    batched = CreditAccountFactory(tenant=TenantFactory())
    for account in (one_by_one, batched):
        for n, (amount, day) in enumerate(sorted(fundings, key=lambda f: f[1])):
            fund(account, amount, at=T0 + timedelta(days=day, minutes=n), key=f"f{n}")
    last = max((T0 + timedelta(days=day, minutes=len(fundings)) for _, day in fundings),
               default=T0)
    batch = charges(
        amounts, start=max(last, T0 + timedelta(days=start_day)),
        step=timedelta(hours=gap_hours),
    )

    for item in batch:
        ledger.usage_charge(
            account=one_by_one, amount=item.amount, currency="USD",
            idempotency_key=item.idempotency_key, reference_type="call",
            reference_id=item.reference_id, at=item.at,
        )
    ledger.usage_charge_many(account=batched, charges=batch)

    assert ledger_state(batched) == ledger_state(one_by_one)
    assert account_verify(batched) == []


def test_the_same_batch_twice_posts_once(account):
    fund(account, "10.00", at=T0)
    batch = charges(["1.2345", "2.5"])
    first = ledger.usage_charge_many(account=account, charges=batch)
    before = ledger_snapshot(account)

    again = ledger.usage_charge_many(account=account, charges=batch)

    assert (again.posted, again.duplicates) == (0, 2)
    assert {k: e.pk for k, e in again.entries.items()} == {
        k: e.pk for k, e in first.entries.items()
    }
    assert ledger_snapshot(account) == before


def test_a_charge_posted_alone_is_a_duplicate_in_a_batch(account):
    fund(account, "10.00", at=T0)
    [item, other] = charges(["1.5", "2"])
    single = ledger.usage_charge(
        account=account, amount=item.amount, currency="USD", idempotency_key=item.idempotency_key,
        reference_type="call", reference_id=item.reference_id, at=item.at,
    )

    posted = ledger.usage_charge_many(account=account, charges=[item, other])

    assert (posted.posted, posted.duplicates) == (1, 1)
    assert posted.entries[item.idempotency_key].pk == single.pk
    assert account.entries.filter(kind=EntryKind.USAGE).count() == 2


def test_a_known_key_with_other_content_refuses_the_whole_batch(account):
    fund(account, "10.00", at=T0)
    charge(account, "1.00", key="call-0", at=T0 + timedelta(hours=1),
           reference_type="call", reference_id="call-0")
    before = ledger_snapshot(account)

    with pytest.raises(IdempotencyConflict) as error:
        ledger.usage_charge_many(account=account, charges=charges(["2.00", "3.00"],
                                                                  start=T0 + timedelta(days=1)))

    assert error.value.key == "call-0"
    assert ledger_snapshot(account) == before


def test_one_key_twice_in_a_batch(account):
    fund(account, "10.00", at=T0)
    same = charges(["1.00"])[0]
    posted = ledger.usage_charge_many(account=account, charges=[same, same])
    assert (posted.posted, posted.duplicates) == (1, 1)

    before = ledger_snapshot(account)
    changed = UsageCharge(amount=Decimal("2"), currency="USD", idempotency_key="new",
                          at=same.at + timedelta(hours=1))
    with pytest.raises(LedgerError, match="twice in this batch"):
        ledger.usage_charge_many(
            account=account,
            charges=[changed, UsageCharge(amount=Decimal("3"), currency="USD",
                                          idempotency_key="new", at=changed.at)],
        )
    assert ledger_snapshot(account) == before


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        (Decimal("0"), "USD", InvalidAmount),
        (Decimal("-1"), "USD", InvalidAmount),
        (Decimal("0.00001"), "USD", InvalidAmount),
        (1.5, "USD", InvalidAmount),
        (Decimal("1"), "EUR", CurrencyMismatch),
    ],
)
def test_one_invalid_charge_refuses_the_whole_batch(account, amount, currency, error):
    fund(account, "10.00", at=T0)
    before = ledger_snapshot(account)
    bad = UsageCharge(amount=amount, currency=currency, idempotency_key="bad",
                      at=T0 + timedelta(days=2))
    with pytest.raises(error):
        ledger.usage_charge_many(account=account, charges=[*charges(["1"]), bad])
    assert ledger_snapshot(account) == before


def test_a_batch_cannot_reach_back_before_the_latest_entry(account):
    fund(account, "10.00", at=T0 + timedelta(days=5))
    before = ledger_snapshot(account)
    with pytest.raises(LedgerError, match="time order"):
        ledger.usage_charge_many(account=account, charges=charges(["1"], start=T0))
    assert ledger_snapshot(account) == before


def test_charges_without_a_time_take_effect_now_in_the_order_given(account):
    fund(account, "10.00")
    batch = [UsageCharge(amount=Decimal(a), currency="USD", idempotency_key=f"k{a}")
             for a in ("1", "2", "3")]
    posted = ledger.usage_charge_many(account=account, charges=batch)
    entries = [posted.entries[f"k{a}"] for a in ("1", "2", "3")]
    assert [e.balance_after for e in entries] == [Decimal("9"), Decimal("7"), Decimal("4")]
    assert entries[0].pk < entries[1].pk < entries[2].pk


def test_a_closed_account_takes_no_batch(account):
    fund(account, "10.00", at=T0)
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccountStatus.CLOSED)
    with pytest.raises(AccountClosed):
        ledger.usage_charge_many(account=account, charges=charges(["1"]))


def test_an_empty_batch_does_nothing(account):
    with CaptureQueriesContext(connection) as queries:
        posted = ledger.usage_charge_many(account=account, charges=[])
    assert (posted.posted, len(queries)) == (0, 0)


def test_queries_do_not_grow_with_the_batch(account):
    fund(account, "1000.00", at=T0)
    with CaptureQueriesContext(connection) as small:
        ledger.usage_charge_many(account=account, charges=charges(["1"] * 5, prefix="a"))
    with CaptureQueriesContext(connection) as large:
        ledger.usage_charge_many(
            account=account,
            charges=charges(["1"] * 400, prefix="b", start=T0 + timedelta(days=2),
                            step=timedelta(seconds=1)),
        )
    def others(queries):
        return [q["sql"] for q in queries if not q["sql"].startswith("INSERT")]

    assert len(others(large)) == len(others(small))  # nothing per charge but the INSERTs
    assert len(large) <= len(small) + 16  # SQLite caps the rows of one INSERT
    assert LedgerEntry.objects.filter(account=account, kind=EntryKind.USAGE).count() == 405
    assert account_verify(account) == []


def test_the_fast_insert_writes_every_column_of_an_entry():
    from credits.ledger.services import _ENTRY_COLUMNS

    columns = [f.attname for f in LedgerEntry._meta.concrete_fields]
    assert sorted(_ENTRY_COLUMNS) == sorted(columns) and len(_ENTRY_COLUMNS) == len(columns)


def test_the_batch_writes_every_column_of_an_entry_in_the_models_order():
    """The batch builds its entries from rows by position (``LedgerEntry.from_db``)."""
    assert tuple(
        field.column for field in LedgerEntry._meta.concrete_fields
    ) == ledger._ENTRY_COLUMNS
