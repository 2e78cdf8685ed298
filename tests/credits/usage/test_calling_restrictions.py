"""Calling restrictions: authorization refuses premium-rate numbers and international calls
(all, or by country) unless the user is an exception; imported calls are still rated and
flagged; the page (checks, audit, read-only for readers); PSTN usage shows the flag."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from credits.models import CallingRestrictions, CallRecord
from credits.usage.services.api_tokens import api_token_create
from credits.usage.services.authorize import call_authorize
from credits.usage.services.controls import calling_restrictions_update
from tests.accounts.factories import AdminFactory, UserFactory
from tests.credits.calls import (
    CREDITS,
    DE_FIXED,
    DOMESTIC,
    GB_FIXED,
    GB_MOBILE,
    T0,
    US_FIXED,
    US_PREMIUM,
    call_of,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund


@pytest.fixture
def office(tenant, account, test_rates):  # noqa: F811
    person(tenant, "ana", DOMESTIC, CREDITS)
    person(tenant, "cy", CREDITS)
    fund(account, "500.00")
    return tenant


def restrict(tenant, *, premium=False, international="allow", countries=(), exempt=()):
    return calling_restrictions_update(
        tenant=tenant, acting_user=None, block_premium=premium, international=international,
        countries=list(countries), exempt_users=list(exempt),
    )


def authorize(tenant, who: str, destination: str, call_type: str = "user_out", caller=""):
    return call_authorize(
        tenant=tenant, upn=f"{who}@contoso.example" if who else "", call_type=call_type,
        destination_number=destination, caller_id=caller,
    )


def test_nothing_is_restricted_without_a_policy(office):
    assert authorize(office, "ana", US_PREMIUM).allowed
    assert authorize(office, "cy", GB_MOBILE).allowed


def test_premium_rate_numbers_are_blocked(office):
    restrict(office, premium=True)
    refused = authorize(office, "ana", US_PREMIUM)
    assert (refused.allowed, refused.code) == (False, "premium_blocked")
    assert "premium-rate" in refused.reason
    assert authorize(office, "cy", GB_MOBILE).allowed  # international still allowed


def test_every_international_call_is_blocked(office):
    restrict(office, international="block_all")
    assert authorize(office, "cy", GB_MOBILE).code == "international_blocked"
    assert authorize(office, "cy", DE_FIXED).code == "international_blocked"
    # Domestic calls go on, a pool's as well as credits'.
    assert authorize(office, "ana", US_FIXED).allowed
    assert authorize(office, "cy", US_FIXED).allowed


def test_international_calls_are_blocked_by_country(office):
    restrict(office, international="block_countries", countries=["gb"])
    refused = authorize(office, "cy", GB_FIXED)
    assert (refused.code, "GB" in refused.reason) == ("international_blocked", True)
    assert authorize(office, "cy", DE_FIXED).allowed
    assert CallingRestrictions.objects.get(tenant=office).blocked_countries == ["GB"]


def test_a_user_allowed_anyway_may_call(office, tenant):
    cy = tenant.users.get(username="cy@contoso.example")
    restrict(office, premium=True, international="block_all", exempt=[cy])
    assert authorize(office, "cy", GB_MOBILE).allowed
    assert authorize(office, "cy", US_PREMIUM).allowed
    assert authorize(office, "ana", US_PREMIUM).code == "premium_blocked"


def test_inbound_calls_are_never_restricted(office):
    restrict(office, premium=True, international="block_all")
    assert authorize(office, "cy", US_FIXED, call_type="user_in", caller=GB_FIXED).allowed


def test_imported_restricted_calls_are_rated_and_flagged(office):
    restrict(office, premium=True, international="block_countries", countries=["GB"])
    premium = record(upn="ana@contoso.example", destination=US_PREMIUM, seconds=60)
    london = record(upn="cy@contoso.example", destination=GB_MOBILE, seconds=60,
                    start=T0.replace(hour=11))
    berlin = record(upn="cy@contoso.example", destination=DE_FIXED, seconds=60,
                    start=T0.replace(hour=12))
    result = import_rows(office, [premium, london, berlin])
    assert (result.imported, result.rejected) == (3, [])
    assert (call_of(office, premium).restriction, call_of(office, premium).charge) == (
        "premium_blocked", Decimal("1.6000")
    )
    assert call_of(office, london).restriction == "international_blocked"
    assert call_of(office, london).charge == Decimal("0.1100")
    assert call_of(office, berlin).restriction == ""


def test_calls_imported_before_a_policy_keep_no_flag(office):
    row = record(upn="ana@contoso.example", destination=US_PREMIUM)
    import_rows(office, [row])
    restrict(office, premium=True)
    assert call_of(office, row).restriction == ""


def test_authorization_reads_the_policy_in_a_fixed_number_of_queries(
    office, tenant, django_assert_max_num_queries
):
    restrict(office, premium=True, exempt=[tenant.users.get(username="cy@contoso.example")])
    with django_assert_max_num_queries(12) as first:
        authorize(office, "ana", US_PREMIUM)
    restrict(office, premium=True, exempt=[UserFactory(tenant=tenant) for _ in range(20)])
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert authorize(office, "ana", US_PREMIUM).code == "premium_blocked"


# ------------------------------------------------------------------------------ the page


def _post(client, **values):
    data = {"international": "allow", "exempt": "", **values}
    return client.post(reverse("credits:calling_restrictions"), data)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"international": ""}, "international"),
        ({"international": "block_everything"}, "international"),
        ({"international": "block_countries"}, "countries"),
        ({"international": "block_countries", "countries": ["XX"]}, "countries"),
        ({"international": "block_countries", "countries": ["-1"]}, "countries"),
        ({"exempt": "nobody@contoso.example"}, "exempt"),
        ({"exempt": "admin@fabrikam.example"}, "exempt"),
        ({"exempt": "x" * 60_001}, "exempt"),
    ],
)
def test_the_page_explains_bad_values_and_saves_nothing(
    client, billing_admin, other_tenant_admin, values, field
):
    client.force_login(billing_admin)
    response = _post(client, **values)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not CallingRestrictions.objects.exists()


def test_the_page_saves_the_restrictions_audited(client, billing_admin, tenant):
    person(tenant, "cy", CREDITS)
    client.force_login(billing_admin)
    response = _post(
        client, block_premium="on", international="block_countries", countries=["GB", "DE"],
        exempt="CY@contoso.example\n\n",
    )
    assert response.status_code == 302
    saved = CallingRestrictions.objects.get(tenant=tenant)
    assert (saved.block_premium, saved.international, saved.blocked_countries) == (
        True, "block_countries", ["DE", "GB"]
    )
    assert list(saved.exempt_users.values_list("username", flat=True)) == ["cy@contoso.example"]
    event = AuditEvent.objects.get(action="credits.calling_restrictions_update")
    assert event.actor == billing_admin
    assert event.after["exempt_users"] == ["cy@contoso.example"]
    body = client.get(reverse("credits:calling_restrictions")).content.decode()
    assert '<option value="GB" selected>' in body
    assert "cy@contoso.example</textarea>" in body
    # Saved again unchanged: no new audit row.
    _post(client, block_premium="on", international="block_countries", countries=["GB", "DE"],
          exempt="cy@contoso.example")
    assert AuditEvent.objects.filter(action="credits.calling_restrictions_update").count() == 1


def test_a_global_reader_sees_the_restrictions_read_only(client, tenant):
    reader = AdminFactory(tenant=tenant, roles=["global_reader"])
    client.force_login(reader)
    body = client.get(reverse("credits:calling_restrictions")).content.decode()
    assert 'id="restrictions-read-only"' in body and 'id="restrictions-save"' not in body
    assert _post(client, block_premium="on").status_code == 403
    assert not CallingRestrictions.objects.exists()


# ------------------------------------------------------------------------- PSTN usage


def test_pstn_usage_shows_restricted_calls_and_filters_them(
    client, office, global_admin, django_assert_max_num_queries
):
    restrict(office, premium=True)
    premium = record(upn="ana@contoso.example", destination=US_PREMIUM)
    plain = record(upn="cy@contoso.example", destination=GB_MOBILE, start=T0.replace(hour=11))
    import_rows(office, [premium, plain])
    client.force_login(global_admin)
    query = {"range": "custom", "start": T0.date().isoformat(), "end": T0.date().isoformat()}
    body = client.get(reverse("credits:pstn_usage"), query).content.decode()
    assert 'data-restricted="premium_blocked"' in body
    assert body.count("data-restricted=") == 1
    with django_assert_max_num_queries(20):
        response = client.get(reverse("credits:pstn_usage"), {**query, "restricted": "on"})
    rows = response.context["rows"]
    assert [row["usage_id"] for row in rows] == [premium["UsageId"]]
    assert response.context["totals"].calls == 1
    assert CallRecord.objects.filter(tenant=office).count() == 2


def test_the_authorize_api_answers_the_restriction_codes(client, office):
    token = api_token_create(tenant=office, name="SBC")[1]
    restrict(office, premium=True, international="block_all")
    headers = {"Authorization": f"Bearer {token}"}
    for destination, code in ((US_PREMIUM, "premium_blocked"), (GB_MOBILE,
                                                                "international_blocked")):
        body = {"upn": "ana@contoso.example", "call_type": "user_out",
                "destination_number": destination}
        answer = client.post("/api/v1/calls/authorize", data=json.dumps(body),
                             content_type="application/json", headers=headers)
        assert answer.status_code == 200
        assert (answer.json()["allowed"], answer.json()["code"]) == (False, code)
        assert "calling restrictions" in answer.json()["reason"]


def test_the_page_answers_htmx_with_its_form_only(client, global_admin):
    client.force_login(global_admin)
    response = client.get(reverse("credits:calling_restrictions"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="restrictions-card"' in body and "<html" not in body
