"""Property-based tests of the ledger: random sequences of fundings, charges, expiries,
adjustments, reversals, replays, conflicting keys and clock moves, with every invariant
checked after every step.

The machine keeps its own model of what the balance and the entry count must be, and
predicts each charge's draw (earliest-expiring lot with funds first) from the lots as they
were before it, so a wrong draw order or a lost amount shows up at the step that caused it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from credits.common.money import ZERO
from credits.exceptions import EntryNotReversible, IdempotencyConflict, InsufficientCredits
from credits.ledger import services as ledger
from credits.ledger.verification import account_verify
from credits.models import EntryKind, FundLot, FundSource, LedgerEntry, LotMovement
from tests.accounts.factories import TenantFactory
from tests.credits.factories import T0, CreditAccountFactory, ledger_snapshot
from tests.hypothesis_budget import examples

FUNDING_AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2)
CHARGE_AMOUNTS = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("250"), places=4)
SOURCES = st.sampled_from([FundSource.PURCHASE, FundSource.TOP_UP, FundSource.AUTO_RECHARGE])


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.account = CreditAccountFactory(tenant=TenantFactory())
        self.now = T0
        self.balance = ZERO  # what the balance must be
        self.entries = 0  # how many entries there must be
        self.replayable: list[tuple[str, dict, int]] = []  # (operation, arguments, entry id)
        self.reversible: list[int] = []
        self.keys = 0

    # ------------------------------------------------------------------ helpers

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def lots(self):
        return FundLot.objects.for_account(self.account)

    def expect_sweep(self) -> tuple[Decimal, int]:
        """Every posting first forfeits the lots expired by now: account for them."""
        due = list(self.lots().due_for_expiry(self.now).values_list("remaining", flat=True))
        self.balance -= sum(due, ZERO)
        self.entries += len(due)
        return sum(due, ZERO), len(due)

    def call(self, operation: str, arguments: dict):
        functions = {
            "fund": ledger.funds_add, "charge": ledger.usage_charge, "adjust": ledger.entry_adjust,
        }
        return functions[operation](account=self.account, at=self.now, **arguments)

    # -------------------------------------------------------------------- rules

    @rule(amount=FUNDING_AMOUNTS, source=SOURCES)
    def fund(self, amount: Decimal, source: str) -> None:
        self.expect_sweep()
        arguments = {
            "amount": amount, "currency": "USD", "source": source, "idempotency_key": self.key(),
        }
        deficit_before = self._deficit_now()
        entry = self.call("fund", arguments)
        self.balance += amount
        self.entries += 1
        covered = min(amount, deficit_before)
        assert (entry.lot.amount, entry.lot.remaining) == (amount, amount - covered)
        assert self.account.deficit == deficit_before - covered
        self.replayable.append(("fund", arguments, entry.pk))
        self.reversible.append(entry.pk)

    @rule(amount=CHARGE_AMOUNTS)
    def charge(self, amount: Decimal) -> None:
        self.expect_sweep()
        deficit_before = self._deficit_now()
        usable = sorted(  # the earliest-expiring lot with funds first, ordered here
            self.lots()
            .filter(expires_at__gt=self.now, remaining__gt=0)
            .values_list("expires_at", "purchased_at", "pk", "remaining")
        )
        expected, left = {}, amount
        for _expires, _purchased, pk, remaining in usable:
            take = min(remaining, left)
            expected[pk] = remaining - take
            left -= take
        arguments = {"amount": amount, "currency": "USD", "idempotency_key": self.key()}

        entry = self.call("charge", arguments)

        self.balance -= amount
        self.entries += 1
        after = dict(self.lots().filter(pk__in=expected).values_list("pk", "remaining"))
        assert after == expected
        assert self.account.deficit == deficit_before + left
        assert entry.amount == -amount
        self.replayable.append(("charge", arguments, entry.pk))
        self.reversible.append(entry.pk)

    @rule(amount=FUNDING_AMOUNTS, credit=st.booleans())
    def adjust(self, amount: Decimal, credit: bool) -> None:
        swept, expiries = self.expect_sweep()
        signed = amount if credit else -amount
        arguments = {
            "amount": signed, "currency": "USD", "memo": "Correction",
            "idempotency_key": self.key(),
        }
        usable = sum(self.lots().active(self.now).values_list("remaining", flat=True), ZERO)
        if not credit and amount > usable:
            before = ledger_snapshot(self.account)
            with pytest.raises(InsufficientCredits):
                self.call("adjust", arguments)
            assert ledger_snapshot(self.account) == before
            self.balance += swept  # the refused posting's expiries were rolled back too
            self.entries -= expiries
            return
        entry = self.call("adjust", arguments)
        self.balance += signed
        self.entries += 1
        self.replayable.append(("adjust", arguments, entry.pk))
        self.reversible.append(entry.pk)

    @rule()
    def expire(self) -> None:
        due = dict(self.lots().due_for_expiry(self.now).values_list("pk", "remaining"))
        written = ledger.funds_expire(account=self.account, at=self.now)
        assert {e.lot_id: -e.amount for e in written} == due
        self.balance -= sum(due.values(), ZERO)
        self.entries += len(written)
        assert ledger.funds_expire(account=self.account, at=self.now) == []
        self.account.refresh_from_db()
        assert ledger.balance_at(account=self.account, at=self.now) == self.account.balance

    @rule(
        days=st.one_of(st.integers(0, 31), st.integers(300, 400)),  # lots expire after ~365
        hours=st.integers(0, 23),
    )
    def move_clock(self, days: int, hours: int) -> None:
        self.now += timedelta(days=days, hours=hours)

    @precondition(lambda self: self.reversible)
    @rule(data=st.data())
    def reverse(self, data) -> None:
        original = LedgerEntry.objects.get(pk=data.draw(st.sampled_from(self.reversible)))
        self.reversible.remove(original.pk)
        if original.amount > 0 and original.lot.expires_at <= self.now:
            before = ledger_snapshot(self.account)
            with pytest.raises(EntryNotReversible):
                ledger.entry_reverse(
                    entry=original, memo="Dispute", idempotency_key=self.key(), at=self.now
                )
            assert ledger_snapshot(self.account) == before
            return
        self.expect_sweep()
        reversal = ledger.entry_reverse(
            entry=original, memo="Dispute", idempotency_key=self.key(), at=self.now
        )
        self.balance -= original.amount
        self.entries += 1
        assert (reversal.kind, reversal.amount, reversal.reverses_id) == (
            EntryKind.REVERSAL, -original.amount, original.pk
        )
        with pytest.raises(EntryNotReversible):
            ledger.entry_reverse(
                entry=original, memo="Again", idempotency_key=self.key(), at=self.now
            )

    @precondition(lambda self: self.replayable)
    @rule(data=st.data())
    def replay(self, data) -> None:
        operation, arguments, entry_id = data.draw(st.sampled_from(self.replayable))
        before = ledger_snapshot(self.account)
        assert self.call(operation, arguments).pk == entry_id
        assert ledger_snapshot(self.account) == before

    @precondition(lambda self: self.replayable)
    @rule(data=st.data())
    def reuse_key_for_something_else(self, data) -> None:
        operation, arguments, entry_id = data.draw(st.sampled_from(self.replayable))
        amount = arguments["amount"]
        nudge = Decimal("0.01") if amount > 0 else Decimal("-0.01")
        changed = arguments | {"amount": amount + nudge}
        before = ledger_snapshot(self.account)
        with pytest.raises(IdempotencyConflict) as error:
            self.call(operation, changed)
        assert error.value.entry_id == entry_id
        assert ledger_snapshot(self.account) == before

    # ------------------------------------------------------------ invariants

    @invariant()
    def ledger_reconciles(self) -> None:
        assert account_verify(self.account, at=self.now) == []

    @invariant()
    def balance_and_entries_are_what_the_model_says(self) -> None:
        self.account.refresh_from_db()
        assert self.account.balance == self.balance
        assert LedgerEntry.objects.filter(account=self.account).count() == self.entries
        total = sum(self.account.entries.values_list("amount", flat=True), ZERO)
        assert total == self.account.balance

    @invariant()
    def balance_never_counts_expired_funds(self) -> None:
        unexpired = sum(self.lots().unexpired(self.now).values_list("remaining", flat=True), ZERO)
        seen = ledger.balance_at(account=self.account, at=self.now)
        assert seen == unexpired - self.account.deficit
        everything = sum(self.lots().values_list("remaining", flat=True), ZERO)
        assert self.account.balance == everything - self.account.deficit

    @invariant()
    def lots_stay_within_zero_and_their_amount(self) -> None:
        assert not self.lots().filter(remaining__lt=0).exists()
        assert not self.lots().filter(remaining__gt=F("amount")).exists()

    @invariant()
    def expired_funds_are_never_spent(self) -> None:
        """After its expiry a lot only ever moves by its own expiry entry."""
        late = LotMovement.objects.filter(
            lot__account=self.account, entry__created_at__gte=F("lot__expires_at")
        ).exclude(entry__kind=EntryKind.EXPIRY)
        assert not late.exists()

    # ---------------------------------------------------------- small helpers

    def _deficit_now(self) -> Decimal:
        self.account.refresh_from_db()
        return self.account.deficit  # an expiry never changes the deficit


MACHINE_SETTINGS = settings(
    # LEDGER_MACHINE_EXAMPLES overrides the Hypothesis profile's number (tests/conftest.py).
    max_examples=int(os.environ.get("LEDGER_MACHINE_EXAMPLES") or examples(40)),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_ledger_state_machine(db):
    run_state_machine_as_test(LedgerMachine, settings=MACHINE_SETTINGS)
