"""Recompute a credit account from its entries and lots; report every disagreement.

Used by ``manage.py ledger_verify`` (operators) and by the tests after every step. All
sums are done in Python with ``Decimal`` from the stored values, so the check is exact on
SQLite as well as PostgreSQL, and it reads only: it never repairs anything.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from credits.common.money import ZERO
from credits.ledger.choices import CREDIT_KINDS, EntryKind
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.models.rollup import LedgerDaySummary, day_figures


def account_label(account: CreditAccount) -> str:
    tenant = account.tenant
    return f"credit account {account.pk} of {tenant.name} ({tenant.slug}, {account.currency})"


def account_verify(account: CreditAccount, *, at: datetime | None = None) -> list[str]:
    """Every way the account fails to reconcile; an empty list when it is consistent.

    Checks: the entries' running sum gives each ``balance_after`` and the cached balance;
    entries are in time order and ``last_posted_at`` is the latest; each lot's remaining
    is the running sum of its movements (and each ``remaining_after``), never below zero
    or above its amount; the deficit is what the movements and entries imply, never
    negative; balance = lots' remaining - deficit; no unexpired lot has funds while there
    is a deficit; fundings, expiries and reversals have the amounts their lots and
    originals imply; the day rollup holds each UTC day's spent, funded and entry count.
    """
    at = at or timezone.now()
    account = CreditAccount.objects.select_related("tenant").get(pk=account.pk)
    problems: list[str] = []

    entries = list(
        LedgerEntry.objects.filter(account=account)
        .order_by("id")
        .values_list("id", "kind", "amount", "balance_after", "created_at", "lot_id", "reverses_id")
    )
    amounts = {row[0]: row[2] for row in entries}
    running = ZERO
    previous_at = None
    chain_broken = False
    for entry_id, _kind, amount, balance_after, created_at, _lot, _reverses in entries:
        running += amount
        if balance_after != running and not chain_broken:
            problems.append(
                f"entry #{entry_id} says the balance after it is {balance_after}, "
                f"but the entries up to it add up to {running}"
            )
            chain_broken = True
        if previous_at is not None and created_at < previous_at:
            problems.append(f"entry #{entry_id} is dated before the entry preceding it")
        previous_at = created_at
    if account.balance != running:
        problems.append(f"cached balance {account.balance} != sum of entries {running}")
    if account.last_posted_at != previous_at:
        problems.append(
            f"last posting time {account.last_posted_at} != latest entry time {previous_at}"
        )

    lots = {lot.pk: lot for lot in FundLot.objects.filter(account=account)}
    lot_sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    entry_moves: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for movement_id, lot_id, entry_id, amount, remaining_after in (
        LotMovement.objects.filter(entry__account=account)
        .order_by("id")
        .values_list("id", "lot_id", "entry_id", "amount", "remaining_after")
    ):
        if lot_id not in lots:
            problems.append(f"movement {movement_id} of entry #{entry_id} touches another "
                            f"account's lot {lot_id}")
            continue
        lot_sums[lot_id] += amount
        entry_moves[entry_id][lot_id] = amount
        if remaining_after != lot_sums[lot_id]:
            problems.append(
                f"lot {lot_id}: movement {movement_id} says {remaining_after} was left, but "
                f"its movements add up to {lot_sums[lot_id]}"
            )
    for lot in lots.values():
        if lot.remaining != lot_sums[lot.pk]:
            problems.append(
                f"lot {lot.pk}: remaining {lot.remaining} != sum of its movements "
                f"{lot_sums[lot.pk]}"
            )
        if not ZERO <= lot.remaining <= lot.amount:
            problems.append(f"lot {lot.pk}: remaining {lot.remaining} is outside 0..{lot.amount}")

    remaining_total = sum((lot.remaining for lot in lots.values()), ZERO)
    implied_deficit = sum(lot_sums.values(), ZERO) - running
    if account.deficit != implied_deficit:
        problems.append(
            f"cached deficit {account.deficit} != deficit implied by lots and entries "
            f"{implied_deficit}"
        )
    if implied_deficit < 0:
        problems.append(f"the lots hold {-implied_deficit} more than the entries account for")
    if account.balance != remaining_total - account.deficit:
        problems.append(
            f"cached balance {account.balance} != lots' remaining {remaining_total} - deficit "
            f"{account.deficit}"
        )
    if account.deficit > 0:
        funded = [lot.pk for lot in lots.values() if lot.remaining > 0 and lot.expires_at > at]
        if funded:
            problems.append(
                f"deficit {account.deficit} while unexpired lots {funded} still have funds"
            )

    for entry_id, kind, amount, _balance, _at, lot_id, reverses_id in entries:
        moved = entry_moves.get(entry_id, {})
        if kind in CREDIT_KINDS and lot_id in lots and lots[lot_id].amount != amount:
            problems.append(
                f"entry #{entry_id} added {amount} but its lot {lot_id} records "
                f"{lots[lot_id].amount}"
            )
        if kind == EntryKind.EXPIRY and moved != {lot_id: amount}:
            problems.append(f"expiry entry #{entry_id} does not match its lot's movement")
        if kind == EntryKind.REVERSAL and amounts.get(reverses_id) != -amount:
            problems.append(
                f"reversal #{entry_id} of {amount} does not undo entry #{reverses_id} "
                f"({amounts.get(reverses_id)})"
            )
    problems += rollup_verify(account, entries)
    return problems


def rollup_verify(account: CreditAccount, entries: list[tuple]) -> list[str]:
    """The account's day rollup against its entries (rows of ``account_verify``)."""
    kinds = {row[0]: row[1] for row in entries}
    expected: dict = defaultdict(lambda: (ZERO, ZERO, 0))
    for _id, kind, amount, _balance, created_at, _lot, reverses_id in entries:
        spent, funded = day_figures(kind, amount, kinds.get(reverses_id))
        day = created_at.astimezone(UTC).date()
        before = expected[day]
        expected[day] = (before[0] + spent, before[1] + funded, before[2] + 1)
    stored = {
        day: (spent, funded, count)
        for day, spent, funded, count in LedgerDaySummary.objects.filter(account=account)
        .values_list("day", "spent", "funded", "entries")
    }
    problems = []
    for day in sorted(set(expected) | set(stored)):
        want = expected.get(day, (ZERO, ZERO, 0))
        have = stored.get(day, (ZERO, ZERO, 0))
        if want != have:
            problems.append(
                f"day rollup of {day:%Y-%m-%d} says spent {have[0]}, funded {have[1]}, "
                f"{have[2]} entries, but the entries give {want[0]}, {want[1]}, {want[2]}"
            )
    return problems
