"""Rating, table-driven: every row of the rules table (credits/usage/telephony/rating.py),
through the import path.

Contoso (US, USD) has $100 of credits and these users:

| user | location | licenses |
| --- | --- | --- |
| ana | US | Domestic Calling Plan, Communications Credits |
| bo | US | Domestic and International Calling Plan, Communications Credits |
| cy | US | Communications Credits only |
| di | US | Domestic Calling Plan only |
| ed | US | Microsoft 365 E5 only (includes Audio Conferencing and Phone System) |
| fi | US | E5, Communications Credits |
| gu | US | Audio Conferencing, Communications Credits |
| ha | GB | Domestic Calling Plan, Communications Credits |
| io | US | Phone System only |

Pools in January 2025: Domestic US 3 × 3,000 (ana, bo, di), GB 1 × 1,200 (ha);
international US 600 (bo); conferencing 3 × 60 (ed, fi, gu: E5 counts).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from credits.ledger.verification import account_verify
from credits.models import CallRecord, LedgerEntry
from credits.usage.services.imports import usage_key
from tests.credits.calls import (
    CA_FIXED,
    CONFERENCING,
    CREDITS,
    DE_FIXED,
    DE_MOBILE,
    DOMESTIC,
    E5,
    GB_FIXED,
    GB_MOBILE,
    GB_PREMIUM,
    GB_TOLL_FREE,
    IN_FIXED,
    INTERNATIONAL,
    JP_FIXED,
    PHONE,
    TENANT_TOLL_FREE,
    US_FIXED,
    US_FIXED_2,
    US_PREMIUM,
    call_of,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
    toll_free_number,
)
from tests.credits.factories import fund

DIRECTORY = {
    "ana": ((DOMESTIC, CREDITS), "US"),
    "bo": ((INTERNATIONAL, CREDITS), "US"),
    "cy": ((CREDITS,), "US"),
    "di": ((DOMESTIC,), "US"),
    "ed": ((E5,), "US"),
    "fi": ((E5, CREDITS), "US"),
    "gu": ((CONFERENCING, CREDITS), "US"),
    "ha": ((DOMESTIC, CREDITS), "GB"),
    "io": ((PHONE,), "US"),
}


@pytest.fixture
def office(tenant, account, test_rates):  # noqa: F811
    for local, (codes, location) in DIRECTORY.items():
        person(tenant, local, *codes, location=location)
    toll_free_number(tenant)
    fund(account, "100.00")
    return tenant


def upn(local: str) -> str:
    return f"{local}@contoso.example" if local else ""


# (id, call type, user, destination, caller, seconds) -> (capability, pool minutes, charge)
PAID = "MCOPSTNPP"
CASES = [
    # Domestic calls: the Domestic pool of the user's country when they have a plan.
    ("domestic-user-out-plan", "user_out", "ana", US_FIXED, "", 300, ("MCOPSTN1", 5, "0")),
    ("domestic-plan-no-credits", "user_out", "di", US_FIXED, "", 61, ("MCOPSTN1", 2, "0")),
    ("domestic-transfer", "user_out_transfer", "ana", US_FIXED, "", 60, ("MCOPSTN1", 1, "0")),
    ("domestic-forwarding", "user_out_forwarding", "ana", US_FIXED, "", 1, ("MCOPSTN1", 1, "0")),
    ("domestic-d-and-i-plan", "user_out", "bo", US_FIXED, "", 120, ("MCOPSTN1", 2, "0")),
    ("domestic-gb-user-gb-pool", "user_out", "ha", GB_FIXED, "", 90, ("MCOPSTN1", 2, "0")),
    ("domestic-no-plan-credits", "user_out", "cy", US_FIXED, "", 59, (PAID, 0, "0.0200")),
    ("ucap-out-like-user-out", "ucap_out", "ana", CA_FIXED, "", 60, (PAID, 0, "0.0200")),
    # International: the D&I pool, else credits.
    ("international-d-and-i", "user_out", "bo", GB_FIXED, "", 120, ("MCOPSTN2", 2, "0")),
    ("international-domestic-plan-pays-credits", "user_out", "ana", GB_MOBILE, "", 150,
     (PAID, 0, "0.3100")),  # 3 min x 0.10 + 0.01 fee
    ("international-credits-only", "user_out", "cy", DE_MOBILE, "", 61, (PAID, 0, "0.2500")),
    ("international-gb-user-to-us", "user_out", "ha", US_FIXED, "", 30, (PAID, 0, "0.0200")),
    ("international-forwarding-credits", "user_out_forwarding", "cy", IN_FIXED, "", 180,
     (PAID, 0, "0.2300")),  # 3 x 0.07 + 0.02
    # Premium-rate numbers: always credits, at the premium rate, even with a plan.
    ("premium-with-plan", "user_out", "ana", US_PREMIUM, "", 100, (PAID, 0, "3.1000")),
    ("premium-international", "user_out", "bo", GB_PREMIUM, "", 60, (PAID, 0, "2.1000")),
    ("premium-from-conference", "conf_out", "fi", GB_PREMIUM, "", 60, (PAID, 0, "2.1000")),
    ("unanswered-premium-costs-nothing", "user_out", "ana", US_PREMIUM, "", 0, ("", 0, "0")),
    # Free: calls to toll-free numbers, user_in to a user's number, conf_in to a toll number.
    ("to-toll-free-free", "user_out", "io", "+18005550199", "", 600, ("", 0, "0")),
    ("to-foreign-toll-free-free", "user_out", "cy", GB_TOLL_FREE, "", 600, ("", 0, "0")),
    ("conference-to-toll-free-free", "conf_out", "ed", "+18005550199", "", 60, ("", 0, "0")),
    ("user-in-free", "user_in", "ana", US_FIXED_2, GB_MOBILE, 900, ("", 0, "0")),
    ("conf-in-toll-number-free", "conf_in", "ed", US_FIXED_2, DE_FIXED, 900, ("", 0, "0")),
    ("ucap-in-service-number-free", "ucap_in", "", US_FIXED_2, US_FIXED, 300, ("", 0, "0")),
    # Toll-free inbound: credits at the caller country's rate; no license needed.
    ("toll-free-ucap-in-domestic", "ucap_in", "", TENANT_TOLL_FREE, US_FIXED, 180,
     (PAID, 0, "0.0750")),
    ("toll-free-user-in-from-gb", "user_in", "io", TENANT_TOLL_FREE, GB_MOBILE, 60,
     (PAID, 0, "0.0800")),
    ("toll-free-conf-in-from-de", "conf_in", "ed", TENANT_TOLL_FREE, DE_FIXED, 61,
     (PAID, 0, "0.1800")),
    ("toll-free-anonymous-caller", "ucap_in", "", TENANT_TOLL_FREE, "", 120, (PAID, 0, "0.0500")),
    # Conference dial-out: the conferencing pool for Zone A when the organizer has Audio
    # Conferencing (E5 includes it), else credits.
    ("conf-out-zone-a-e5", "conf_out", "ed", GB_FIXED, "", 240, ("MCOMEETADD", 4, "0")),
    ("user-out-conf-zone-a", "user_out_conf", "gu", DE_MOBILE, "", 30, ("MCOMEETADD", 1, "0")),
    ("conf-out-zone-a-domestic", "conf_out", "fi", US_FIXED, "", 60, ("MCOMEETADD", 1, "0")),
    ("conf-out-outside-zone-a", "conf_out", "fi", IN_FIXED, "", 120, (PAID, 0, "0.1600")),
    ("conf-out-no-audio-conferencing", "conf_out", "ana", GB_FIXED, "", 60, (PAID, 0, "0.0500")),
    ("user-out-conf-credits-only", "user_out_conf", "cy", US_FIXED, "", 60, (PAID, 0, "0.0200")),
]

# (id, call type, user, destination, caller, seconds) -> refusal code
REFUSED = [
    ("international-no-license", "user_out", "di", GB_FIXED, "", 60, "no_license"),
    ("domestic-no-plan-no-license", "user_out", "io", US_FIXED, "", 60, "no_license"),
    ("premium-no-license", "user_out", "di", US_PREMIUM, "", 60, "no_license"),
    ("conf-out-outside-zone-a-no-license", "conf_out", "ed", IN_FIXED, "", 60, "no_license"),
    ("invalid-number-too-short", "user_out", "ana", "+4412", "", 60, "invalid_number"),
    ("invalid-number-not-e164", "user_out", "ana", "2065550100", "", 60, "invalid_number"),
    ("invalid-number-not-in-plan", "user_out", "ana", "+447700900123", "", 60, "invalid_number"),
    ("invalid-inbound-number", "user_in", "ana", "+1999", GB_FIXED, 60, "invalid_number"),
    ("unknown-user", "user_out", "nobody", US_FIXED, "", 60, "unknown_user"),
    ("outbound-without-user", "user_out", "", US_FIXED, "", 60, "unknown_user"),
    ("no-rate-for-country", "user_out", "cy", JP_FIXED, "", 60, "unsupported_country"),
]


@pytest.mark.parametrize(
    ("call_type", "who", "destination", "caller", "seconds", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rating_rule(office, account, call_type, who, destination, caller, seconds, expected):
    capability, pool_minutes, charge = expected
    row = record(
        upn=upn(who), call_type=call_type, destination=destination, caller=caller,
        seconds=seconds,
    )

    result = import_rows(office, [row])

    assert (result.imported, result.rejected) == (1, [])
    call = call_of(office, row)
    assert (call.capability, call.pool_minutes, call.charge) == (
        capability, pool_minutes, Decimal(charge)
    )
    assert call.billed_minutes == -(-seconds // 60)
    entries = LedgerEntry.objects.filter(account=account, reference_type="call")
    if Decimal(charge):
        entry = entries.get()
        assert (entry.amount, entry.idempotency_key, entry.reference_id) == (
            -Decimal(charge), usage_key(row["UsageId"]), row["UsageId"]
        )
        assert call.entry == entry
        account.refresh_from_db()
        assert account.balance == Decimal("100") - Decimal(charge)
    else:
        assert not entries.exists() and call.entry is None
    assert account_verify(account) == []


@pytest.mark.parametrize(
    ("call_type", "who", "destination", "caller", "seconds", "code"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_rating_refusal(office, account, call_type, who, destination, caller, seconds, code):
    row = record(
        upn=upn(who), call_type=call_type, destination=destination, caller=caller,
        seconds=seconds,
    )

    result = import_rows(office, [row])

    assert result.imported == 0
    [problem] = result.rejected
    assert (problem.line, problem.usage_id, problem.code) == (2, row["UsageId"], code)
    assert problem.reason
    assert not CallRecord.objects.exists()
    assert not LedgerEntry.objects.filter(reference_type="call").exists()


def test_refusal_reasons_say_why(office):
    rows = [
        record(upn=upn("di"), destination=GB_FIXED),
        record(upn=upn("ana"), destination="+4412"),
        record(upn=upn("cy"), destination=JP_FIXED),
    ]
    reasons = [problem.reason for problem in import_rows(office, rows).rejected]
    assert reasons == [
        "di@contoso.example has no Communications Credits license, and this call is not "
        "covered by a plan or a pool",
        "Destination Number: +4412 is not a valid phone number: it is too short.",
        "there is no fixed rate for Japan (JP) in USD",
    ]


def test_every_row_of_the_table_is_covered():
    covered = {case[1] for case in CASES}
    assert covered >= {
        "user_out", "user_out_transfer", "user_out_forwarding", "user_in", "conf_in",
        "conf_out", "user_out_conf", "ucap_in", "ucap_out",
    }
    assert len(CASES) + len(REFUSED) >= 30
