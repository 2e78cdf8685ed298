"""Billing > Rates: read-only rates in the organization's currency, search by country."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole
from credits.usage.services.rates import rates_import, sample_rates_load
from tests.accounts.factories import AdminFactory
from tests.credits.calls import test_rates  # noqa: F401 - fixture
from tests.html_text import parse

URL = "/billing/rates/"
PAGE_QUERIES = 6


def rows(response) -> dict[str, list[str]]:
    table = parse(response.content).by_id("rates-table")
    return {row[0]: row[1:] for row in table.table_rows()}


def test_billing_admin_sees_the_rates_in_the_tenants_currency(client, billing_admin, test_rates):  # noqa: F811
    client.force_login(billing_admin)
    response = client.get(URL)

    assert response.status_code == 200
    shown = rows(response)
    assert list(shown) == ["Canada CA", "Germany DE", "India IN", "United Kingdom GB",
                           "United States US"]  # by name; no GBP rates here
    assert shown["United Kingdom GB"] == [
        "$0.04/min + $0.01 per call", "$0.10/min + $0.01 per call", "$0.08/min",
        "$2.00/min + $0.10 per call",
    ]
    assert shown["Canada CA"] == ["$0.02/min", "—", "—", "—"]
    assert "5 countries" in parse(response.content).by_id("rates-count").text


def test_another_tenant_sees_its_own_currency(client, other_tenant_admin, test_rates):  # noqa: F811
    client.force_login(other_tenant_admin)
    shown = rows(client.get(URL))
    assert list(shown) == ["United Kingdom GB", "United States US"]
    assert shown["United Kingdom GB"][0] == "£0.03/min"


@pytest.mark.parametrize(("query", "expected"), [
    ("germ", ["Germany DE"]), ("de", ["Germany DE"]), ("UNITED", ["United Kingdom GB",
                                                                  "United States US"]),
])
def test_search_by_country_name_or_code(client, billing_admin, test_rates, query, expected):  # noqa: F811
    client.force_login(billing_admin)
    response = client.get(URL, {"q": query})
    assert list(rows(response)) == expected
    assert parse(response.content).by_id("rates-search").attrs["value"] == query


def test_a_search_without_match_says_so(client, billing_admin, test_rates):  # noqa: F811
    client.force_login(billing_admin)
    page = parse(client.get(URL, {"q": "Atlantis"}).content)
    assert page.by_id("rates-empty").text == "No country matches “Atlantis”."


def test_no_rates_in_the_currency(client, billing_admin, db):
    client.force_login(billing_admin)
    page = parse(client.get(URL).content)
    assert "No rates in USD yet" in page.by_id("rates-empty").text


def test_htmx_request_gets_only_the_table(client, billing_admin, test_rates):  # noqa: F811
    client.force_login(billing_admin)
    response = client.get(URL, {"q": "India"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="rates-table">')
    assert "<html" not in body and "India" in body
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "role", [AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_READER]
)
def test_billing_roles_may_view(client, tenant, test_rates, role):  # noqa: F811
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 200


def test_navigation_offers_rates_to_billing_roles_only(client, billing_admin, reports_reader,
                                                      test_rates):  # noqa: F811
    client.force_login(billing_admin)
    nav = parse(client.get(URL).content).by_id("console-nav")
    assert URL in nav.hrefs()
    client.force_login(reports_reader)
    nav = parse(client.get("/").content).by_id("console-nav")
    assert URL not in nav.hrefs()


def test_query_count_does_not_grow_with_the_rates(client, billing_admin, test_rates):  # noqa: F811
    client.force_login(billing_admin)
    client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    sample_rates_load()  # hundreds of rates
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(rows(response)) >= 40
    assert len(many) == len(few) <= PAGE_QUERIES


def test_the_shipped_sample_rates_are_labelled_as_samples(client, billing_admin, db):


    sample_rates_load()
    client.force_login(billing_admin)
    page = parse(client.get(URL).content)
    assert "not real prices" in page.by_id("rates-sample-notice").text
    # Still said while searching: the notice is about the whole table.
    assert parse(client.get(URL, {"q": "France"}).content).has_id("rates-sample-notice")


def test_real_rates_are_not_labelled_as_samples(client, billing_admin, db):


    sample_rates_load()
    rates_import(text="country,number_type,per_minute,connection_fee,currency\n"
                      "US,mobile,0.0123,0.0100,USD\n")
    client.force_login(billing_admin)
    assert not parse(client.get(URL).content).has_id("rates-sample-notice")
