"""``seed_demo --calls N``: N more call records for Contoso over the past year.

The calls are the simulator's (its mix of call types, destinations and durations,
office-hour start times), spread over the 365 days before today, a working day weighing
four times a weekend day, and go through the real usage import: every call paid from
credits is rated and charged to the ledger at its end, pools are drawn, the balance is
the sum of the entries.

- **In time order.** ``BulkCalls`` wraps the demo's ``CallHistory`` as the
  ``before_posting`` hook of ``seed_credit_history``: it walks the year day by day and
  imports its calls and the normal history's calls together, sorted by their end, before
  each posting of the credit history, so the ledger stays in time order. Each import is
  one transaction of at most ``IMPORT_BATCH`` calls.
- **Funded.** A year of N calls would drain Contoso's balance, so at the start of each
  calendar month (before its calls) an Add funds order (``credits.demo.funding``, paid
  with Contoso's card, backdated to the 1st) adds what the month's calls will
  cost: the month's calls are rated in advance with the same rating code (pools
  included, with the normal history's calls of that month, whose charges the extra
  traffic raises once it exhausts the pools), rounded up to a whole unit. One lot a
  month: no lot outlives its 12 months with much left, and the balance ends close to the
  normal demo's. The order is keyed ``demo:<tenant>:calls:<YYYY-MM>``.
- **Every call can be charged.** The simulator assumes the pools have minutes; a year of
  N calls (more so with ``--users``) runs them out, and a call a pool would have paid is
  then charged to credits, which needs the caller's Communications Credits license. So
  the generated calls are only those that stay chargeable when a pool is empty: a call a
  pool pays is made only by a user who also holds a credits license (the day's count is
  made up with more simulated calls). No generated call is refused: the import's count is
  the count asked for.
- **Idempotent.** Call n has UsageId ``seed-<n>``; a tenant that holds N seeded calls
  already gets nothing more. Since charges cannot be posted before the account's latest
  entry, the calls can only be added when the year is not in the ledger yet (a fresh
  demo database); otherwise ``BulkCallsRefused`` says so before anything is written.
"""

from __future__ import annotations

import math
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from accounts.models import Tenant, User
from credits.billing.choices import OrderKind
from credits.billing.models import Order
from credits.demo.calls import CallHistory, calls_import
from credits.demo.funding import demo_order
from credits.demo.payments import paying_card
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.selectors import balance_at, credit_account_for_tenant
from credits.usage.models.calls import CallRecord
from credits.usage.selectors import pool_used_load, simulation_tenant
from credits.usage.services.imports import UsageImported
from credits.usage.telephony.rating import (
    RatingContext,
    RatingRefused,
    call_payment,
    call_rate,
    home_country_of,
    subscriber_for,
)
from credits.usage.telephony.records import CallInput
from credits.usage.telephony.simulator import NAMESPACE, calls_simulate

BULK_TENANT = "contoso"  # the demo tenant that gets the calls
MAX_CALLS = 2_000_000
DAYS = 365
WORKDAY_WEIGHT = 4  # a weekend day weighs 1 (the simulator's own ratio)
USAGE_ID_PREFIX = "seed-"
IMPORT_BATCH = 20_000  # calls per import (one transaction)
PROGRESS_EVERY = 50_000
_TOP_UPS = 16  # rounds of simulation to reach a day's exact count

Progress = Callable[[int, int, date], None]


class BulkCallsRefused(Exception):
    """The calls cannot be added to this database (see the module docstring)."""


def bulk_days(today: date) -> list[date]:
    """The year the calls are spread over: the ``DAYS`` days before ``today``."""
    return [today - timedelta(days=n) for n in range(DAYS, 0, -1)]


