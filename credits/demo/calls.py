"""Call history for the demo tenants (README, "Demo sign-ins"), through the simulator
and the import.

``seed_demo`` passes a ``CallHistory`` to ``seed_credit_history`` as its
``before_posting`` hook: before each funding or usage posting at ``at`` (and finally at
``now``), the calls of the demo's past days that ended by ``at`` are imported with their
charges at their end times, so the ledger stays in time order with the fundings.

The calls cover the credit history (from the first order, ``history_days``, within the 13
months the import keeps call records): they are its only usage charges.

- **contoso**: about 30 calls a working day (a quarter of that at weekends): mostly
  covered by the plan and conferencing pools; international calls, conference dial-out
  outside Zone A and calls to the toll-free number are paid from credits.
- **fabrikam**: about 12 calls a working day, most covered by its pools, and calls to its
  toll-free number. Paid calls are made only while the balance is above 4.00 GBP: its
  balance stays near zero, not below.

Idempotent: the calls of a day are the same on every run (same UsageIds), and days that
already hold simulated calls are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from accounts.models import Tenant
from credits.demo.history import history_days
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.selectors import balance_at
from credits.usage.choices import UsageSource
from credits.usage.models.calls import TollFreeNumber
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import ChargeAt, UsageImported, usage_import
from credits.usage.services.rates import sample_rates_load
from credits.usage.services.simulation import simulated_days
from credits.usage.telephony.rating import RatingContext
from credits.usage.telephony.records import HEADER, calls_kept_since
from credits.usage.telephony.simulator import calls_simulate

CALL_DAYS = 75  # a history without orders (a tenant the scenarios don't fund)


@dataclass(frozen=True)
class CallScenario:
    calls_per_day: int
    paid_floor: Decimal  # paid calls are made only while the balance is above it
    paid_days: int | None = None  # and only in the last paid_days days (None: always)
    toll_free: tuple[str, ...] = ()


CALL_SCENARIOS: dict[str, CallScenario] = {
    "contoso": CallScenario(
        calls_per_day=30, paid_floor=Decimal("0"), toll_free=("+18005550199",)
    ),
    # Fabrikam's paid calls stop before its balance reaches zero.
    "fabrikam": CallScenario(
        calls_per_day=12, paid_floor=Decimal("4.00"), toll_free=("+448081570192",)
    ),
}


def _end(row: dict[str, str]) -> datetime:
    return datetime.fromisoformat(row["End Time"])


@dataclass
class CallHistory:
    """The ``before_posting`` hook that imports the demo's calls in time order."""

    tenant: Tenant
    scenario: CallScenario
    now: datetime
    days: int = CALL_DAYS
    result: UsageImported = field(init=False)
    _pending: dict[date, list[dict[str, str]]] = field(default_factory=dict, init=False)
    _todo: list[date] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.result = UsageImported(currency=self.tenant.currency)
        today = self.now.astimezone(UTC).date()
        # Not before the retention window: the import refuses older call records.
        kept = calls_kept_since(self.now).date() + timedelta(days=1)
        all_days = [
            day for n in range(self.days, 0, -1) if (day := today - timedelta(days=n)) >= kept
        ]
        done = simulated_days(tenant=self.tenant, days=all_days)
        self._todo = [day for day in all_days if day not in done]
        self._sim = None

    def __call__(self, account: CreditAccount, until: datetime) -> None:
        for rows in self.take(account, until):
            # The users and licenses the calls were simulated from are the ones they are
            # rated with: each day's import reuses that rating context (it took a sixth of
            # the seed's time to load it again for each of some 800 imports).
            context = self._sim.context if self._sim is not None else None
            self.record(
                calls_import(tenant=self.tenant, rows=rows, now=self.now, context=context)
            )

    def take(self, account: CreditAccount, until: datetime) -> Iterator[list[dict[str, str]]]:
        """The calls that ended by ``until`` and are not imported yet, day by day (a day's
        calls are generated when its start is reached, from the balance then: import each
        day's before asking for the next); the caller imports them."""
        for day in list(self._todo):
            if datetime.combine(day, time(), tzinfo=UTC) > until:
                break
            if day not in self._pending:
                self._pending[day] = self._generate(account, day)
            rows = self._pending[day]
            self._pending[day] = [row for row in rows if _end(row) > until]
            if not self._pending[day]:
                self._todo.remove(day)
            yield [row for row in rows if _end(row) <= until]

    def preview(self, day: date) -> list[dict[str, str]]:
        """The calls ``take`` will generate for ``day`` (none if they are taken already),
        assuming the balance allows paid calls then: for forecasts."""
        if day not in self._todo:
            return []
        if day in self._pending:
            return list(self._pending[day])
        return self._simulate(day, balance_ok=True)

    def _generate(self, account: CreditAccount, day: date) -> list[dict[str, str]]:
        start = datetime.combine(day, time(), tzinfo=UTC)
        balance_ok = balance_at(account=account, at=start) > self.scenario.paid_floor
        return self._simulate(day, balance_ok=balance_ok)

    def _simulate(self, day: date, *, balance_ok: bool) -> list[dict[str, str]]:
        if self._sim is None:
            self._sim = simulation_tenant(tenant=self.tenant)
        today = self.now.astimezone(UTC).date()
        paid_days = self.scenario.paid_days
        allow_paid = balance_ok and (paid_days is None or (today - day).days <= paid_days)
        return calls_simulate(
            tenant=self._sim, day=day, calls=self.scenario.calls_per_day, allow_paid=allow_paid
        )

    def record(self, part: UsageImported) -> None:
        """Count an import of this history's calls in ``result``."""
        self.result.imported += part.imported
        self.result.duplicates += part.duplicates
        self.result.rejected += part.rejected
        self.result.conflicts += part.conflicts
        self.result.amount_charged += part.amount_charged
        self.result.calls_charged += part.calls_charged


def calls_import(
    *, tenant: Tenant, rows: list[dict[str, str]], now: datetime | None = None,
    context: RatingContext | None = None,
) -> UsageImported:
    """Import simulated calls in one transaction, each charged at its end (in time order:
    the rows must all end after the account's latest entry). ``now`` is the demo's: the
    import checks the calls' times against it; ``context``, the rating context the calls
    were simulated from (``usage_import``)."""
    if not rows:
        return UsageImported(currency=tenant.currency)
    rows.sort(key=_end)
    return usage_import(
        tenant=tenant, records=list(enumerate(rows, start=1)), source=UsageSource.SIMULATOR,
        charge_at=ChargeAt.CALL_END, chunk_size=None, now=now, context=context,
    )


def call_history_prepare(*, tenant: Tenant, scenario: str, now: datetime) -> CallHistory | None:
    """Sample rates and toll-free numbers for the demo, and the hook that imports the
    tenant's calls (None for a tenant without a call scenario)."""
    spec = CALL_SCENARIOS.get(scenario)
    if spec is None:
        return None
    sample_rates_load()
    for number in spec.toll_free:
        TollFreeNumber.objects.get_or_create(
            number=number,
            defaults={"tenant": tenant, "country": tenant.country, "label": "Customer service"},
        )
    days = history_days(scenario) or CALL_DAYS
    return CallHistory(tenant=tenant, scenario=spec, now=now, days=days)


__all__ = [
    "CALL_SCENARIOS", "HEADER", "CallHistory", "call_history_prepare", "calls_import",
]
