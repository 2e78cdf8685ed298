"""No N+1: Active users, the user panel and the bulk panel with 10,000 users.

Each page is measured with a handful of users, then again after the directory has grown
to 10,000 users holding licenses: the number of queries must not change, and must stay
under the asserted ceiling.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LicenseAssignment
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe
from tests.html_text import parse

LIST_QUERIES = 8
PANEL_QUERIES = 8
BULK_PANEL_QUERIES = 6
DIRECTORY = 10_000


@pytest.fixture
def contoso(tenant):
    subscribe(tenant, E5, seats=DIRECTORY)
    subscribe(tenant, CONFERENCING, seats=DIRECTORY)
    subscribe(tenant, CREDITS, seats=0)
    return tenant


def grow(tenant, first_users: list, total: int = DIRECTORY) -> list:
    """Fill the directory up to ``total`` users, most of them holding licenses."""
    have = len(first_users) + 1  # + the signed-in admin
    more = bulk_users(tenant, total - have, prefix="scale")
    give(more, E5)
    give(more[::2], CREDITS)
    give(more[::3], CONFERENCING)
    return more


def count(client, url, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(queries), response


def test_active_users_list_keeps_its_query_count_at_10000_users(
    contoso, license_admin, client, django_assert_max_num_queries
):
    few = bulk_users(contoso, 5, prefix="few")
    give(few, E5)
    client.force_login(license_admin)
    small, _ = count(client, "/users/active/")

    grow(contoso, few)
    assert contoso.users.count() == DIRECTORY
    with django_assert_max_num_queries(LIST_QUERIES):
        large, response = count(client, "/users/active/")

    assert large == small
    table = parse(response.content).by_id("users-table")
    assert len(table.table_rows()) == 50
    assert "Microsoft 365 E5" in table.text
    assert parse(response.content).by_id("users-count").text == "10,000 users"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "user", "sort": "-username", "page": "7"},
        {"filter": "unlicensed"},
        {"filter": f"product:{CREDITS}", "sort": "usage_location"},
    ],
)
def test_searching_filtering_and_paging_keep_the_query_count(
    contoso, license_admin, client, django_assert_max_num_queries, params
):
    few = bulk_users(contoso, 5, prefix="few")
    # Every page measured shows rows, so no query is skipped for an empty page.
    give(few, CREDITS)
    client.force_login(license_admin)
    small, _ = count(client, "/users/active/", data=params)
    grow(contoso, few)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, _ = count(client, "/users/active/", data=params)
    assert large == small


def test_htmx_table_refresh_keeps_its_query_count(
    contoso, license_admin, client, django_assert_max_num_queries
):
    few = bulk_users(contoso, 5, prefix="few")
    client.force_login(license_admin)
    small, _ = count(client, "/users/active/", headers={"HX-Request": "true"})
    grow(contoso, few)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, _ = count(client, "/users/active/", headers={"HX-Request": "true"})
    assert large == small


@pytest.mark.parametrize("tab", ["account", "licenses"])
def test_user_panel_keeps_its_query_count_at_10000_users(
    contoso, license_admin, client, django_assert_max_num_queries, tab
):
    few = bulk_users(contoso, 5, prefix="few")
    subject = few[0]
    give([subject], E5)
    give([subject], CREDITS)
    client.force_login(license_admin)
    url = f"/users/active/{subject.pk}/?tab={tab}"
    small, _ = count(client, url, headers={"HX-Request": "true"})
    small_page, _ = count(client, url)

    grow(contoso, few)
    with django_assert_max_num_queries(PANEL_QUERIES):
        large, response = count(client, url, headers={"HX-Request": "true"})
    with django_assert_max_num_queries(PANEL_QUERIES):
        large_page, _ = count(client, url)

    assert (large, large_page) == (small, small_page)
    if tab == "licenses":
        seats = parse(response.content).find_all(**{"data-seats": E5})[0].text
        left = DIRECTORY - LicenseAssignment.objects.filter(product__code=E5).count()
        assert seats == f"{left} of 10,000 available"


def test_bulk_panel_keeps_its_query_count_for_a_full_page_selection(
    contoso, license_admin, client, django_assert_max_num_queries
):
    few = bulk_users(contoso, 50, prefix="few")
    client.force_login(license_admin)
    data = {"user": [str(u.pk) for u in few]}
    small, _ = count(client, "/users/active/licenses/", data=data)
    grow(contoso, few)
    with django_assert_max_num_queries(BULK_PANEL_QUERIES):
        large, response = count(client, "/users/active/licenses/", data=data)
    assert large == small
    assert parse(response.content).by_id("bulk-selected").text == "50 users selected:"
