"""The ledger: the only code that moves money (docs/architecture.md, "Money").

Accounting model
----------------
- **Entries.** Every posting writes exactly one ``LedgerEntry`` with a signed ``amount``;
  the account's cached ``balance`` is the sum of its entries, updated in the same
  transaction, and each entry records ``balance_after``.
- **Lots.** Every funding (purchase, top-up, auto-recharge, credit adjustment) creates a
  ``FundLot`` that expires 12 calendar months after it was bought. A lot's ``remaining``
  changes only through ``LotMovement`` rows of entries, so it always equals their sum.
- **Deficit.** Under the negative balance policy a call that was allowed is charged in
  full when it ends; what no usable lot can pay becomes ``account.deficit``. So, always:
  ``balance == sum(lot.remaining) - deficit``, and for every entry
  ``amount == sum(its movements) - (deficit after - deficit before)``.
- **A deficit exists only while no unexpired lot has funds**: a credit covers the deficit
  before anything reaches a lot (so the next funding covers it first), and a debit empties
  the usable lots before it grows the deficit.

Rules
-----
- A debit draws from the lot **expiring first** (then the older, then the lower id),
  splitting across lots, and only from lots unexpired at the posting time.
- Funds expire at ``expires_at`` (a lot is usable while ``at < expires_at``).
  ``funds_expire`` forfeits exactly each expired lot's remaining amount with one expiry
  entry per lot; a second run finds nothing left and writes nothing. Every posting first
  expires the account's due lots, so expired funds are never spent, and ``balance_at``
  leaves them out even before any expiry entry is written.
- A reversal posts the opposite amount and points at the original; an entry is reversed
  at most once, and expiries and reversals are not reversible (correct them with an
  adjustment). Reversing a funding takes the lot's remaining funds, then draws the rest
  like a charge (it may create a deficit: the funds were spent). Reversing a charge is a
  credit: it covers the deficit first, then goes back to the unexpired lots it came from
  (latest-expiring first); what cannot go back becomes a new adjustment lot.
- **Time.** Postings take effect at ``at`` (default: now, read after the lock). The
  ledger is kept in time order: an explicit ``at`` before the account's latest entry is
  refused. Pass ``at`` only to replay history (the demo, tests).
- **Idempotency.** Every posting carries a key, unique per account. The same key with
  the same content (operation, amount, currency, source, reference; not the memo, the
  acting user or the time) returns the first entry and writes nothing; with different
  content it raises ``IdempotencyConflict`` and writes nothing. Keys starting with
  ``ledger:`` are reserved for entries the ledger writes itself (expiries).
- **Transactions and locking.** Each function runs in ``transaction.atomic()`` and
  starts by locking the account row (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL; on
  SQLite the ``IMMEDIATE`` transaction mode serializes writers). All writes to an
  account's lots and entries happen under that lock, so postings of one account are
  serialized and no interleaving can lose an update, double-spend a lot or apply a key
  twice (the key is looked up after the lock is held). The block is not ``durable``: a
  calling service (an order being paid, a call being rated) may wrap the posting in its
  own transaction so both commit or neither does; when called outside a transaction the
  block is the transaction. New values are computed in Python with ``Decimal`` under the
  lock and written as values, never as SQL arithmetic (exact on SQLite as well); the one
  exception is the day rollup's upsert on PostgreSQL, which adds in exact ``numeric``.
- **Statements.** A single posting is three statements inside its transaction: the lock
  (``_lock``), one read of the key and of the lots with funds (``_read``), one write
  (``_flush``: on PostgreSQL a single ``WITH`` statement inserting the entries, their
  movements and any new lot, updating the lots with ``UPDATE … FROM (VALUES …)`` and the
  account, and upserting the day rollup). The read comes after the lock, never joined to
  it: in READ COMMITTED a statement that waited for the lock would see the lots as they
  were before the posting it waited for. An audited posting adds its audit row.
- **Day rollup.** Every posting adds its entries to ``LedgerDaySummary`` (per account and
  UTC day: spent, funded, entries) in the same transaction; ``ledger_verify`` checks it
  against the entries.
- **Batches.** ``usage_charge_many`` posts many usage charges (rated calls) in one
  transaction with the same rules and the same entries, fingerprints and lot movements
  as one ``usage_charge`` per charge: one lock, one idempotency lookup, FIFO draw-down
  computed in memory in time order (the expiry step runs again wherever a lot with funds
  expires between two charges), then bulk inserts and one update of each lot and of the
  account.
- Admin-initiated changes are audited (``accounts`` audit log) in the same transaction:
  fundings with an acting user, and every adjustment and reversal.
- **Withdrawing a lot.** ``lot_withdraw`` takes back what is left of one lot (a voided
  invoice's funds) as an adjustment drawn from that lot only; what was spent stays spent.
- **Status.** ``account_suspend`` and ``account_resume`` change an account's status under
  the same lock, audited with the reason; they move no money. A closed account stays
  closed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from accounts.batching import in_batches
from accounts.services import audit_record
from credits.common.bulk import copy_available, ids_allocate, prepared_cursor, rows_insert
from credits.common.dates import lot_expires_at
from credits.common.logs import event_log
from credits.common.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_LIMIT,
    ZERO,
    amount_validate,
    currency_decimals,
)
from credits.exceptions import (
    AccountClosed,
    EntryNotReversible,
    IdempotencyConflict,
    InsufficientCredits,
    InvalidAmount,
    LedgerError,
)
from credits.ledger.checks import (
    RESERVED_KEY_PREFIX,
    actor_check,
    aware_check,
    entry_replayed,
    key_check,
    request_fingerprint,
    texts_check,
)
from credits.ledger.choices import REVERSIBLE_KINDS, CreditAccountStatus, EntryKind, FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import FUNDING_KIND, LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.models.rollup import LedgerDaySummary, day_figures
from credits.ledger.selectors import balance_at

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "account_resume",
    "account_suspend",
    "balance_at",
    "entry_adjust",
    "entry_reverse",
    "funds_add",
    "funds_expire",
    "funds_expire_due",
    "lot_withdraw",
    "UsageCharge",
    "UsageChargesPosted",
    "usage_charge",
    "usage_charge_many",
]

_FUNDING_SOURCES = frozenset({FundSource.PURCHASE, FundSource.TOP_UP, FundSource.AUTO_RECHARGE})


# --------------------------------------------------------------------------- public API


def funds_add(
    *,
    account: CreditAccount,
    amount: Decimal,
    currency: str,
    source: str,
    idempotency_key: str,
    acting_user: User | None = None,
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Add funds as a new lot; a deficit is covered first. Returns the funding entry.

    ``source`` is a purchase, a manual top-up or an auto-recharge (adjustments go through
    ``entry_adjust``). Amounts have at most the currency's minor-unit decimals.
    """
    if source not in _FUNDING_SOURCES:
        raise LedgerError(
            f"{source!r} is not a funding source: use purchase, top_up or auto_recharge "
            "(adjustments go through entry_adjust)."
        )
    amount = amount_validate(
        amount, currency=currency, account_currency=account.currency,
        decimals=currency_decimals(account.currency),
    )
    reference_type, reference_id, memo = texts_check(
        reference_type=reference_type, reference_id=reference_id, memo=memo
    )
    fingerprint = request_fingerprint(
        "funds_add", amount=amount, currency=currency, source=source,
        reference_type=reference_type, reference_id=reference_id,
    )

    def write(work: _Work, moment: datetime) -> LedgerEntry:
        return _fund(
            work, moment, amount=amount, source=source, kind=FUNDING_KIND[source],
            key=idempotency_key, fingerprint=fingerprint, acting_user=acting_user,
            reference_type=reference_type, reference_id=reference_id, memo=memo,
        )

    return _posting(
        account, key=idempotency_key, fingerprint=fingerprint, at=at, acting_user=acting_user,
        require_open=True, describe=f"{source} of {amount} {currency}", write=write,
        audit="credits.funds_add" if acting_user is not None else None,
    )


