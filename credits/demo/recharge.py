"""The demo's live auto-recharge: Contoso's latest calls take its balance below the
trigger, and the real engine recharges it (README, "Auto-recharge, emails and the Message center").

``seed_demo`` calls ``demo_recharge_crossing`` after the call history. It imports a few
long calls to a premium-rate number, made in the last hours by a Contoso user, through the
usage import, like any other call record: the import's recharge hook sees the balance
below "When the balance falls below", starts one auto-recharge and enqueues its payment.
``make demo`` starts the background worker right after the seed, which pays it with
Contoso's saved card: the recharge then shows in the subscription's transactions and in
the Message center ("Auto-recharge succeeded").

Once per tenant: when the tenant already has an auto-recharge order, nothing happens, so
running the seed again neither spends nor recharges again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from accounts.models import Product, Tenant
from credits.billing.choices import OrderKind
from credits.billing.models import Order
from credits.billing.services.auto_recharge import recharge_check
from credits.ledger.selectors import credit_account_for_tenant
from credits.usage.choices import DestinationType, UsageSource
from credits.usage.models.calls import CallRecord
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import ChargeAt, usage_import
from credits.usage.telephony.controls import day_of, zone_of
from credits.usage.telephony.simulator import sample_numbers

_NAMESPACE = uuid.UUID("0c7f0f61-5a55-4d1e-9a3e-2f6f0d0a1c11")
CALL_MINUTES = 30
MAX_CALLS = 12


def _call(
    tenant: Tenant, caller, destination: str, n: int, end: datetime, minutes: int
) -> dict[str, str]:
    start = end - timedelta(minutes=minutes)
    usage_id = str(uuid.uuid5(_NAMESPACE, f"{tenant.slug}:crossing:{n}"))
    return {
        "UsageId": usage_id, "Call ID": str(uuid.uuid5(_NAMESPACE, f"call:{usage_id}")),
        "Conference ID": "", "User Location": caller.usage_location, "AAD ObjectId": "",
        "UPN": caller.upn, "User Display Name": caller.display_name, "Caller ID": "",
        "Call Type": "user_out", "Number Type": "", "Domestic/International": "",
        "Destination Dialed": "", "Destination Number": destination,
        "Start Time": start.isoformat().replace("+00:00", "Z"),
        "End Time": end.isoformat().replace("+00:00", "Z"),
        "Duration Seconds": str(minutes * 60), "Connection Fee": "", "Charge": "",
        "Currency": "", "Capability": "",
    }


def _local_midnight(now: datetime, tenant: Tenant) -> datetime:
    """The start of ``now``'s day in the tenant's time zone, in UTC."""
    zone = zone_of(tenant.time_zone)
    local = datetime.combine(day_of(now, zone), time.min, tzinfo=zone)
    return local.astimezone(UTC)


def demo_recharge_crossing(*, tenant: Tenant, now: datetime) -> Order | None:
    """Spend ``tenant``'s credits below its trigger with premium-rate calls; returns the
    auto-recharge the engine started (None when auto-recharge is off or already shown)."""
    account = credit_account_for_tenant(tenant)
    if account is None or not account.auto_recharge_enabled or account.recharge_trigger is None:
        return None
    recharges = Order.objects.filter(tenant=tenant, kind=OrderKind.AUTO_RECHARGE)
    if recharges.exists():
        return None
    callers = [
        s for s in simulation_tenant(tenant=tenant).callers
        if Product.COMMUNICATIONS_CREDITS in s.products and s.usage_location
    ]
    destinations = sample_numbers("GB", DestinationType.PREMIUM, 1)
    if not callers or not destinations:
        return None
    destination = destinations[0]
    # The calls end one after another in the last hours, after the ledger's latest entry
    # (the ledger is kept in time order), and no later than now.
    now = now.astimezone(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=(CALL_MINUTES + 5) * MAX_CALLS)
    # All of them start on one day of the tenant's time zone, so that the spend alert
    # (credits.demo.spend) finds one unusual day, whatever the hour: today's when there
    # is room since the local midnight, else they end by it (yesterday's).
    midnight = _local_midnight(now, tenant)
    if now - midnight >= timedelta(minutes=CALL_MINUTES + 5):
        start = max(start, midnight + timedelta(minutes=CALL_MINUTES))
    elif account.last_posted_at is None or account.last_posted_at <= midnight:
        now = midnight
    if account.last_posted_at is not None:
        start = max(start, account.last_posted_at.astimezone(UTC))
    step = (now - start) / (MAX_CALLS + 1)
    per_minute = None
    for n in range(MAX_CALLS):
        account.refresh_from_db(fields=["balance", "last_posted_at"])
        headroom = account.balance - account.recharge_trigger
        if headroom < 0:
            break
        minutes = CALL_MINUTES
        if per_minute:  # just enough for the balance to fall below the trigger
            minutes = min(CALL_MINUTES, int(headroom / per_minute) + 1)
        end = (start + step * (n + 1)).replace(microsecond=0)
        if account.last_posted_at is not None:
            end = max(end, account.last_posted_at.astimezone(UTC))
        caller = callers[n % len(callers)]  # the calls may overlap: one per colleague
        row = _call(tenant, caller, destination, n, end, minutes)
        usage_import(
            tenant=tenant, records=[(1, row)], source=UsageSource.SIMULATOR,
            charge_at=ChargeAt.CALL_END,
        )
        record = CallRecord.objects.filter(tenant=tenant, usage_id=row["UsageId"]).first()
        if record is None or not record.charge:
            return None  # not a paid call here (no rate, no license): nothing to show
        per_minute = (record.charge - record.connection_fee) / minutes + record.connection_fee
    # The import's hook runs once its transaction commits; inside a caller's transaction
    # (a test) it would come later, so ask the engine now: it is single-flight anyway.
    recharge_check(account=account)
    return recharges.order_by("-id").first()


__all__ = ["demo_recharge_crossing"]
