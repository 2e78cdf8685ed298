"""Minute pools, the month boundary, the negative balance policy and rate versions."""

from __future__ import annotations

from datetime import date, timedelta, timezone
from decimal import Decimal

import pytest

from credits.common.dates import month_add, month_of, month_start
from credits.ledger.selectors import credit_account_for_tenant
from credits.ledger.verification import account_verify
from credits.models import CallRecord, MinutePool
from credits.usage.selectors import pool_sizes_for, product_includes, rating_context_load
from credits.usage.services.rates import rates_import
from credits.usage.telephony.pools import DEFAULT_ZONE_A_COUNTRIES, zone_a_countries
from tests.accounts.factories import TenantFactory
from tests.credits.calls import (
    CONFERENCING,
    CREDITS,
    DOMESTIC,
    E5,
    GB_FIXED,
    GB_MOBILE,
    INTERNATIONAL,
    PHONE,
    T0,
    US_FIXED,
    call_of,
    import_rows,
    person,
    pool_used,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import CreditAccountFactory, fund

MONTH = month_of(T0)  # the month of the tests' calls
NEXT_MONTH = month_add(MONTH, 1)


def sizes(tenant) -> dict[tuple[str, str], int]:
    return pool_sizes_for(tenant=tenant, includes=product_includes())


def fill(tenant, capability: str, used: int, country: str = "US", month: date = MONTH):
    MinutePool.objects.update_or_create(
        tenant=tenant, month=month, country=country, capability=capability,
        defaults={"minutes_used": used},
    )


# ---------------------------------------------------------------------------- pool sizes


def test_pool_sizes_follow_current_license_assignments(tenant):
    for n in range(2):
        person(tenant, f"us-domestic{n}", DOMESTIC)
    person(tenant, "us-di", INTERNATIONAL)
    person(tenant, "ca-domestic", DOMESTIC, location="CA")
    person(tenant, "pr-domestic", DOMESTIC, location="PR")
    person(tenant, "gb-domestic", DOMESTIC, location="GB")
    person(tenant, "de-di", INTERNATIONAL, location="DE")
    person(tenant, "nothing", PHONE)

    assert sizes(tenant) == {
        ("US", "MCOPSTN1"): 3 * 3000,  # D&I users hold domestic minutes too
        ("US", "MCOPSTN2"): 600,
        ("CA", "MCOPSTN1"): 3000,
        ("PR", "MCOPSTN1"): 3000,
        ("GB", "MCOPSTN1"): 1200,
        ("DE", "MCOPSTN1"): 1200,
        ("DE", "MCOPSTN2"): 600,
    }


def test_e5_includes_audio_conferencing_and_each_user_counts_once(tenant):
    person(tenant, "e5", E5)
    person(tenant, "conferencing", CONFERENCING)
    person(tenant, "both", E5, CONFERENCING)
    person(tenant, "phone", PHONE)

    assert sizes(tenant) == {("", "MCOMEETADD"): 3 * 60}


def test_removing_a_license_shrinks_the_pool(tenant):
    keep = person(tenant, "keep", DOMESTIC)
    gone = person(tenant, "gone", DOMESTIC)
    assert sizes(tenant)[("US", "MCOPSTN1")] == 6000
    gone.licenses.all().delete()
    assert sizes(tenant)[("US", "MCOPSTN1")] == 3000
    assert keep.licenses.count() == 1


def test_conference_dial_out_by_an_e5_organizer_draws_the_conferencing_pool(
    tenant, account, test_rates  # noqa: F811
):
    person(tenant, "ed", E5)
    row = record(upn="ed@contoso.example", call_type="conf_out", destination=GB_FIXED, seconds=125)

    import_rows(tenant, [row])

    call = call_of(tenant, row)
    assert (call.capability, call.pool_capability, call.pool_minutes) == (
        "MCOMEETADD", "MCOMEETADD", 3
    )
    assert pool_used(tenant, "MCOMEETADD", country="") == 3


# ------------------------------------------------------------------------- exhaustion


@pytest.fixture
def ana(tenant, account, test_rates):  # noqa: F811
    fund(account, "10.00")
    return person(tenant, "ana", DOMESTIC, CREDITS)


def test_pool_exhausted_in_the_middle_of_a_call_charges_the_rest(tenant, account, ana):
    fill(tenant, "MCOPSTN1", 3000 - 2)
    row = record(upn=ana.username, destination=US_FIXED, seconds=290)  # 5 minutes

    import_rows(tenant, [row])

    call = call_of(tenant, row)
    assert (call.pool_capability, call.pool_minutes, call.charged_minutes) == ("MCOPSTN1", 2, 3)
    assert (call.capability, call.charge) == ("MCOPSTNPP", Decimal("0.0600"))
    assert pool_used(tenant, "MCOPSTN1") == 3000
    account.refresh_from_db()
    assert account.balance == Decimal("9.94")


def test_calls_draw_the_pool_in_time_order(tenant, account, ana):
    fill(tenant, "MCOPSTN1", 3000 - 3)
    later = record(upn=ana.username, start=T0.replace(hour=12), seconds=180)
    earlier = record(upn=ana.username, start=T0.replace(hour=9), seconds=180)

    import_rows(tenant, [later, earlier])  # the file is not in time order

    assert (call_of(tenant, earlier).pool_minutes, call_of(tenant, earlier).charge) == (3, 0)
    assert (call_of(tenant, later).pool_minutes, call_of(tenant, later).charge) == (
        0, Decimal("0.0600")
    )


def test_an_exhausted_pool_without_credits_license_rejects_and_keeps_the_pool(
    tenant, account, test_rates  # noqa: F811
):
    di = person(tenant, "di", DOMESTIC)
    fill(tenant, "MCOPSTN1", 3000 - 1)
    row = record(upn=di.username, seconds=120)

    result = import_rows(tenant, [row])

    assert [p.code for p in result.rejected] == ["no_license"]
    assert pool_used(tenant, "MCOPSTN1") == 3000 - 1


def test_international_pool_runs_out_then_credits_pay(tenant, account, test_rates):  # noqa: F811
    fund(account, "10.00")
    bo = person(tenant, "bo", INTERNATIONAL, CREDITS)
    fill(tenant, "MCOPSTN2", 600)
    row = record(upn=bo.username, destination=GB_MOBILE, seconds=60)

    import_rows(tenant, [row])

    call = call_of(tenant, row)
    assert (call.pool_minutes, call.charge) == (0, Decimal("0.1100"))


# ----------------------------------------------------------------------- month boundary


def test_pools_reset_on_the_first_of_the_month_utc(tenant, account, ana):
    fill(tenant, "MCOPSTN1", 3000)  # this month's pool is used up
    last_of_month = record(
        upn=ana.username, start=month_start(NEXT_MONTH) - timedelta(seconds=30), seconds=120
    )
    first_of_next = record(upn=ana.username, start=month_start(NEXT_MONTH), seconds=120)

    import_rows(tenant, [last_of_month, first_of_next])

    this, following = call_of(tenant, last_of_month), call_of(tenant, first_of_next)
    assert (this.pool_minutes, this.charge) == (0, Decimal("0.0400"))  # ends next month
    assert (following.pool_minutes, following.charge) == (2, Decimal("0"))
    assert pool_used(tenant, "MCOPSTN1", month=NEXT_MONTH) == 2
    assert pool_used(tenant, "MCOPSTN1", month=MONTH) == 3000


def test_the_month_is_utc_whatever_the_offset_given(tenant, account, ana):
    fill(tenant, "MCOPSTN1", 3000)
    # 20:00 in New York on the month's last day is 01:00 UTC on the next's first: its pool.
    start = (month_start(NEXT_MONTH) + timedelta(hours=1)).astimezone(
        timezone(timedelta(hours=-5))
    )
    assert start.isoformat().endswith("T20:00:00-05:00")
    row = record(upn=ana.username, seconds=60, **{
        "Start Time": start.isoformat(), "End Time": (start + timedelta(seconds=60)).isoformat(),
    })

    import_rows(tenant, [row])

    assert call_of(tenant, row).pool_minutes == 1
    assert pool_used(tenant, "MCOPSTN1", month=NEXT_MONTH) == 1


# -------------------------------------------------------------- negative balance policy


def test_an_allowed_call_is_charged_in_full_even_below_zero(tenant, account, test_rates):  # noqa: F811
    fund(account, "50.00")
    cy = person(tenant, "cy", CREDITS)
    from tests.credits.factories import charge

    charge(account, "49.95")  # 0.05 left
    row = record(upn=cy.username, destination=GB_MOBILE, seconds=150)  # 0.31

    import_rows(tenant, [row])

    account.refresh_from_db()
    assert call_of(tenant, row).charge == Decimal("0.3100")
    assert (account.balance, account.deficit) == (Decimal("-0.26"), Decimal("0.26"))
    assert account_verify(account) == []
    # The next funding covers the deficit first.
    fund(account, "50.00")
    account.refresh_from_db()
    assert (account.balance, account.deficit) == (Decimal("49.74"), Decimal("0"))


def test_a_tenant_without_credits_keeps_its_pooled_and_free_calls(test_rates):  # noqa: F811
    northwind = TenantFactory(name="Northwind", slug="northwind", country="DE", currency="EUR")
    rates_import(text="country,number_type,per_minute,connection_fee,currency,effective_from\n"
                      "DE,fixed,0.03,0,EUR,2024-01-01\n")
    user = person(northwind, "max", DOMESTIC, location="DE")
    covered = record(upn=user.username, destination="+4930123456", seconds=60)
    paid = record(upn=user.username, destination=GB_FIXED, seconds=60)

    result = import_rows(northwind, [covered, paid])

    assert result.imported == 1
    assert [p.code for p in result.rejected] == ["no_license"]
    assert call_of(northwind, covered).capability == "MCOPSTN1"


def test_credits_not_set_up_refuses_what_credits_would_pay(test_rates):  # noqa: F811
    tailspin = TenantFactory(name="Tailspin", slug="tailspin", country="US", currency="USD")
    user = person(tailspin, "cy", CREDITS)
    result = import_rows(tailspin, [record(upn=user.username, destination=GB_FIXED)])
    assert [p.code for p in result.rejected] == ["not_covered"]
    assert not CallRecord.objects.exists()


# ------------------------------------------------------------------------ rate versions


def test_calls_are_rated_with_the_rate_in_effect_on_their_day(tenant, account, test_rates):  # noqa: F811
    fund(account, "10.00")
    cy = person(tenant, "cy", CREDITS)
    rates_import(text="country,number_type,per_minute,connection_fee,currency,effective_from\n"
                      f"GB,fixed,0.0500,0.0200,USD,{NEXT_MONTH.isoformat()}\n")
    noon = month_start(NEXT_MONTH) + timedelta(hours=12)
    before = record(upn=cy.username, destination=GB_FIXED, start=noon - timedelta(days=1))
    after = record(upn=cy.username, destination=GB_FIXED, start=noon)

    import_rows(tenant, [before, after])

    assert call_of(tenant, before).charge == Decimal("0.0500")  # 0.04 + 0.01
    assert call_of(tenant, after).charge == Decimal("0.0700")  # 0.05 + 0.02


def test_other_tenants_pools_are_their_own(tenant, other_tenant, account, ana):
    fill(tenant, "MCOPSTN1", 3000)
    CreditAccountFactory(tenant=other_tenant)
    bob = person(other_tenant, "bob", DOMESTIC, location="US")
    row = record(upn=bob.username, seconds=60)

    import_rows(other_tenant, [row])

    assert call_of(other_tenant, row).pool_minutes == 1
    assert pool_used(other_tenant, "MCOPSTN1") == 1


def test_zone_a_is_a_setting(tenant, account, test_rates, settings):  # noqa: F811
    fund(account, "10.00")
    person(tenant, "gu", CONFERENCING, CREDITS)
    settings.CREDITS_ZONE_A_COUNTRIES = ["US"]
    to_gb = record(upn="gu@contoso.example", call_type="conf_out", destination=GB_FIXED)
    to_us = record(upn="gu@contoso.example", call_type="conf_out", destination=US_FIXED)

    import_rows(tenant, [to_gb, to_us])

    assert call_of(tenant, to_gb).capability == "MCOPSTNPP"
    assert call_of(tenant, to_us).capability == "MCOMEETADD"


def test_zone_a_keeps_the_built_in_list_when_the_setting_is_empty(settings):
    settings.CREDITS_ZONE_A_COUNTRIES = []
    assert zone_a_countries() == frozenset(DEFAULT_ZONE_A_COUNTRIES)
    assert {"US", "GB", "DE", "JP"} <= zone_a_countries()
    assert len(zone_a_countries()) == 32
    settings.CREDITS_ZONE_A_COUNTRIES = ["FR"]
    assert zone_a_countries() == {"FR"}


# ------------------------------------------------------- a rating context from the caller


def test_an_import_given_its_rating_context_rates_the_same_and_reads_the_pools_afresh(
    tenant, account, ana
):
    """The demo's history passes the context its calls were simulated from: the pools'
    minutes used are still read from the database, and the caller's context is left as
    it was."""
    context = rating_context_load(
        tenant=tenant, upns=[ana.username], account=credit_account_for_tenant(tenant)
    )
    context.pool_used[(MONTH, "US", "MCOPSTN1")] = 10  # stale: not what the pool holds
    fill(tenant, "MCOPSTN1", 3000 - 2)
    given = record(upn=ana.username, destination=US_FIXED, seconds=290)
    loaded = record(upn=ana.username, destination=US_FIXED, seconds=290,
                    start=T0 + timedelta(hours=1))

    import_rows(tenant, [given], context=context)
    import_rows(tenant, [loaded])

    first, second = call_of(tenant, given), call_of(tenant, loaded)
    assert (first.pool_minutes, first.charged_minutes, first.charge) == (2, 3, Decimal("0.0600"))
    assert (second.pool_minutes, second.charged_minutes, second.charge) == (0, 5, Decimal("0.1000"))
    assert context.pool_used == {(MONTH, "US", "MCOPSTN1"): 10} and not context.pool_touched
