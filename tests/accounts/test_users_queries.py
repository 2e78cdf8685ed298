"""No N+1: Active users, the user panel and the bulk panel with 10,000 users.

Each page is measured in a Contoso with a handful of users, then in one whose directory
has grown to 10,000 users holding licenses: the number of queries must not change, and
must stay under the asserted ceiling. Both directories are built once for the module
(building 10,000 users is most of these tests' time) and rolled back after it; each test
runs in a savepoint inside, so what a test writes is undone as usual.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, LicenseAssignment, Tenant, User
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe
from tests.html_text import parse

pytestmark = pytest.mark.django_db

LIST_QUERIES = 8
PANEL_QUERIES = 8
BULK_PANEL_QUERIES = 6
DIRECTORY = 10_000
FEW = 50  # a full page: the bulk panel selects them all


@dataclass(frozen=True)
class Directory:
    tenant: Tenant
    admin: User  # a License Administrator
    few: list[User]  # the first five hold Microsoft 365 E5 and Communications Credits


def _contoso(slug: str) -> Directory:
    tenant = TenantFactory(name="Contoso", slug=slug, country="US", currency="USD")
    subscribe(tenant, E5, seats=DIRECTORY)
    subscribe(tenant, CONFERENCING, seats=DIRECTORY)
    subscribe(tenant, CREDITS, seats=0)
    admin = AdminFactory(
        tenant=tenant, username=f"license@{slug}.example", roles=[AdminRole.LICENSE_ADMIN]
    )
    few = bulk_users(tenant, FEW, prefix="few")
    give(few[:5], E5)
    give(few[:5], CREDITS)
    return Directory(tenant=tenant, admin=admin, few=few)


def grow(tenant, first_users: list, total: int = DIRECTORY) -> list:
    """Fill the directory up to ``total`` users, most of them holding licenses."""
    have = len(first_users) + 1  # + the signed-in admin
    more = bulk_users(tenant, total - have, prefix="scale")
    give(more, E5)
    give(more[::2], CREDITS)
    give(more[::3], CONFERENCING)
    return more


@pytest.fixture(scope="module")
def directories(django_db_setup, django_db_blocker) -> tuple[Directory, Directory]:
    """(a Contoso with a handful of users, a Contoso with the same and 10,000 in all)."""
    with django_db_blocker.unblock(), transaction.atomic():
        few = _contoso("contoso-few")
        many = _contoso("contoso-many")
        grow(many.tenant, many.few)
        yield few, many
        transaction.set_rollback(True)


def count(client, url, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(queries), response


def test_active_users_list_keeps_its_query_count_at_10000_users(
    directories, client, django_assert_max_num_queries
):
    few, many = directories
    client.force_login(few.admin)
    small, _ = count(client, "/users/active/")

    assert many.tenant.users.count() == DIRECTORY
    client.force_login(many.admin)
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
    directories, client, django_assert_max_num_queries, params
):
    few, many = directories
    # Every page measured shows rows, so no query is skipped for an empty page.
    client.force_login(few.admin)
    small, response = count(client, "/users/active/", data=params)
    assert parse(response.content).by_id("users-table").table_rows()
    client.force_login(many.admin)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, response = count(client, "/users/active/", data=params)
    assert parse(response.content).by_id("users-table").table_rows()
    assert large == small


def test_htmx_table_refresh_keeps_its_query_count(
    directories, client, django_assert_max_num_queries
):
    few, many = directories
    client.force_login(few.admin)
    small, _ = count(client, "/users/active/", headers={"HX-Request": "true"})
    client.force_login(many.admin)
    with django_assert_max_num_queries(LIST_QUERIES):
        large, _ = count(client, "/users/active/", headers={"HX-Request": "true"})
    assert large == small


@pytest.mark.parametrize("tab", ["account", "licenses"])
def test_user_panel_keeps_its_query_count_at_10000_users(
    directories, client, django_assert_max_num_queries, tab
):
    few, many = directories

    def url(directory: Directory) -> str:
        subject = directory.few[0]  # holds E5 and Communications Credits
        return f"/users/active/{subject.pk}/?tab={tab}"

    client.force_login(few.admin)
    small, _ = count(client, url(few), headers={"HX-Request": "true"})
    small_page, _ = count(client, url(few))

    client.force_login(many.admin)
    with django_assert_max_num_queries(PANEL_QUERIES):
        large, response = count(client, url(many), headers={"HX-Request": "true"})
    with django_assert_max_num_queries(PANEL_QUERIES):
        large_page, _ = count(client, url(many))

    assert (large, large_page) == (small, small_page)
    if tab == "licenses":
        seats = parse(response.content).find_all(**{"data-seats": E5})[0].text
        taken = LicenseAssignment.objects.filter(product__code=E5, user__tenant=many.tenant)
        assert seats == f"{DIRECTORY - taken.count()} of 10,000 available"


def test_bulk_panel_keeps_its_query_count_for_a_full_page_selection(
    directories, client, django_assert_max_num_queries
):
    few, many = directories

    def selection(directory: Directory) -> dict:
        return {"user": [str(u.pk) for u in directory.few]}

    client.force_login(few.admin)
    small, _ = count(client, "/users/active/licenses/", data=selection(few))
    client.force_login(many.admin)
    with django_assert_max_num_queries(BULK_PANEL_QUERIES):
        large, response = count(client, "/users/active/licenses/", data=selection(many))
    assert large == small
    assert parse(response.content).by_id("bulk-selected").text == "50 users selected:"