def usage_charge(
    *,
    account: CreditAccount,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Charge usage in full, drawing from the lot expiring first; the rest becomes a deficit.

    The caller decided the call could start (balance above zero then); once it ended it is
    charged in full even if that takes the balance below zero (negative balance policy).
    Rated charges may have up to 4 decimals.
    """
    amount = amount_validate(
        amount, currency=currency, account_currency=account.currency,
        decimals=MONEY_DECIMAL_PLACES,
    )
    reference_type, reference_id, memo = texts_check(
        reference_type=reference_type, reference_id=reference_id, memo=memo
    )
    fingerprint = request_fingerprint(
        "usage_charge", amount=amount, currency=currency,
        reference_type=reference_type, reference_id=reference_id,
    )

    def write(work: _Work, moment: datetime) -> LedgerEntry:
        moves, _shortfall = _draw(work, amount, moment)
        return _post(
            work, moment, kind=EntryKind.USAGE, amount=-amount, moves=moves,
            key=idempotency_key, fingerprint=fingerprint,
            reference_type=reference_type, reference_id=reference_id, memo=memo,
        )

    return _posting(
        account, key=idempotency_key, fingerprint=fingerprint, at=at, acting_user=None,
        require_open=True, describe=f"usage of {amount} {currency}", write=write,
    )

log = logging.getLogger(__name__)


class UsageCharge(NamedTuple):
    """One charge of a ``usage_charge_many`` batch (the arguments of ``usage_charge``); a
    named tuple, as the import builds one per charged call
    (``credits.usage.telephony.records.CallInput`` says why)."""

    amount: Decimal
    currency: str
    idempotency_key: str
    reference_type: str = ""
    reference_id: str = ""
    memo: str = ""
    at: datetime | None = None


@dataclass
class UsageChargesPosted:
    """What a batch did: the entry of every key (new or replayed) and the counts."""

    entries: dict[str, LedgerEntry] = field(default_factory=dict)
    posted: int = 0
    duplicates: int = 0


def usage_charge_many(
    *, account: CreditAccount, charges: Sequence[UsageCharge]
) -> UsageChargesPosted:
    """Post many usage charges at once: the batch form of ``usage_charge``.

    Same rules, same entries: each charge is validated like ``usage_charge``, writes one
    usage entry keyed by its idempotency key with the same fingerprint (so a charge
    posted by either function is a replay for the other), draws from the lots expiring
    first and puts what no lot can pay into the deficit. Charges take effect in time
    order (``at``, default now; a batch may not reach back before the account's latest
    entry). A key already used with the same content is a duplicate and writes nothing;
    with different content the whole batch is refused with ``IdempotencyConflict``, and
    so is one key used twice in the batch for different charges. Validation errors, a
    closed account or a conflict write nothing at all.
    """
    prepared = [_charge_prepare(account, charge) for charge in charges]
    result = UsageChargesPosted()
    if not prepared:
        return result
    with transaction.atomic():
        locked = _lock(account)
        existing: dict[str, tuple[int, str]] = {}
        keys = list(dict.fromkeys(item.key for item in prepared))
        for batch in in_batches(keys):
            rows = LedgerEntry.objects.filter(
                account=locked, idempotency_key__in=batch
            ).values_list("idempotency_key", "pk", "fingerprint")
            existing.update((key, (pk, fingerprint)) for key, pk, fingerprint in rows)
        fresh: list[_PreparedCharge] = []
        batch_keys: dict[str, _PreparedCharge] = {}
        replayed: list[str] = []
        for item in prepared:
            found = existing.get(item.key)
            if found is not None:
                if found[1] != item.fingerprint:
                    raise IdempotencyConflict(
                        f"The idempotency key {item.key!r} was already used on this credit "
                        f"account for entry #{found[0]}; this request (usage of "
                        f"{item.amount} {locked.currency}) is different, so nothing was "
                        "posted.",
                        key=item.key, entry_id=found[0],
                    )
                replayed.append(item.key)
                continue
            first = batch_keys.get(item.key)
            if first is not None:
                if first.fingerprint != item.fingerprint:
                    raise LedgerError(
                        f"The idempotency key {item.key!r} is used twice in this batch for "
                        "different charges; nothing was posted."
                    )
                replayed.append(item.key)
                continue
            batch_keys[item.key] = item
            fresh.append(item)
        if fresh:
            if locked.is_closed:
                raise AccountClosed(
                    f"The credit account of {locked.tenant} is closed: it takes no new funds "
                    "or charges."
                )
            default_moment = _posting_time(locked, None)
            timed = sorted(
                ((item.at or default_moment, item) for item in fresh), key=lambda pair: pair[0]
            )
            _posting_time(locked, timed[0][0])  # refuses a batch reaching back in time
            written = list(_charge_run(locked, timed))
            for entry in written:
                result.entries[entry.idempotency_key] = entry
            result.posted = len(fresh)
            _posted_log(locked, written)
        if replayed:
            unique = list(dict.fromkeys(replayed))
            for batch in in_batches(unique):
                for entry in LedgerEntry.objects.filter(
                    account=locked, idempotency_key__in=batch
                ):
                    result.entries.setdefault(entry.idempotency_key, entry)
            result.duplicates = len(replayed)
    _sync(account, locked)
    return result


def entry_adjust(
    *,
    account: CreditAccount,
    amount: Decimal,
    currency: str,
    memo: str,
    idempotency_key: str,
    acting_user: User | None = None,
    reference_type: str = "",
    reference_id: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Post a correction: a positive amount adds an adjustment lot, a negative one draws
    from the lots expiring first and may not exceed the usable funds (no deficit).

    ``memo`` (the reason) is required; the adjustment is audited.
    """
    if isinstance(amount, Decimal) and amount.is_finite() and amount < 0:
        magnitude, sign = -amount, -1
    else:
        magnitude, sign = amount, 1
    magnitude = amount_validate(
        magnitude, currency=currency, account_currency=account.currency,
        decimals=currency_decimals(account.currency),
    )
    if not isinstance(memo, str) or not memo.strip():
        raise LedgerError("An adjustment needs a reason in its memo.")
    reference_type, reference_id, memo = texts_check(
        reference_type=reference_type, reference_id=reference_id, memo=memo.strip()
    )
    signed = magnitude * sign
    fingerprint = request_fingerprint(
        "entry_adjust", amount=signed, currency=currency,
        reference_type=reference_type, reference_id=reference_id,
    )

    def write(work: _Work, moment: datetime) -> LedgerEntry:
        common = {
            "key": idempotency_key, "fingerprint": fingerprint, "acting_user": acting_user,
            "reference_type": reference_type, "reference_id": reference_id, "memo": memo,
        }
        if sign > 0:
            return _fund(
                work, moment, amount=magnitude, source=FundSource.ADJUSTMENT,
                kind=EntryKind.ADJUSTMENT, **common,
            )
        moves, shortfall = _draw(work, magnitude, moment)
        if shortfall:
            usable = magnitude - shortfall
            currency_code = work.account.currency
            raise InsufficientCredits(
                f"Cannot take {magnitude} {currency_code}: only {usable} "
                f"{currency_code} of unexpired funds are left."
            )
        return _post(
            work, moment, kind=EntryKind.ADJUSTMENT, amount=signed, moves=moves, **common
        )

    return _posting(
        account, key=idempotency_key, fingerprint=fingerprint, at=at, acting_user=acting_user,
        require_open=False, describe=f"adjustment of {signed:+} {currency}", write=write,
        audit="credits.entry_adjust",
    )


def entry_reverse(
    *,
    entry: LedgerEntry,
    memo: str,
    idempotency_key: str,
    acting_user: User | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Post the entry's opposite, pointing at it. Each entry is reversed at most once."""
    if entry.pk is None:
        raise LedgerError("Only a saved ledger entry can be reversed.")
    if not isinstance(memo, str) or not memo.strip():
        raise LedgerError("A reversal needs a reason in its memo.")
    (memo,) = texts_check(memo=memo.strip())
    fingerprint = request_fingerprint("entry_reverse", entry=entry.pk)
    account = entry.account

    def write(work: _Work, moment: datetime) -> LedgerEntry:
        original = LedgerEntry.objects.get(pk=entry.pk)
        if original.kind not in REVERSIBLE_KINDS:
            raise EntryNotReversible(
                f"Entry #{original.pk} is a {original.get_kind_display().lower()} entry, which "
                "cannot be reversed; post an adjustment instead."
            )
        done = LedgerEntry.objects.filter(reverses=original).values_list("pk", flat=True).first()
        if done is not None:
            raise EntryNotReversible(f"Entry #{original.pk} was already reversed by entry #{done}.")
        if original.amount > 0:
            moves, lot = _reverse_credit(work, original, moment), None
        else:
            moves, lot = _reverse_debit(work, original, moment)
        return _post(
            work, moment, kind=EntryKind.REVERSAL, amount=-original.amount, moves=moves, lot=lot,
            reverses=original, key=idempotency_key, fingerprint=fingerprint,
            acting_user=acting_user, reference_type="entry", reference_id=str(original.pk),
            memo=memo,
        )

    return _posting(
        account, key=idempotency_key, fingerprint=fingerprint, at=at, acting_user=acting_user,
        require_open=False, describe=f"reversal of entry #{entry.pk}", write=write,
        audit="credits.entry_reverse",
    )


def lot_withdraw(
    *,
    lot: FundLot,
    memo: str,
    idempotency_key: str,
    acting_user: User | None = None,
    reference_type: str = "",
    reference_id: str = "",
    at: datetime | None = None,
) -> LedgerEntry | None:
    """Take back what is left of one lot (the funds of a voided invoice): an adjustment
    entry of minus the lot's remaining amount, drawn from that lot only, pointing at it.
    What was already spent stays spent; an expired lot has nothing left (its expiry is
    written first). Returns the entry, or ``None`` when nothing was left to take.

    ``memo`` (the reason) is required; the withdrawal is audited
    (``credits.lot_withdraw``). Idempotent by key: the same key again returns the first
    entry and writes nothing (or ``None`` again when there was nothing to take)."""
    if lot.pk is None:
        raise LedgerError("Only a saved lot can be withdrawn.")
    if not isinstance(memo, str) or not memo.strip():
        raise LedgerError("A withdrawal needs a reason in its memo.")
    reference_type, reference_id, memo = texts_check(
        reference_type=reference_type, reference_id=reference_id, memo=memo.strip()
    )
    key = key_check(idempotency_key)
    if at is not None:
        aware_check(at)
    fingerprint = request_fingerprint(
        "lot_withdraw", lot=lot.pk, reference_type=reference_type, reference_id=reference_id
    )
    account = lot.account
    with transaction.atomic():
        locked = _lock(account)
        work = _read(locked, key=key)
        entry = None
        if work.replayed is not None:
            entry = entry_replayed(locked, key, fingerprint, f"withdrawal of lot {lot.pk}")
        else:
            actor_check(locked, acting_user)
            moment = _posting_time(locked, at)
            _expire_due(work, as_of=moment, posted_at=moment)
            current = work.lot(lot.pk) or FundLot.objects.get(pk=lot.pk, account=locked)
            before = locked.balance
            if current.remaining > 0:
                entry = _post(
                    work, moment, kind=EntryKind.ADJUSTMENT, amount=-current.remaining,
                    moves=[_Move(current, -current.remaining)], lot=current, key=key,
                    fingerprint=fingerprint, acting_user=acting_user,
                    reference_type=reference_type, reference_id=reference_id, memo=memo,
                )
            _flush(work)
            if entry is not None:
                _audit(locked, acting_user, "credits.lot_withdraw", entry=entry, before=before)
    _sync(account, locked)
    return entry


def funds_expire(*, account: CreditAccount, at: datetime | None = None) -> list[LedgerEntry]:
    """Forfeit the remaining funds of every lot expired as of ``at`` (default: now).

    One expiry entry per lot, for exactly its remaining amount; lots already forfeited
    have nothing left, so running it again writes nothing. Returns the entries written.
    """
    as_of = at or timezone.now()
    aware_check(as_of)
    with transaction.atomic():
        locked = _lock(account)
        last = locked.last_posted_at
        posted_at = max(as_of, last) if last is not None else as_of
        work = _read(locked)
        entries = _expire_due(work, as_of=as_of, posted_at=posted_at)
        _flush(work)
    _sync(account, locked)
    return entries


def funds_expire_due(*, at: datetime | None = None) -> int:
    """Run ``funds_expire`` for every account with expired funds left; one transaction
    per account. Returns the number of expiry entries written."""
    as_of = at or timezone.now()
    account_ids = (
        FundLot.objects.due_for_expiry(as_of).order_by().values_list("account_id", flat=True)
    )
    written = 0
    for account in CreditAccount.objects.filter(pk__in=set(account_ids)).order_by("pk"):
        written += len(funds_expire(account=account, at=as_of))
    return written


def account_suspend(*, account: CreditAccount, reason: str, acting_user: User | None) -> bool:
    """Suspend an active credit account: no new paid calls may start (the call
    authorization decides); the ledger still posts. Returns whether the status changed
    (an already suspended account is left as it is); a closed account is refused."""
    return _status_change(
        account, to=CreditAccountStatus.SUSPENDED, reason=reason, acting_user=acting_user,
        action="credits.account_suspend",
    )


def account_resume(*, account: CreditAccount, reason: str, acting_user: User | None) -> bool:
    """Make a suspended credit account active again. Returns whether the status changed
    (an active account is left as it is); a closed account can't be resumed."""
    return _status_change(
        account, to=CreditAccountStatus.ACTIVE, reason=reason, acting_user=acting_user,
        action="credits.account_resume",
    )


# ------------------------------------------------------------------------------ internals


def _status_change(
    account: CreditAccount, *, to: str, reason: str, acting_user: User | None, action: str
) -> bool:
    """Change the account's status under its lock, audited before → after with the
    reason, in one transaction."""
    if not isinstance(reason, str) or not reason.strip():
        raise LedgerError("Changing a credit account's status needs a reason.")
    (reason,) = texts_check(memo=reason.strip())
    with transaction.atomic():
        locked = _lock(account)
        actor_check(locked, acting_user)
        before = locked.status
        if locked.is_closed:
            verb = "resumed" if to == CreditAccountStatus.ACTIVE else "suspended"
            raise AccountClosed(
                f"The credit account of {locked.tenant} is closed: it can't be {verb}."
            )
        if before == to:
            changed = False
        else:
            CreditAccount.objects.filter(pk=locked.pk).update(status=to)
            locked.status = to
            audit_record(
                tenant=locked.tenant, actor=acting_user, action=action,
                target=f"Credit account {locked.pk}",
                before={"status": before}, after={"status": to, "reason": reason},
            )
            changed = True
    _sync(account, locked)
    return changed


@dataclass
class _Move:
    """A change to one lot's remaining amount; ``stored`` when the lot row already has it."""

    lot: FundLot
    delta: Decimal
    stored: bool = False


@dataclass
class _Work:
    """One posting's state and writes: the lots with funds as read under the account's
    lock (in draw order), whether the key was used, then the entries, lot movements and
    changed lots gathered in memory and written at once by ``_flush``."""

    account: CreditAccount
    lots: list[FundLot]
    replayed: int | None = None  # the id of the entry already posted with the key
    new_lot: FundLot | None = None
    entries: list[LedgerEntry] = field(default_factory=list)
    entry_lots: list[FundLot | None] = field(default_factory=list)
    movements: list[list[tuple[FundLot, Decimal, Decimal]]] = field(default_factory=list)
    changed: dict[int, FundLot] = field(default_factory=dict)

    def lot(self, pk: int | None) -> FundLot | None:
        return next((lot for lot in self.lots if lot.pk == pk), None)


def _posting(
    account: CreditAccount,
    *,
    key: str,
    fingerprint: str,
    at: datetime | None,
    acting_user: User | None,
    require_open: bool,
    describe: str,
    write: Callable[[_Work, datetime], LedgerEntry],
    audit: str | None = None,
) -> LedgerEntry:
    """Lock, replay or check, expire due lots, write; the frame of every posting.

    Three statements: the lock, one read (the key and the lots with funds), one write
    (``_flush``: entries, movements, lots, account and day rollup); an audited posting
    adds its audit row."""
    key = key_check(key)
    if at is not None:
        aware_check(at)
    with transaction.atomic():
        locked = _lock(account)
        work = _read(locked, key=key)
        if work.replayed is not None:
            entry = entry_replayed(locked, key, fingerprint, describe)
        else:
            if require_open and locked.is_closed:
                raise AccountClosed(
                    f"The credit account of {locked.tenant} is closed: it takes no new funds "
                    "or charges."
                )
            actor_check(locked, acting_user)
            moment = _posting_time(locked, at)
            _expire_due(work, as_of=moment, posted_at=moment)
            before = locked.balance
            entry = write(work, moment)
            _flush(work)
            if audit is not None:
                _audit(locked, acting_user, audit, entry=entry, before=before)
            _posted_log(locked, [entry])
    _sync(account, locked)
    return entry


def _posted_log(account: CreditAccount, entries: Sequence[LedgerEntry]) -> None:
    """One ``ledger.posted`` line per entry (a batch of usage charges: one line), once the
    posting commits."""
    if not entries:
        return
    if len(entries) == 1:
        entry = entries[0]
        fields = {"tenant_id": account.tenant_id, "account_id": account.pk,
                  "entry_id": entry.pk, "kind": entry.kind, "amount": entry.amount,
                  "currency": account.currency, "reference": entry.reference or None,
                  "balance": account.balance}
    else:
        fields = {"tenant_id": account.tenant_id, "account_id": account.pk,
                  "entries": len(entries), "kind": "usage",
                  "amount": sum((e.amount for e in entries), Decimal(0)),
                  "currency": account.currency, "balance": account.balance}
    transaction.on_commit(lambda: event_log(log, "ledger.posted", **fields))


def _lock(account: CreditAccount) -> CreditAccount:
    if account.pk is None:
        raise LedgerError("The credit account must be saved before money moves.")
    return CreditAccount.objects.locked(account)


def _sync(account: CreditAccount, locked: CreditAccount) -> None:
    """Leave the caller's instance showing the state the posting left."""
    account.balance = locked.balance
    account.deficit = locked.deficit
    account.last_posted_at = locked.last_posted_at
    account.status = locked.status


def _posting_time(account: CreditAccount, at: datetime | None) -> datetime:
    last = account.last_posted_at
    if at is None:
        now = timezone.now()
        return max(now, last) if last is not None else now
    if last is not None and at < last:
        raise LedgerError(
            f"The posting time {at.isoformat()} is before the account's latest entry "
            f"({last.isoformat()}); the ledger is kept in time order."
        )
    return at


def _audit(
    account: CreditAccount, actor: User | None, action: str, *, entry: LedgerEntry, before: Decimal
) -> None:
    audit_record(
        tenant=account.tenant,
        actor=actor,
        action=action,
        target=f"Credit account {account.pk} · entry #{entry.pk}",
        before={"balance": str(before)},
        after={
            "balance": str(account.balance),
            "entry": entry.pk,
            "kind": entry.kind,
            "amount": str(entry.amount),
            "memo": entry.memo,
        },
    )


def _draw(
    work: _Work, amount: Decimal, at: datetime, *, exclude_lot: int | None = None
) -> tuple[list[_Move], Decimal]:
    """Take ``amount`` from the unexpired lots, expiring first; return moves and shortfall."""
    moves: list[_Move] = []
    left = amount
    for lot in work.lots:
        if not left:
            break
        if lot.remaining <= 0 or lot.expires_at <= at or lot.pk == exclude_lot:
            continue
        take = min(lot.remaining, left)
        moves.append(_Move(lot, -take))
        left -= take
    return moves, left


def _new_lot(
    work: _Work, moment: datetime, *, source: str, amount: Decimal, remaining: Decimal
) -> tuple[FundLot, list[_Move]]:
    if work.new_lot is not None:  # pragma: no cover - a bug in this module
        raise LedgerError("Internal ledger error: one posting creates at most one lot.")
    lot = FundLot(
        account=work.account, source=source, amount=amount, remaining=remaining,
        purchased_at=moment, expires_at=lot_expires_at(moment),
    )
    work.new_lot = lot
    return lot, ([_Move(lot, remaining, stored=True)] if remaining else [])


def _fund(
    work: _Work, moment: datetime, *, amount: Decimal, source: str, kind: str, **post
) -> LedgerEntry:
    covered = min(amount, work.account.deficit)
    lot, moves = _new_lot(work, moment, source=source, amount=amount, remaining=amount - covered)
    return _post(work, moment, kind=kind, amount=amount, moves=moves, lot=lot, **post)


def _reverse_credit(work: _Work, original: LedgerEntry, moment: datetime) -> list[_Move]:
    lot = work.lot(original.lot_id) or FundLot.objects.get(pk=original.lot_id)
    if lot.expires_at <= moment:
        raise EntryNotReversible(
            f"The funds of entry #{original.pk} expired on {lot.expires_at:%Y-%m-%d}; "
            "post an adjustment instead."
        )
    moves = [_Move(lot, -lot.remaining)] if lot.remaining else []
    rest, _shortfall = _draw(work, original.amount - lot.remaining, moment, exclude_lot=lot.pk)
    return moves + rest


def _reverse_debit(
    work: _Work, original: LedgerEntry, moment: datetime
) -> tuple[list[_Move], FundLot | None]:
    amount = -original.amount
    left = amount - min(amount, work.account.deficit)
    moves: list[_Move] = []
    drawn = original.movements.select_related("lot").order_by("-lot__expires_at", "-lot_id")
    for movement in drawn:
        lot = work.lot(movement.lot_id) or movement.lot
        if not left:
            break
        if lot.expires_at <= moment:
            continue
        put = min(-movement.amount, left, lot.amount - lot.remaining)
        if put > 0:
            moves.append(_Move(lot, put))
            left -= put
    if not left:
        return moves, None
    lot, new = _new_lot(work, moment, source=FundSource.ADJUSTMENT, amount=left, remaining=left)
    return moves + new, lot


def _expire_due(work: _Work, *, as_of: datetime, posted_at: datetime) -> list[LedgerEntry]:
    entries = []
    for lot in list(work.lots):
        if lot.remaining <= 0 or lot.expires_at > as_of:
            continue
        amount = -lot.remaining
        entries.append(
            _post(
                work, posted_at, kind=EntryKind.EXPIRY, amount=amount,
                moves=[_Move(lot, amount)], lot=lot,
                key=f"{RESERVED_KEY_PREFIX}expiry:lot:{lot.pk}",
                fingerprint=request_fingerprint("funds_expire", lot=lot.pk, amount=amount),
                reference_type="lot", reference_id=str(lot.pk),
                memo=f"Unused funds of lot {lot.pk} expired on {lot.expires_at:%Y-%m-%d}.",
            )
        )
    return entries


def _post(
    work: _Work,
    moment: datetime,
    *,
    kind: str,
    amount: Decimal,
    moves: Iterable[_Move],
    key: str,
    fingerprint: str,
    lot: FundLot | None = None,
    reverses: LedgerEntry | None = None,
    acting_user: User | None = None,
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
) -> LedgerEntry:
    """Add one entry and its lot movements to the posting, and move the lots' remaining
    amounts and the account's cached figures in memory; ``_flush`` writes them."""
    account = work.account
    moves = list(moves)
    balance_after = account.balance + amount
    deficit_after = account.deficit + sum((m.delta for m in moves), ZERO) - amount
    if deficit_after < 0:  # pragma: no cover - a bug in this module, never a caller's error
        raise LedgerError(f"Internal ledger error: entry would leave a deficit of {deficit_after}.")
    if abs(balance_after) >= MONEY_LIMIT or deficit_after >= MONEY_LIMIT:
        raise InvalidAmount(
            f"The balance would leave the range the ledger can hold ({MONEY_LIMIT:,})."
        )
    entry = LedgerEntry(
        account=account, kind=kind, amount=amount, balance_after=balance_after,
        reverses=reverses, reference_type=reference_type, reference_id=reference_id,
        acting_user=acting_user, idempotency_key=key, fingerprint=fingerprint, memo=memo,
        created_at=moment,
    )
    movements = []
    for move in moves:
        if not move.stored:
            move.lot.remaining += move.delta
            work.changed[move.lot.pk] = move.lot
        movements.append((move.lot, move.delta, move.lot.remaining))
    work.entries.append(entry)
    work.entry_lots.append(lot)
    work.movements.append(movements)
    account.balance, account.deficit, account.last_posted_at = balance_after, deficit_after, moment
    return entry


_LOT_FIELDS = [f.attname for f in FundLot._meta.concrete_fields]


def _read(account: CreditAccount, *, key: str | None = None) -> _Work:
    """What a posting needs under the lock, in one statement on PostgreSQL: the entry
    already posted with ``key`` (if any) and the account's lots with funds, in draw order
    (expired ones included: the expiry step forfeits them)."""
    if connection.vendor != "postgresql":
        lots = list(FundLot.objects.for_account(account).filter(remaining__gt=0).draw_order())
        replayed = None
        if key is not None:
            replayed = (
                LedgerEntry.objects.filter(account=account, idempotency_key=key)
                .values_list("pk", flat=True)
                .first()
            )
        return _Work(account, lots, replayed)
    columns = ", ".join(f"l.{connection.ops.quote_name(name)}" for name in _LOT_FIELDS)
    replay_column = "r.id" if key is not None else "NULL"
    replay_join = (
        "LEFT JOIN credits_ledgerentry r ON r.account_id = %s AND r.idempotency_key = %s"
        if key is not None else ""
    )
    params: list = [account.pk, key] if key is not None else []
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {replay_column}, {columns} FROM (SELECT 1) AS one {replay_join} "  # noqa: S608
            "LEFT JOIN credits_fundlot l ON l.account_id = %s AND l.remaining > 0 "
            "ORDER BY l.expires_at, l.purchased_at, l.id",
            [*params, account.pk],
        )
        rows = cursor.fetchall()
    db = connection.alias
    lots = [FundLot.from_db(db, _LOT_FIELDS, row[1:]) for row in rows if row[1] is not None]
    return _Work(account, lots, rows[0][0])


def _flush(work: _Work) -> None:
    """Write what the posting gathered: its entries (in order, so ids follow time), their
    lot movements, the new lot, the changed lots, the account's cached figures and the
    day rollup. One statement on PostgreSQL; plain ORM writes elsewhere. Gives every
    entry (and the new lot) its id, then empties the work for the next posting."""
    if not work.entries:
        return
    account = work.account
    days: dict = defaultdict(lambda: [ZERO, ZERO, 0])
    for entry in work.entries:
        reversed_kind = entry.reverses.kind if entry.reverses is not None else None
        spent, funded = day_figures(entry.kind, entry.amount, reversed_kind)
        day = days[entry.created_at.astimezone(UTC).date()]
        day[0] += spent
        day[1] += funded
        day[2] += 1
    if connection.vendor == "postgresql":
        _flush_statement(work, days)
    else:
        if work.new_lot is not None:
            work.new_lot.save()
        for entry, lot in zip(work.entries, work.entry_lots, strict=True):
            entry.lot = lot
            entry.save()
        LotMovement.objects.bulk_create(
            LotMovement(entry=entry, lot=lot, amount=delta, remaining_after=after)
            for entry, moves in zip(work.entries, work.movements, strict=True)
            for lot, delta, after in moves
        )
        _lots_update({pk: lot.remaining for pk, lot in work.changed.items()})
        CreditAccount.objects.filter(pk=account.pk).update(
            balance=account.balance, deficit=account.deficit,
            last_posted_at=account.last_posted_at,
        )
        _days_add(account, days)
    work.new_lot = None
    work.entries, work.entry_lots, work.movements, work.changed = [], [], [], {}


def _flush_statement(work: _Work, days: dict) -> None:
    """``_flush`` on PostgreSQL: one ``WITH`` statement whose parts insert the new lot, the
    entries and their movements (joined to the entries' new ids by key), update the lots
    (``UPDATE … FROM (VALUES …)``) and the account, and upsert the day rollup (``ON
    CONFLICT DO UPDATE``, in exact ``numeric``)."""
    account = work.account
    parts: list[str] = []
    params: list = []
    new_lot = work.new_lot
    new_lot_id = "NULL"
    if new_lot is not None:
        parts.append(
            "new_lot AS (INSERT INTO credits_fundlot (account_id, source, amount, remaining, "
            "purchased_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id)"
        )
        params += [account.pk, new_lot.source, new_lot.amount, new_lot.remaining,
                   new_lot.purchased_at, new_lot.expires_at]
        new_lot_id = "(SELECT id FROM new_lot)"
    rows = []
    for order, (entry, lot) in enumerate(zip(work.entries, work.entry_lots, strict=True)):
        rows.append(
            "(%s::int, %s::varchar, %s::numeric, %s::numeric, %s::bigint, %s::boolean, "
            "%s::bigint, %s::varchar, %s::varchar, %s::bigint, %s::varchar, %s::varchar, "
            "%s::varchar, %s::timestamptz, %s::timestamptz)"
        )
        params += [
            order, entry.kind, entry.amount, entry.balance_after,
            lot.pk if lot is not None else None, lot is not None and lot is new_lot,
            entry.reverses_id, entry.reference_type, entry.reference_id, entry.acting_user_id,
            entry.idempotency_key, entry.fingerprint, entry.memo, entry.created_at,
            entry.recorded_at,
        ]
    parts.append(
        "new_entries AS (INSERT INTO credits_ledgerentry (account_id, kind, amount, "  # noqa: S608
        "balance_after, lot_id, reverses_id, reference_type, reference_id, acting_user_id, "
        "idempotency_key, fingerprint, memo, created_at, recorded_at) "
        f"SELECT {int(account.pk)}, v.kind, v.amount, v.balance_after, "
        f"CASE WHEN v.lot_new THEN {new_lot_id} ELSE v.lot_id END, v.reverses_id, "
        "v.reference_type, v.reference_id, v.acting_user_id, v.idempotency_key, "
        "v.fingerprint, v.memo, v.created_at, v.recorded_at "
        f"FROM (VALUES {', '.join(rows)}) AS v(ord, kind, amount, balance_after, lot_id, "
        "lot_new, reverses_id, reference_type, reference_id, acting_user_id, "
        "idempotency_key, fingerprint, memo, created_at, recorded_at) "
        "ORDER BY v.ord RETURNING id, idempotency_key)"
    )
    moves = [
        (entry.idempotency_key, lot, delta, after)
        for entry, entry_moves in zip(work.entries, work.movements, strict=True)
        for lot, delta, after in entry_moves
    ]
    if moves:
        parts.append(
            "moves AS (INSERT INTO credits_lotmovement (entry_id, lot_id, amount, "  # noqa: S608
            f"remaining_after) SELECT e.id, CASE WHEN v.lot_new THEN {new_lot_id} "
            "ELSE v.lot_id END, v.amount, v.remaining_after FROM (VALUES "
            + ", ".join(["(%s::varchar, %s::bigint, %s::boolean, %s::numeric, %s::numeric)"]
                        * len(moves))
            + ") AS v(key, lot_id, lot_new, amount, remaining_after) "
            "JOIN new_entries e ON e.idempotency_key = v.key)"
        )
        for key, lot, delta, after in moves:
            params += [key, lot.pk, lot is new_lot, delta, after]
    changed = [(pk, lot.remaining) for pk, lot in work.changed.items()]
    if changed:
        parts.append(
            "lots AS (UPDATE credits_fundlot AS l SET remaining = v.remaining FROM (VALUES "  # noqa: S608
            + ", ".join(["(%s::bigint, %s::numeric)"] * len(changed))
            + ") AS v(id, remaining) WHERE l.id = v.id)"
        )
        for pk, remaining in changed:
            params += [pk, remaining]
    parts.append(
        "account AS (UPDATE credits_creditaccount SET balance = %s, deficit = %s, "
        "last_posted_at = %s WHERE id = %s)"
    )
    params += [account.balance, account.deficit, account.last_posted_at, account.pk]
    parts.append(f"days AS ({_DAYS_UPSERT.format(rows=_days_values(account, days, params))})")
    with prepared_cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(parts)} SELECT id, idempotency_key, {new_lot_id} "  # noqa: S608
            "FROM new_entries",
            params,
        )
        returned = cursor.fetchall()
    ids = {key: pk for pk, key, _lot in returned}
    db = connection.alias
    if new_lot is not None:
        new_lot.pk = returned[0][2]
        new_lot._state.adding, new_lot._state.db = False, db
    for entry, lot in zip(work.entries, work.entry_lots, strict=True):
        entry.pk = ids[entry.idempotency_key]
        entry.lot = lot
        entry._state.adding, entry._state.db = False, db


