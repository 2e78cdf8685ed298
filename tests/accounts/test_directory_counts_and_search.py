"""Home's directory counts and the Active users search: the same answers on SQLite and
PostgreSQL, a query count that does not grow with the directory, and (PostgreSQL) the
indexes the queries are written for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, User
from accounts.selectors import directory_summary, users_list
from tests.accounts.factories import TenantFactory, UserFactory
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the indexes are PostgreSQL's"
)


def _grow(tenant, count: int, *, prefix: str) -> list[User]:
    users = bulk_users(tenant, count, prefix=prefix)
    give(users, E5)
    give(users[::2], CREDITS)
    return users


# --- Home's counts ---------------------------------------------------------------------


def test_directory_summary_counts_users_enabled_licensed_and_admins(tenant, other_tenant):
    users = bulk_users(tenant, 6, prefix="dir")
    User.objects.filter(pk__in=[users[0].pk, users[1].pk]).update(is_active=False)
    give(users[:3], E5)
    give(users[2:4], CREDITS)  # users[2] holds two licenses: counted once
    users[4].role_assignments.create(role=AdminRole.GLOBAL_ADMIN)
    users[4].role_assignments.create(role=AdminRole.BILLING_ADMIN)  # one admin, two roles
    users[5].role_assignments.create(role=AdminRole.REPORTS_READER)
    outsiders = bulk_users(other_tenant, 4, prefix="out")
    give(outsiders, E5)
    outsiders[0].role_assignments.create(role=AdminRole.GLOBAL_ADMIN)

    summary = directory_summary(tenant=tenant)

    assert (summary.users, summary.enabled_users) == (6, 4)
    assert summary.licensed_users == 4  # users 0 to 3
    assert summary.admins == 2


def test_directory_summary_of_an_empty_directory_is_zeros():
    summary = directory_summary(tenant=TenantFactory())
    assert (summary.users, summary.enabled_users, summary.licensed_users, summary.admins) == (
        0, 0, 0, 0,
    )


def test_directory_summary_is_one_query_whatever_the_directory(tenant):
    _grow(tenant, 3, prefix="few")
    with CaptureQueriesContext(connection) as few:
        directory_summary(tenant=tenant)
    _grow(tenant, 27, prefix="more")
    with CaptureQueriesContext(connection) as more:
        summary = directory_summary(tenant=tenant)
    assert summary.users == summary.licensed_users == 30
    assert len(few) == len(more) == 1


def _home_queries(client) -> int:
    client.get("/")  # warm the session and content types, as a real visit has them
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_home_query_count_is_the_same_at_3_and_30_users(
    admin_client, tenant, django_assert_max_num_queries
):
    subscribe(tenant, E5, seats=100)
    subscribe(tenant, CREDITS, seats=100)
    _grow(tenant, 2, prefix="few")  # and the signed-in admin: 3
    at_3 = _home_queries(admin_client)
    _grow(tenant, 27, prefix="more")  # 30
    with django_assert_max_num_queries(at_3):
        response = admin_client.get("/")
    assert response.status_code == 200
    assert _home_queries(admin_client) == at_3


# --- Active users search ---------------------------------------------------------------


def _searched(tenant, search: str) -> list[str]:
    return list(users_list(tenant=tenant, search=search).values_list("username", flat=True))


def _expected(tenant, search: str) -> list[str]:
    """What the search must find: a case-insensitive substring of the name or username."""
    needle = search.strip().casefold()
    users = User.objects.filter(tenant=tenant).order_by("display_name", "username", "pk")
    return [
        u.username for u in users
        if needle in u.display_name.casefold() or needle in u.username.casefold()
    ]


@pytest.mark.parametrize(
    "search",
    ["megan", "MEGAN", "bowen", "adele@", "contoso", "50%", "a_b", "100", "Vance", " megan ",
     "nobody-at-all"],
)
def test_search_finds_by_name_or_username_whatever_the_database(tenant, other_tenant, search):
    slug = tenant.slug
    for username, name in (
        ("megan", "Megan Bowen"), ("adele", "Adele Vance"), ("alex", "Alex Wilber"),
        ("percent", "Discount 50% Team"), ("under", "Under_score a_b"),
        ("ab", "Plain ab"), ("num", "Room 100"), ("mbowen", "M. B."),
    ):
        UserFactory(tenant=tenant, username=f"{username}@{slug}.example", display_name=name)
    UserFactory(tenant=other_tenant, username=f"megan@{other_tenant.slug}.example",
                display_name="Megan Bowen")

    assert _searched(tenant, search) == _expected(tenant, search)


def test_search_treats_like_wildcards_literally(tenant):
    UserFactory(tenant=tenant, username=f"a.b@{tenant.slug}.example", display_name="AxB")
    UserFactory(tenant=tenant, username=f"pct@{tenant.slug}.example", display_name="100%")
    assert _searched(tenant, "a_b") == []
    assert _searched(tenant, "0%") == [f"pct@{tenant.slug}.example"]


def _search_queries(client, search: str) -> int:
    client.get("/users/active/", {"q": search})
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/users/active/", {"q": search}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("search", ["Few User", "few00001", "no match"])
def test_active_users_search_query_count_is_the_same_at_3_and_30_users(
    admin_client, tenant, search, django_assert_max_num_queries
):
    subscribe(tenant, E5, seats=100)
    subscribe(tenant, CONFERENCING, seats=100)
    _grow(tenant, 2, prefix="few")
    at_3 = _search_queries(admin_client, search)
    _grow(tenant, 27, prefix="more")
    assert User.objects.filter(tenant=tenant).count() == 30  # with the signed-in admin
    with django_assert_max_num_queries(at_3):
        response = admin_client.get("/users/active/", {"q": search})
    assert response.status_code == 200


# --- PostgreSQL: the indexes the queries are written for --------------------------------


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it can use
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_search_can_use_the_trigram_indexes(tenant):
    bulk_users(tenant, 20, prefix="trgm")
    # The condition as the ORM writes it (UPPER(column::text) LIKE UPPER(...)) matches the
    # indexes' expressions: with no other way to read the table, the plan uses both.
    search = Q(display_name__icontains="Trgm User 0001") | Q(username__icontains="trgm00001")
    plan = _plan(User.objects.filter(search).values("pk"))
    assert "accounts_user_name_trgm" in plan
    assert "accounts_user_username_trgm" in plan


@postgresql_only
def test_the_migrations_made_the_search_and_count_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_user'"
        )
        indexes = dict(cursor.fetchall())
    assert "gin_trgm_ops" in indexes["accounts_user_name_trgm"]
    assert "gin_trgm_ops" in indexes["accounts_user_username_trgm"]
    assert "(tenant_id, is_active)" in indexes["user_tenant_active_idx"]
