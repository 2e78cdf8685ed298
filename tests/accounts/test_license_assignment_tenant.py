"""Each license assignment keeps its user's tenant (``LicenseAssignment.tenant``), so a
tenant's licenses are counted from its own index ranges without reading its users: every
way of creating an assignment fills it, the migration that added it filled the existing
ones, and the counts Home and Active users show read it (on PostgreSQL, index-only)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, LicenseAssignment, RoleAssignment
from accounts.selectors import directory_counted, directory_summary, subscriptions_with_usage
from accounts.services import license_assign, licenses_bulk_update
from tests.accounts.factories import LicenseAssignmentFactory, UserFactory, product
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe
from tests.migrating import migrate_to

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans are PostgreSQL's"
)


def _mismatched() -> int:
    """Assignments whose tenant is not their user's."""
    return LicenseAssignment.objects.exclude(tenant=F("user__tenant")).count()


# --- Every way of creating an assignment fills the tenant ------------------------------


@pytest.mark.django_db
def test_create_and_the_factory_fill_the_users_tenant(tenant, other_tenant):
    mine = LicenseAssignment.objects.create(
        user=UserFactory(tenant=tenant), product=product(CREDITS)
    )
    theirs = LicenseAssignmentFactory(user=UserFactory(tenant=other_tenant))

    assert mine.tenant_id == tenant.pk
    assert theirs.tenant_id == other_tenant.pk
    assert LicenseAssignment.objects.get(pk=mine.pk).tenant == tenant
    assert _mismatched() == 0


@pytest.mark.django_db
def test_saving_a_new_assignment_fills_the_tenant_from_the_user_or_its_id(tenant):
    loaded = LicenseAssignment(user=UserFactory(tenant=tenant), product=product(CREDITS))
    loaded.save()
    by_id = LicenseAssignment(user_id=UserFactory(tenant=tenant).pk, product=product(E5))
    by_id.save()

    assert loaded.tenant_id == by_id.tenant_id == tenant.pk
    assert set(LicenseAssignment.objects.for_tenant(tenant)) == {loaded, by_id}


@pytest.mark.django_db
def test_bulk_create_with_user_objects_fills_the_tenant_without_another_query(
    tenant, other_tenant, django_assert_num_queries
):
    users = [UserFactory(tenant=tenant), UserFactory(tenant=other_tenant)]
    credits = product(CREDITS)

    with django_assert_num_queries(1):  # the INSERT
        LicenseAssignment.objects.bulk_create(
            LicenseAssignment(user=user, product=credits) for user in users  # any iterable
        )

    assert dict(LicenseAssignment.objects.values_list("user_id", "tenant_id")) == {
        users[0].pk: tenant.pk,
        users[1].pk: other_tenant.pk,
    }


@pytest.mark.django_db
def test_bulk_create_with_only_user_ids_reads_their_tenants_in_one_query(
    tenant, other_tenant, django_assert_num_queries
):
    mine = bulk_users(tenant, 3, prefix="mine")
    theirs = bulk_users(other_tenant, 2, prefix="theirs")
    credits, e5 = product(CREDITS), product(E5)
    assignments = [
        LicenseAssignment(user_id=user.pk, product=item)
        for user in (*mine, *theirs)
        for item in (credits, e5)
    ]

    with django_assert_num_queries(2):  # the users' tenants, then the INSERT
        created = LicenseAssignment.objects.bulk_create(assignments)

    assert len(created) == 10
    assert LicenseAssignment.objects.for_tenant(tenant).count() == 6
    assert LicenseAssignment.objects.for_tenant(other_tenant).count() == 4
    assert _mismatched() == 0


@pytest.mark.django_db
def test_bulk_create_keeps_a_tenant_the_caller_gave(tenant, django_assert_num_queries):
    users = bulk_users(tenant, 2, prefix="given")
    credits = product(CREDITS)
    with django_assert_num_queries(1):  # no lookup of the users
        LicenseAssignment.objects.bulk_create(
            LicenseAssignment(user_id=user.pk, tenant=tenant, product=credits)
            for user in users
        )
    assert LicenseAssignment.objects.for_tenant(tenant).count() == 2
    assert _mismatched() == 0


@pytest.mark.django_db
def test_the_license_services_write_the_users_tenant(tenant, other_tenant, license_admin):
    subscribe(tenant, CREDITS, seats=0)
    subscribe(tenant, CONFERENCING, seats=5)
    subscribe(other_tenant, CONFERENCING, seats=5)
    megan = UserFactory(tenant=tenant)
    users = bulk_users(tenant, 4, prefix="bulk")
    outsiders = bulk_users(other_tenant, 2, prefix="out")

    single = license_assign(user=megan, product=product(CREDITS), acting_user=license_admin)
    licenses_bulk_update(
        tenant=tenant,
        users=users,
        assign=[product(CREDITS), product(CONFERENCING)],
        acting_user=license_admin,
    )
    licenses_bulk_update(
        tenant=other_tenant, users=outsiders, assign=[product(CONFERENCING)], acting_user=None
    )

    assert single.tenant_id == tenant.pk
    assert LicenseAssignment.objects.for_tenant(tenant).count() == 9
    assert LicenseAssignment.objects.for_tenant(other_tenant).count() == 2
    assert _mismatched() == 0


