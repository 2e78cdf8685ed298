"""Helpers for the rating, import, authorization and API tests.

Rates come from a small, exact rate file loaded through the same import function as the
sample rates, so every expected charge below can be worked out by hand.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from accounts.models import LicenseAssignment, Product, Subscription
from credits.common.dates import month_add, month_of
from credits.models import CallRecord, MinutePool, TollFreeNumber, UsageSource
from credits.usage.services.imports import usage_import
from credits.usage.services.rates import rates_import
from credits.usage.telephony.records import HEADER
from tests.accounts.factories import UserFactory, product

# 10:00 UTC on the 15th, three months ago: inside the window the import accepts (13 months
# back, nothing in the future) for the tests' months before and after T0's.
T0 = datetime.combine(
    month_add(month_of(datetime.now(UTC)), -3).replace(day=15), time(10), tzinfo=UTC
)

TEST_RATES = """\
# Test rates: exact figures the tests work out charges from.
country,number_type,per_minute,connection_fee,currency,effective_from
US,fixed,0.0200,0.0000,USD,2024-01-01
US,mobile,0.0300,0.0000,USD,2024-01-01
US,toll_free_inbound,0.0250,0.0000,USD,2024-01-01
US,premium,1.5000,0.1000,USD,2024-01-01
GB,fixed,0.0400,0.0100,USD,2024-01-01
GB,mobile,0.1000,0.0100,USD,2024-01-01
GB,toll_free_inbound,0.0800,0.0000,USD,2024-01-01
GB,premium,2.0000,0.1000,USD,2024-01-01
DE,fixed,0.0350,0.0100,USD,2024-01-01
DE,mobile,0.1200,0.0100,USD,2024-01-01
DE,toll_free_inbound,0.0900,0.0000,USD,2024-01-01
IN,fixed,0.0700,0.0200,USD,2024-01-01
IN,mobile,0.0500,0.0200,USD,2024-01-01
CA,fixed,0.0200,0.0000,USD,2024-01-01
GB,fixed,0.0300,0.0000,GBP,2024-01-01
GB,mobile,0.0800,0.0000,GBP,2024-01-01
GB,toll_free_inbound,0.0600,0.0000,GBP,2024-01-01
US,fixed,0.0150,0.0000,GBP,2024-01-01
"""

# Numbers phonenumbers classifies as named (E.164).
US_FIXED = "+12065550100"
US_FIXED_2 = "+12065550123"
US_TOLL_FREE = "+18005550123"
US_PREMIUM = "+19002345678"
GB_FIXED = "+442079460000"
GB_MOBILE = "+447400123456"
GB_TOLL_FREE = "+448001234567"
GB_PREMIUM = "+449012345678"
DE_FIXED = "+4930123456"
DE_MOBILE = "+4915123456789"
IN_FIXED = "+917410410123"
IN_MOBILE = "+918123456789"
CA_FIXED = "+15145550100"
JP_FIXED = "+81312345678"  # Zone A, but the test rates have no JP rate

# The tenant's toll-free number (inbound calls to it are paid from credits).
TENANT_TOLL_FREE = US_TOLL_FREE

_ids = itertools.count(1)


def usage_id() -> str:
    return f"call-{next(_ids):06d}"


@pytest.fixture
def test_rates(db):
    rates_import(text=TEST_RATES)


def person(tenant, local: str, *codes: str, location: str = "US"):
    """A directory user holding ``codes`` (subscribing the tenant to each as needed)."""
    user = UserFactory(
        tenant=tenant, username=f"{local}@{tenant.slug}.example",
        display_name=local.title(), usage_location=location,
    )
    for code in codes:
        Subscription.objects.get_or_create(
            tenant=tenant, product=product(code), defaults={"seats": 1000}
        )
        LicenseAssignment.objects.create(user=user, product=product(code))
    return user


def record(
    *,
    upn: str = "",
    call_type: str = "user_out",
    destination: str = US_FIXED,
    caller: str = "",
    start: datetime = T0,
    seconds: int = 60,
    uid: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """One call record with the CSV column names."""
    row = {
        "UsageId": uid or usage_id(),
        "Call ID": "",
        "Conference ID": "",
        "User Location": "",
        "AAD ObjectId": "",
        "UPN": upn,
        "User Display Name": "",
        "Caller ID": caller,
        "Call Type": call_type,
        "Number Type": "",
        "Domestic/International": "",
        "Destination Dialed": "",
        "Destination Number": destination,
        "Start Time": start.isoformat(),
        "End Time": (start + timedelta(seconds=seconds)).isoformat(),
        "Duration Seconds": str(seconds),
        "Connection Fee": "",
        "Charge": "",
        "Currency": "",
        "Capability": "",
    }
    row.update(extra)
    return row


def csv_text(rows: list[dict[str, str]], header=HEADER) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def import_rows(tenant, rows: list[dict[str, str]], **kwargs):
    return usage_import(
        tenant=tenant, records=list(enumerate(rows, start=2)), source=UsageSource.FILE,
        **kwargs,
    )


def call_of(tenant, row: dict[str, str]) -> CallRecord | None:
    return CallRecord.objects.filter(tenant=tenant, usage_id=row["UsageId"]).first()


def pool_used(tenant, capability: str, country: str = "US", month=None) -> int:
    month = month or T0.date().replace(day=1)
    found = MinutePool.objects.filter(
        tenant=tenant, month=month, country=country, capability=capability
    ).first()
    return found.minutes_used if found else 0


def toll_free_number(tenant, number: str = TENANT_TOLL_FREE) -> TollFreeNumber:
    return TollFreeNumber.objects.create(tenant=tenant, number=number, country="US")


def money(value: str) -> Decimal:
    return Decimal(value)


CREDITS = Product.COMMUNICATIONS_CREDITS
DOMESTIC = Product.DOMESTIC_CALLING_PLAN
INTERNATIONAL = Product.DOMESTIC_INTERNATIONAL_CALLING_PLAN
CONFERENCING = Product.AUDIO_CONFERENCING
E5 = Product.MICROSOFT_365_E5
PHONE = Product.PHONE_SYSTEM
