"""Call authorization (``call_authorize``): may a call start, who pays, or why not."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credits.common.dates import month_of
from credits.models import CreditAccountStatus, LedgerEntry, MinutePool
from credits.usage.services.authorize import call_authorize
from tests.credits.calls import (
    CONFERENCING,
    CREDITS,
    DOMESTIC,
    E5,
    GB_FIXED,
    GB_MOBILE,
    IN_FIXED,
    JP_FIXED,
    PHONE,
    TENANT_TOLL_FREE,
    US_FIXED,
    US_PREMIUM,
    person,
    test_rates,  # noqa: F401 - fixture
    toll_free_number,
)
from tests.credits.factories import charge, fund


@pytest.fixture
def office(tenant, account, test_rates):  # noqa: F811
    person(tenant, "ana", DOMESTIC, CREDITS)
    person(tenant, "cy", CREDITS)
    person(tenant, "di", DOMESTIC)
    person(tenant, "ed", E5)
    person(tenant, "gu", CONFERENCING, CREDITS)
    person(tenant, "io", PHONE)
    toll_free_number(tenant)
    return tenant


def authorize(tenant, who: str, destination: str, call_type: str = "user_out", caller: str = ""):
    upn = f"{who}@contoso.example" if who else ""
    return call_authorize(
        tenant=tenant, upn=upn, call_type=call_type, destination_number=destination,
        caller_id=caller,
    )


CASES = [
    # (id, user, call type, destination, caller, funded) -> (allowed, code, capability)
    ("pool-covers", "ana", "user_out", US_FIXED, "", False, (True, "allowed", "MCOPSTN1")),
    ("free-toll-free", "io", "user_out", "+18005550199", "", False, (True, "allowed", "")),
    ("free-inbound", "io", "user_in", US_FIXED, GB_FIXED, False, (True, "allowed", "")),
    ("conference-pool-e5", "ed", "conf_out", GB_FIXED, "", False, (True, "allowed", "MCOMEETADD")),
    ("credits-with-balance", "cy", "user_out", GB_MOBILE, "", True, (True, "allowed", "MCOPSTNPP")),
    ("premium-with-balance", "ana", "user_out", US_PREMIUM, "", True,
     (True, "allowed", "MCOPSTNPP")),
    ("toll-free-inbound-no-license-needed", "", "ucap_in", TENANT_TOLL_FREE, GB_FIXED, True,
     (True, "allowed", "MCOPSTNPP")),
    ("refused-zero-balance", "cy", "user_out", GB_MOBILE, "", False,
     (False, "balance_not_positive", "")),
    ("refused-toll-free-inbound-zero-balance", "", "ucap_in", TENANT_TOLL_FREE, US_FIXED, False,
     (False, "balance_not_positive", "")),
    ("refused-no-license", "di", "user_out", GB_FIXED, "", True, (False, "no_license", "")),
    ("refused-no-license-conference", "ed", "conf_out", IN_FIXED, "", True,
     (False, "no_license", "")),
    ("refused-invalid-number", "ana", "user_out", "+4412", "", True,
     (False, "invalid_number", "")),
    ("refused-unsupported-country", "cy", "user_out", JP_FIXED, "", True,
     (False, "unsupported_country", "")),
    ("refused-unknown-user", "zed", "user_out", US_FIXED, "", True, (False, "unknown_user", "")),
]


@pytest.mark.parametrize(
    ("who", "call_type", "destination", "caller", "funded", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_call_authorize(office, account, who, call_type, destination, caller, funded, expected):
    if funded:
        fund(account, "50.00")
    before = LedgerEntry.objects.count()

    decision = call_authorize(
        tenant=office, upn=f"{who}@contoso.example" if who else "", call_type=call_type,
        destination_number=destination, caller_id=caller,
    )

    assert (decision.allowed, decision.code, decision.capability) == expected
    assert decision.reason
    assert LedgerEntry.objects.count() == before  # authorization never charges


def test_refused_at_zero_and_below_allowed_above(office, account):
    assert authorize(office, "cy", GB_FIXED).code == "balance_not_positive"
    fund(account, "50.00")
    charge(account, "50.00")  # exactly zero
    zero = authorize(office, "cy", GB_FIXED)
    assert (zero.allowed, zero.code) == (False, "balance_not_positive")
    assert "$0.00" in zero.reason
    charge(account, "1.00")  # below zero
    assert not authorize(office, "cy", GB_FIXED).allowed
    fund(account, "50.00")  # 49.00 after the deficit
    allowed = authorize(office, "cy", GB_FIXED)
    assert (allowed.allowed, allowed.per_minute, allowed.connection_fee) == (
        True, Decimal("0.0400"), Decimal("0.0100")
    )


def test_pool_covered_calls_keep_working_at_zero_balance(office, account):
    decision = authorize(office, "ana", US_FIXED)
    assert (decision.allowed, decision.pool_minutes_left) == (True, 6000)  # ana and di


def test_an_exhausted_pool_needs_credits(office, account):
    from django.utils import timezone

    MinutePool.objects.create(
        tenant=office, month=month_of(timezone.now()), country="US", capability="MCOPSTN1",
        minutes_used=6000,
    )
    assert authorize(office, "ana", US_FIXED).code == "balance_not_positive"
    assert authorize(office, "di", US_FIXED).code == "no_license"
    fund(account, "50.00")
    assert authorize(office, "ana", US_FIXED).capability == "MCOPSTNPP"


def test_suspended_credits_refuse_paid_calls_only(office, account):
    fund(account, "50.00")
    account.status = CreditAccountStatus.SUSPENDED
    account.save(update_fields=["status"])
    assert authorize(office, "cy", GB_FIXED).code == "account_suspended"
    assert authorize(office, "ana", US_FIXED).allowed


def test_credits_not_set_up(test_rates):  # noqa: F811
    from tests.accounts.factories import TenantFactory

    tailspin = TenantFactory(slug="tailspin", country="US", currency="USD")
    person(tailspin, "cy", CREDITS)
    decision = call_authorize(
        tenant=tailspin, upn="cy@tailspin.example", call_type="user_out",
        destination_number=GB_FIXED,
    )
    assert (decision.allowed, decision.code) == (False, "not_covered")


def test_an_unknown_call_type_is_a_programming_error(office):
    with pytest.raises(ValueError, match="not a call type"):
        authorize(office, "ana", US_FIXED, call_type="user_sideways")