# --- The migration filled the existing assignments -------------------------------------

BEFORE = [("accounts", "0007_notification_preferences")]
AFTER = [("accounts", "0008_license_assignment_tenant")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_every_existing_assignment_its_users_tenant():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate_to(BEFORE)
        Tenant, User = old.get_model("accounts", "Tenant"), old.get_model("accounts", "User")
        OldProduct = old.get_model("accounts", "Product")
        OldAssignment = old.get_model("accounts", "LicenseAssignment")
        tenants = [
            Tenant.objects.create(name=name, slug=name.lower(), country="US", currency="USD")
            for name in ("Contoso", "Fabrikam")
        ]
        items = list(OldProduct.objects.filter(code__in=[CREDITS, E5]))
        assert len(items) == 2
        for t in tenants:
            for n in range(3):
                user = User.objects.create(
                    username=f"u{n}@{t.slug}.example", display_name=f"U{n}", tenant=t,
                    usage_location="US",
                )
                for item in items[: n % 2 + 1]:
                    OldAssignment.objects.create(user=user, product=item)
        assert OldAssignment.objects.count() == 8

        new = migrate_to(AFTER)
        rows = new.get_model("accounts", "LicenseAssignment").objects.values_list(
            "tenant_id", "user__tenant_id"
        )
        assert len(rows) == 8
        assert all(tenant_id == user_tenant for tenant_id, user_tenant in rows)
        assert {tenant_id for tenant_id, _ in rows} == {t.pk for t in tenants}
    finally:
        migrate_to(leaves)


# --- The counts read the assignments' tenant, not the directory ------------------------


@pytest.mark.django_db
def test_the_counts_do_not_read_the_users_for_the_licenses(tenant, other_tenant):
    subscribe(tenant, E5, seats=10)
    subscribe(tenant, CREDITS, seats=0)
    users = bulk_users(tenant, 4, prefix="dir")
    give(users[:3], E5)
    give(users[1:], CREDITS)  # users 1 and 2 hold both: counted once
    RoleAssignment.objects.create(user=users[0], role=AdminRole.GLOBAL_ADMIN)
    give(bulk_users(other_tenant, 5, prefix="out"), E5)

    with CaptureQueriesContext(connection) as queries:
        summary = directory_summary(tenant=tenant)
        assigned = {s.product.code: s.assigned for s in subscriptions_with_usage(tenant=tenant)}

    assert (summary.users, summary.enabled_users, summary.licensed_users, summary.admins) == (
        4, 4, 4, 1,
    )
    assert assigned == {E5: 3, CREDITS: 3}
    assert directory_counted(tenant=tenant) == summary
    summary_sql, subscriptions_sql = (query["sql"] for query in queries.captured_queries)
    if connection.vendor == "postgresql":  # the database's tallies, not the directory
        assert "accounts_directorytally" in summary_sql
        assert "accounts_licenseassignment" not in summary_sql
        assert "accounts_licensetally" in subscriptions_sql
        assert "accounts_licenseassignment" not in subscriptions_sql
    else:
        assert "accounts_licenseassignment" in subscriptions_sql
        assert "accounts_user" not in subscriptions_sql  # counted by (tenant, product) alone


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it can use
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
@pytest.mark.django_db
def test_the_counts_read_the_tenant_indexes_of_the_assignments(tenant, other_tenant):
    subscribe(tenant, E5, seats=50)
    users = bulk_users(tenant, 40, prefix="idx")
    give(users, E5)
    give(users[::2], CREDITS)
    give(bulk_users(other_tenant, 200, prefix="out"), E5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_licenseassignment, accounts_user")

    with CaptureQueriesContext(connection) as queries:
        directory_counted(tenant=tenant)
        directory_summary(tenant=tenant)
        list(subscriptions_with_usage(tenant=tenant))
    counted_plan, summary_plan, subscriptions_plan = (
        _plan(q["sql"]) for q in queries.captured_queries
    )

    # Counted: the tenant's range of either tenant index (at scale, the (tenant, user)
    # one read index-only); never every assignment of a product joined with the users.
    assert re.search(r"on license_tenant_(user|product)_idx", counted_plan)
    assert "license_product_user_idx" not in counted_plan
    # Shown: the tenant's tally rows, found by their index.
    assert "directory_tally_tenant_idx" in summary_plan
    assert "accounts_licenseassignment" not in summary_plan
    assert "license_tally_tenant_idx" in subscriptions_plan
    assert "accounts_licenseassignment" not in subscriptions_plan


@postgresql_only
@pytest.mark.django_db
def test_the_migration_made_the_tenant_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'accounts_licenseassignment'"
        )
        indexes = dict(cursor.fetchall())
    assert "(tenant_id, user_id)" in indexes["license_tenant_user_idx"]
    assert "(tenant_id, product_id)" in indexes["license_tenant_product_idx"]