def calls_per_day(total: int, days: list[date]) -> list[int]:
    """``total`` calls spread over ``days`` in proportion to their weights (a working day
    ``WORKDAY_WEIGHT``, a weekend day 1), every day's share rounded so they add up."""
    weights = [WORKDAY_WEIGHT if day.weekday() < 5 else 1 for day in days]
    whole = sum(weights)
    counts, cumulative, given = [], 0, 0
    for weight in weights:
        cumulative += weight
        upto = total * cumulative // whole
        counts.append(upto - given)
        given = upto
    return counts


def seeded_calls(tenant: Tenant) -> int:
    return CallRecord.objects.filter(tenant=tenant, usage_id__startswith=USAGE_ID_PREFIX).count()


def bulk_calls_check(*, tenant: Tenant | None, calls: int, now: datetime) -> int:
    """How many calls ``--calls N`` adds: N on a fresh database, 0 when the tenant holds
    N seeded calls already; ``BulkCallsRefused`` when the year is in its ledger already."""
    if not 0 <= calls <= MAX_CALLS:
        raise BulkCallsRefused(f"--calls must be between 0 and {MAX_CALLS:,}.")
    if calls == 0 or tenant is None:
        return calls
    existing = seeded_calls(tenant)
    if existing >= calls:
        return 0
    account = credit_account_for_tenant(tenant)
    first = datetime.combine(bulk_days(now.astimezone(UTC).date())[0], time(), tzinfo=UTC)
    last = account.last_posted_at if account is not None else None
    if existing or (last is not None and last > first):
        held = f"{tenant.name} holds {existing:,} seeded calls, not {calls:,}" if existing else (
            f"{tenant.name}'s credit history already runs to {last:%Y-%m-%d}"
        )
        raise BulkCallsRefused(
            f"{held}. The calls are charged in time order with the credit history, so "
            "--calls can only add them to a fresh demo database: start from an empty "
            f"database (migrate) and run seed_demo --calls {calls:,} there; running it again "
            "with the same number adds nothing."
        )
    return calls


