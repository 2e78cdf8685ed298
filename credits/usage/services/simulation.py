"""Simulated traffic through the import path (``manage.py simulate_calls``, the demo).

``calls_simulate_import`` makes a tenant's calls day by day with the simulator and
imports them like any call-record file (rating, pools, charges). Days that already hold
simulated calls are skipped, so running it again for the same days adds nothing.

- ``charge_at=import``: every day is generated first and imported at once; paid calls
  are made only if the balance is above ``paid_floor`` now.
- ``charge_at=call-end``: each day is imported before the next is generated, charges
  take effect at each call's end, and paid calls are made on a day only if the balance
  is above ``paid_floor`` when it starts, as call authorization would decide (the
  negative balance policy: at zero or below, no paid call starts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from accounts.models import Tenant
from credits.common.money import ZERO
from credits.ledger.selectors import balance_at, credit_account_for_tenant
from credits.usage.choices import UsageSource
from credits.usage.models.calls import CallRecord
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import ChargeAt, UsageImported, usage_import
from credits.usage.telephony.simulator import calls_simulate

MAX_DAYS = 366  # the import takes 13 months of history (records.CALL_RETENTION_MONTHS)
MAX_CALLS_PER_DAY = 100_000


def simulated_days(*, tenant: Tenant, days: Iterable[date]) -> set[date]:
    """The days among ``days`` that already have simulated calls (one query)."""
    wanted = sorted(set(days))
    if not wanted:
        return set()
    start = datetime.combine(wanted[0], time(), tzinfo=UTC)
    end = datetime.combine(wanted[-1] + timedelta(days=1), time(), tzinfo=UTC)
    times = CallRecord.objects.filter(
        tenant=tenant, source=UsageSource.SIMULATOR, start_time__gte=start, start_time__lt=end
    ).values_list("start_time", flat=True)
    return {moment.astimezone(UTC).date() for moment in times} & set(wanted)


def _paid_allowed(tenant: Tenant, floor: Decimal) -> bool:
    account = credit_account_for_tenant(tenant)
    return account is not None and balance_at(account=account) > floor


def _merge(total: UsageImported, part: UsageImported) -> None:
    total.received += part.received
    total.imported += part.imported
    total.duplicates += part.duplicates
    total.conflicts += part.conflicts
    total.rejected += part.rejected
    total.pool_minutes += part.pool_minutes
    total.charged_minutes += part.charged_minutes
    total.calls_charged += part.calls_charged
    total.amount_charged += part.amount_charged


def calls_simulate_import(
    *,
    tenant: Tenant,
    first_day: date,
    days: int,
    calls_per_day: int,
    seed: str = "",
    charge_at: ChargeAt = ChargeAt.IMPORT,
    paid_floor: Decimal = ZERO,
    now: datetime | None = None,
) -> UsageImported:
    """Simulate ``days`` days from ``first_day`` and import them; see the module
    docstring. ``now`` is the import's clock (``usage_import``)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}.")
    if not 1 <= calls_per_day <= MAX_CALLS_PER_DAY:
        raise ValueError(f"calls per day must be between 1 and {MAX_CALLS_PER_DAY:,}.")
    total = UsageImported(currency=tenant.currency)
    all_days = [first_day + timedelta(days=n) for n in range(days)]
    done = simulated_days(tenant=tenant, days=all_days)
    todo = [day for day in all_days if day not in done]
    if not todo:
        return total
    sim = simulation_tenant(tenant=tenant)
    if charge_at == ChargeAt.IMPORT:
        allow = _paid_allowed(tenant, paid_floor)
        rows = [
            row for day in todo
            for row in calls_simulate(
                tenant=sim, day=day, calls=calls_per_day, seed=seed, allow_paid=allow
            )
        ]
        return usage_import(
            tenant=tenant, records=list(enumerate(rows, start=1)), source=UsageSource.SIMULATOR,
            charge_at=charge_at, now=now,
        )
    for day in todo:
        allow = _paid_allowed(tenant, paid_floor)
        rows = calls_simulate(
            tenant=sim, day=day, calls=calls_per_day, seed=seed, allow_paid=allow
        )
        _merge(
            total,
            usage_import(
                tenant=tenant, records=list(enumerate(rows, start=1)),
                source=UsageSource.SIMULATOR, charge_at=charge_at, now=now,
            ),
        )
    return total