_DAYS_UPSERT = (
    "INSERT INTO credits_ledgerdaysummary AS s (account_id, day, spent, funded, entries) "
    "VALUES {rows} ON CONFLICT (account_id, day) DO UPDATE SET "
    "spent = s.spent + EXCLUDED.spent, funded = s.funded + EXCLUDED.funded, "
    "entries = s.entries + EXCLUDED.entries"
)


def _days_values(account: CreditAccount, days: dict, params: list) -> str:
    for day, (spent, funded, count) in sorted(days.items()):
        params += [account.pk, day, spent, funded, count]
    return ", ".join(["(%s, %s::date, %s::numeric, %s::numeric, %s::int)"] * len(days))


def _days_add(account: CreditAccount, days: dict) -> None:
    """Add ``{day: [spent, funded, entries]}`` to the account's day rollup: one upsert on
    PostgreSQL; elsewhere read, add in Python with ``Decimal`` and write."""
    if not days:
        return
    if connection.vendor == "postgresql":
        params: list = []
        rows = _days_values(account, days, params)
        with connection.cursor() as cursor:
            cursor.execute(_DAYS_UPSERT.format(rows=rows), params)
        return
    existing = {
        row.day: row
        for row in LedgerDaySummary.objects.filter(account=account, day__in=list(days))
    }
    for day, (spent, funded, count) in days.items():
        row = existing.get(day)
        if row is None:
            LedgerDaySummary.objects.create(
                account=account, day=day, spent=spent, funded=funded, entries=count
            )
        else:
            LedgerDaySummary.objects.filter(pk=row.pk).update(
                spent=row.spent + spent, funded=row.funded + funded, entries=row.entries + count
            )