@dataclass
class BulkCalls:
    """The ``before_posting`` hook that imports the year of calls with ``history``'s."""

    tenant: Tenant
    calls: int
    now: datetime
    history: CallHistory | None = None
    acting_user: User | None = None
    progress: Progress | None = None
    result: UsageImported = field(init=False)
    funded: Decimal = field(default=Decimal("0"), init=False)
    _days: list[date] = field(default_factory=list, init=False)
    _counts: list[int] = field(default_factory=list, init=False)
    _offsets: list[int] = field(default_factory=list, init=False)
    _next: int = field(default=0, init=False)  # index of the next day to reach
    _pending: dict[date, list[dict[str, str]]] = field(default_factory=dict, init=False)
    _ready: list[dict[str, str]] = field(default_factory=list, init=False)
    _reported: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.result = UsageImported(currency=self.tenant.currency)
        self._days = bulk_days(self.now.astimezone(UTC).date())
        self._counts = calls_per_day(self.calls, self._days)
        self._offsets, total = [], 0
        for count in self._counts:
            self._offsets.append(total)
            total += count
        self._sim = None

    # The hook: everything that ended by ``until`` is imported before the posting at it.
    def __call__(self, account: CreditAccount, until: datetime) -> None:
        while self._next < len(self._days):
            day = self._days[self._next]
            start = datetime.combine(day, time(), tzinfo=UTC)
            if start > until:
                break
            self._collect(account, start)
            if day.day == 1 or self._next == 0:
                self._flush(account)
                self._month_start(account, day, start)
            self._next += 1
        self._collect(account, until)
        self._flush(account)

    @property
    def imported(self) -> int:
        """Seeded calls imported so far."""
        return self.result.imported

    # ------------------------------------------------------------------ internals

    def _collect(self, account: CreditAccount, until: datetime) -> None:
        """Move the calls that ended by ``until`` to the import queue (in end order: each
        collection ends later than the one before), importing when it is full."""
        if self.history is not None:
            for rows in self.history.take(account, until):
                self._ready += rows
        for day in sorted(self._pending):
            if datetime.combine(day, time(), tzinfo=UTC) > until:
                break
            rows = self._pending[day]
            cut = bisect_right([row["End Time"] for row in rows], _stamp(until))
            self._ready += rows[:cut]
            if cut == len(rows):
                del self._pending[day]
            else:
                self._pending[day] = rows[cut:]
        if len(self._ready) >= IMPORT_BATCH:
            self._flush(account)

    def _flush(self, account: CreditAccount) -> None:
        if not self._ready:
            return
        rows, self._ready = self._ready, []
        bulk = sum(1 for row in rows if row["UsageId"].startswith(USAGE_ID_PREFIX))
        part = calls_import(tenant=self.tenant, rows=rows, now=self.now)  # sorts by end
        problems = part.rejected + part.conflicts
        bulk_problems = [p for p in problems if p.usage_id.startswith(USAGE_ID_PREFIX)]
        bulk_imported = min(bulk - len(bulk_problems), part.imported)
        self.result.imported += bulk_imported
        self.result.rejected += bulk_problems
        self.result.calls_charged += part.calls_charged
        self.result.amount_charged += part.amount_charged
        if self.history is not None:
            normal = UsageImported(currency=self.tenant.currency)
            normal.imported = part.imported - bulk_imported
            normal.rejected = [p for p in problems if p not in bulk_problems]
            self.history.record(normal)
        if self.progress is not None and (
            self.result.imported // PROGRESS_EVERY > self._reported // PROGRESS_EVERY
        ):
            self._reported = self.result.imported
            last_end = datetime.fromisoformat(rows[-1]["End Time"])
            self.progress(self.result.imported, self.calls, last_end.date())

    def _month_start(self, account: CreditAccount, day: date, start: datetime) -> None:
        """Generate the calls of ``day``'s month (from ``day``), fund what they will cost
        and queue them."""
        month = day.replace(day=1)
        if self._sim is None:
            self._sim = simulation_tenant(tenant=self.tenant)
        allow_paid = balance_at(account=account, at=start) > 0
        index = self._next
        while index < len(self._days) and self._days[index].replace(day=1) == month:
            one = self._days[index]
            self._pending[one] = self._day_calls(one, index, allow_paid)
            index += 1
        days = self._days[self._next : index]
        amount = self._forecast(month, days)
        key = f"demo:{self.tenant.slug}:calls:{month:%Y-%m}"
        if amount > 0 and not Order.objects.filter(
            tenant=self.tenant, idempotency_key=key
        ).exists():
            card = paying_card(self.tenant)
            if card is None:
                raise BulkCallsRefused(f"{self.tenant.name} has no saved card to pay with.")
            demo_order(
                tenant=self.tenant, kind=OrderKind.TOP_UP, amount=amount, card=card, at=start,
                key=key, acting_user=self.acting_user,
            )
            self.funded += amount

    def _day_calls(self, day: date, index: int, allow_paid: bool) -> list[dict[str, str]]:
        """Exactly the day's share of calls, numbered ``seed-<n>`` in start order."""
        wanted = self._counts[index]
        if wanted == 0:
            return []
        rows: list[dict[str, str]] = []
        for round_ in range(_TOP_UPS):
            missing = wanted - len(rows)
            if missing <= 0:
                break
            # Weekends make a quarter; twice as many, as some are not chargeable.
            asked = 2 * (missing if day.weekday() < 5 else missing * 4)
            simulated = calls_simulate(
                tenant=self._sim, day=day, calls=asked, seed=f"seed-calls:{round_}",
                allow_paid=allow_paid,
            )
            rows += [row for row in simulated if chargeable(row, self._sim.context)][:missing]
        rows.sort(key=lambda row: (row["Start Time"], row["End Time"]))
        first = self._offsets[index] + 1
        for n, row in enumerate(rows, start=first):
            row["UsageId"] = f"{USAGE_ID_PREFIX}{n}"
            row["Call ID"] = str(uuid.uuid5(NAMESPACE, f"call:{self.tenant.slug}:seed:{n}"))
        rows.sort(key=lambda row: row["End Time"])
        return rows

    def _forecast(self, month: date, days: list[date]) -> Decimal:
        """What the month's seeded calls will add to its charges, rounded up to a whole
        unit: its calls rated with the normal history's, less the history's alone."""
        normal: list[dict[str, str]] = []
        if self.history is not None:
            for day in days:
                normal += self.history.preview(day)
        bulk = [row for day in days for row in self._pending.get(day, ())]
        together = self._rated(month, normal + bulk)
        alone = self._rated(month, normal) if normal else Decimal("0")
        extra = together - alone
        return Decimal(math.ceil(extra)) if extra > 0 else Decimal("0")

    def _rated(self, month: date, rows: list[dict[str, str]]) -> Decimal:
        context = self._sim.context
        context.pool_used = pool_used_load(tenant=self.tenant, months=[month])
        context.pool_touched = set()
        calls = [_call_input(row, line) for line, row in enumerate(rows, start=1)]
        calls.sort(key=lambda call: (call.start_time, call.end_time, call.usage_id))
        total = Decimal("0")
        for call in calls:
            try:
                total += call_rate(call=call, context=context).charge
            except RatingRefused:
                continue
        return total