def _lots_update(remaining: dict[int, Decimal]) -> None:
    """Write the lots' new remaining amounts: one ``UPDATE … FROM (VALUES …)`` on
    PostgreSQL, one update per lot elsewhere."""
    if not remaining:
        return
    if connection.vendor != "postgresql":
        for pk, value in remaining.items():
            FundLot.objects.filter(pk=pk).update(remaining=value)
        return
    params: list = []
    for pk, value in remaining.items():
        params += [pk, value]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE credits_fundlot AS l SET remaining = v.remaining FROM (VALUES "  # noqa: S608
            + ", ".join(["(%s::bigint, %s::numeric)"] * len(remaining))
            + ") AS v(id, remaining) WHERE l.id = v.id",
            params,
        )


# ------------------------------------------------------------------- batch internals

_BULK_BATCH = 1000


class _PreparedCharge(NamedTuple):
    key: str
    fingerprint: str
    amount: Decimal
    reference_type: str
    reference_id: str
    memo: str
    at: datetime | None


def _charge_prepare(account: CreditAccount, charge: UsageCharge) -> _PreparedCharge:
    """Validate one charge of a batch exactly as ``usage_charge`` validates its arguments."""
    amount = amount_validate(
        charge.amount, currency=charge.currency, account_currency=account.currency,
        decimals=MONEY_DECIMAL_PLACES,
    )
    reference_type, reference_id, memo = texts_check(
        reference_type=charge.reference_type, reference_id=charge.reference_id, memo=charge.memo
    )
    key = key_check(charge.idempotency_key)
    if charge.at is not None:
        aware_check(charge.at)
    fingerprint = request_fingerprint(
        "usage_charge", amount=amount, currency=charge.currency,
        reference_type=reference_type, reference_id=reference_id,
    )
    return _PreparedCharge(key, fingerprint, amount, reference_type, reference_id, memo, charge.at)


def _charge_run(
    account: CreditAccount, timed: list[tuple[datetime, _PreparedCharge]]
) -> list[LedgerEntry]:
    """Post time-ordered charges in segments: each segment starts with the expiry step
    (as every posting does) and ends before any loaded lot with funds expires. Returns
    the usage entries (not the expiries)."""
    written: list[LedgerEntry] = []
    work = _read(account)
    start = 0
    while start < len(timed):
        moment = timed[start][0]
        _expire_due(work, as_of=moment, posted_at=moment)
        _flush(work)
        lots = [lot for lot in work.lots if lot.remaining > 0 and lot.expires_at > moment]
        boundary = min((lot.expires_at for lot in lots), default=None)
        end = start + 1
        while end < len(timed) and (boundary is None or timed[end][0] < boundary):
            end += 1
        written += _charge_segment(account, lots, timed[start:end])
        start = end
    return written


def _charge_segment(
    account: CreditAccount, lots: list[FundLot], timed: list[tuple[datetime, _PreparedCharge]]
) -> list[LedgerEntry]:
    """Draw each charge from ``lots`` (unexpired, with funds, in draw order) in memory,
    then write the entries, their movements, the lots, the account and the day rollup
    at once."""
    balance, deficit = account.balance, account.deficit
    left_in = [lot.remaining for lot in lots]
    current = 0
    recorded_at = timezone.now()
    rows: list[tuple] = []  # the entries' columns after the id (``_ENTRY_COLUMNS``)
    draws: list[list[tuple[int, Decimal, Decimal]]] = []
    days: dict = defaultdict(lambda: [ZERO, ZERO, 0])
    for moment, item in timed:
        left = item.amount
        moves: list[tuple[int, Decimal, Decimal]] = []
        while left and current < len(lots):
            take = min(left_in[current], left)
            left_in[current] -= take
            left -= take
            moves.append((current, -take, left_in[current]))
            if not left_in[current]:
                current += 1
        balance -= item.amount
        deficit += left
        if abs(balance) >= MONEY_LIMIT or deficit >= MONEY_LIMIT:
            raise InvalidAmount(
                f"The balance would leave the range the ledger can hold ({MONEY_LIMIT:,})."
            )
        rows.append((
            account.pk, EntryKind.USAGE, -item.amount, balance, None, None,
            item.reference_type, item.reference_id, None, item.key, item.fingerprint,
            item.memo, moment, recorded_at,
        ))
        draws.append(moves)
        day = days[moment.astimezone(UTC).date()]
        day[0] += item.amount
        day[2] += 1
    entries = _entries_insert(account, rows)
    rows_insert(
        LotMovement,
        ("entry_id", "lot_id", "amount", "remaining_after"),
        [
            (entry.pk, lots[index].pk, delta, after)
            for entry, moves in zip(entries, draws, strict=True)
            for index, delta, after in moves
        ],
    )
    changed = {}
    for lot, left in zip(lots, left_in, strict=True):
        if left != lot.remaining:
            lot.remaining = left
            changed[lot.pk] = left
    _lots_update(changed)
    _days_add(account, days)
    moment = timed[-1][0]
    CreditAccount.objects.filter(pk=account.pk).update(
        balance=balance, deficit=deficit, last_posted_at=moment
    )
    account.balance, account.deficit, account.last_posted_at = balance, deficit, moment
    return entries