def chargeable(row: dict[str, str], context: RatingContext) -> bool:
    """Whether a simulated call stays importable once the pools are empty: free, or paid
    by credits (a pool's share included) for a user holding a credits license or for the
    organization (toll-free). The simulator made only calls that start (a known user,
    valid numbers, a rate)."""
    try:
        subscriber = subscriber_for(row["UPN"].lower(), context)
        home = home_country_of(subscriber, row["User Location"].upper(), context)
        payment = call_payment(
            call_type=row["Call Type"].lower(), destination_number=row["Destination Number"],
            caller_id=row["Caller ID"], subscriber=subscriber, home_country=home,
            context=context,
        )
    except RatingRefused:
        return False
    if payment.free or not payment.needs_license:
        return True
    return subscriber is not None and subscriber.has_credits


def _call_input(row: dict[str, str], line: int) -> CallInput:
    """A simulated row as the import reads it (the simulator writes valid, normalized
    rows, so the forecast skips ``record_parse``'s validation; no fingerprint needed)."""
    start = datetime.fromisoformat(row["Start Time"])
    end = datetime.fromisoformat(row["End Time"])
    return CallInput(
        line=line, usage_id=row["UsageId"], call_id=row["Call ID"],
        conference_id=row["Conference ID"], user_location=row["User Location"].upper(),
        aad_object_id="", upn=row["UPN"].lower(), user_display_name=row["User Display Name"],
        caller_id=row["Caller ID"], call_type=row["Call Type"].lower(), number_type="",
        destination_number=row["Destination Number"], start_time=start, end_time=end,
        duration_seconds=int(row["Duration Seconds"]), currency="", fingerprint="",
    )


def _stamp(moment: datetime) -> str:
    """``moment`` as the simulator writes End Time (whole seconds, so a call that ended
    in the same second as ``moment`` sorts as not later)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bulk_calls_prepare(
    *,
    tenant: Tenant,
    calls: int,
    now: datetime,
    history: CallHistory | None,
    acting_user: User | None = None,
    progress: Progress | None = None,
) -> BulkCalls | None:
    """The hook that adds ``calls`` seeded calls to ``tenant`` with ``history``'s (None
    when there is nothing to add); raises ``BulkCallsRefused`` (see ``bulk_calls_check``)."""
    if bulk_calls_check(tenant=tenant, calls=calls, now=now) == 0:
        return None
    return BulkCalls(
        tenant=tenant, calls=calls, now=now, history=history, acting_user=acting_user,
        progress=progress,
    )


__all__ = [
    "BULK_TENANT", "MAX_CALLS", "BulkCalls", "BulkCallsRefused", "bulk_calls_check",
    "bulk_calls_prepare", "bulk_days", "calls_per_day", "chargeable", "seeded_calls",
]