_ENTRY_COLUMNS = (
    "id", "account_id", "kind", "amount", "balance_after", "lot_id", "reverses_id",
    "reference_type", "reference_id", "acting_user_id", "idempotency_key", "fingerprint",
    "memo", "created_at", "recorded_at",
)


def _entries_insert(account: CreditAccount, rows: list[tuple]) -> list[LedgerEntry]:
    """Insert new usage entries (``rows``: their ``_ENTRY_COLUMNS`` after the id) and
    return them with their ids: COPY with ids taken from the sequence in order on
    PostgreSQL (ids follow time, as the ledger requires), a bulk INSERT elsewhere. The
    entries are built from the rows by position, as Django builds a row read from the
    database (a model's keyword arguments cost four times as much per entry)."""
    if not copy_available():
        entries = [LedgerEntry(None, *row) for row in rows]
        LedgerEntry.objects.bulk_create(entries, batch_size=_BULK_BATCH)
    else:
        rows = [
            (pk, *row)
            for pk, row in zip(ids_allocate(LedgerEntry, len(rows)), rows, strict=True)
        ]
        rows_insert(LedgerEntry, _ENTRY_COLUMNS, rows)
        database = LedgerEntry.objects.db
        entries = [LedgerEntry.from_db(database, None, row) for row in rows]
    for entry in entries:
        entry._state.fields_cache["account"] = account
    return entries
