"""The directory tallies (accounts/models/tallies.py): on PostgreSQL the database keeps
Home's user counts and each product's licenses in use, whatever writes the directory;
they always agree with the directory counted, also under concurrent license changes;
the daily jobs fold them; the migration starts them from the directory as it was."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from accounts.models import DirectoryTally, LicenseAssignment, LicenseTally, Tenant, User
from accounts.selectors import directory_counted, directory_summary, subscriptions_with_usage
from accounts.services import license_assign, license_unassign, licenses_bulk_update
from accounts.services.tallies import tallies_compact
from tests.accounts.factories import TenantFactory, UserFactory, product
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe
from tests.migrating import migrate_to

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tallies are PostgreSQL's triggers"
)


def agree(tenant) -> tuple:
    """Home's counts and the licenses in use, after checking the tallies against the
    directory counted."""
    summary = directory_summary(tenant=tenant)
    assert summary == directory_counted(tenant=tenant)
    in_use = {s.product.code: s.assigned for s in subscriptions_with_usage(tenant=tenant)}
    counted = {
        s.product.code: LicenseAssignment.objects.filter(tenant=tenant, product=s.product).count()
        for s in subscriptions_with_usage(tenant=tenant)
    }
    assert in_use == counted
    return summary.users, summary.enabled_users, summary.licensed_users, in_use


@postgresql_only
@pytest.mark.django_db
def test_every_way_of_writing_the_directory_keeps_the_tallies(tenant, other_tenant):
    for code in (E5, CREDITS, CONFERENCING):
        subscribe(tenant, code, seats=100)
    assert agree(tenant) == (0, 0, 0, {E5: 0, CREDITS: 0, CONFERENCING: 0})

    users = bulk_users(tenant, 30, prefix="t")  # one INSERT of 30
    solo = UserFactory(tenant=tenant, usage_location="US")  # a save()
    bulk_users(other_tenant, 7, prefix="o")
    assert agree(tenant)[:3] == (31, 31, 0)

    give(users[:10], E5)  # bulk_create
    give(users[5:15], CREDITS)  # users 5-9 hold both: counted once
    license_assign(user=solo, product=product(CONFERENCING), acting_user=None)
    assert agree(tenant) == (31, 31, 16, {E5: 10, CREDITS: 10, CONFERENCING: 1})

    licenses_bulk_update(  # the service: some first licenses, some more
        tenant=tenant, users=users[12:20], assign=[product(E5)], acting_user=None
    )
    license_unassign(user=solo, product=product(CONFERENCING), acting_user=None)
    assert agree(tenant) == (31, 31, 20, {E5: 18, CREDITS: 10, CONFERENCING: 0})

    # Queryset deletes and updates, as the backoffice and bulk tools write.
    LicenseAssignment.objects.filter(user__in=users[:5]).delete()  # their only license
    LicenseAssignment.objects.filter(user__in=users[5:8], product=product(E5)).delete()
    User.objects.filter(pk__in=[u.pk for u in users[20:25]]).update(is_active=False)
    users[25].is_active = False
    users[25].save()
    assert agree(tenant) == (31, 25, 15, {E5: 10, CREDITS: 10, CONFERENCING: 0})

    # Moving an assignment to another user or product (an UPDATE of the rows).
    LicenseAssignment.objects.filter(user=users[8], product=product(E5)).update(
        user=users[26]
    )
    LicenseAssignment.objects.filter(user=users[9], product=product(CREDITS)).update(
        product=product(CONFERENCING)
    )
    assert agree(tenant) == (31, 25, 16, {E5: 10, CREDITS: 9, CONFERENCING: 1})

    # Deleting users takes their licenses first (Django's cascade).
    User.objects.filter(pk__in=[u.pk for u in users[10:14]]).delete()
    solo.delete()
    assert agree(tenant) == (26, 20, 12, {E5: 8, CREDITS: 5, CONFERENCING: 1})

    # Raw SQL too: the triggers watch the tables, not the ORM.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM accounts_licenseassignment WHERE user_id = %s", [users[14].pk]
        )
    assert agree(tenant) == (26, 20, 11, {E5: 7, CREDITS: 4, CONFERENCING: 1})
    assert agree(other_tenant)[:3] == (7, 7, 0)


@postgresql_only
@pytest.mark.django_db
def test_the_daily_jobs_fold_each_tenants_tallies_into_one_row(tenant, other_tenant):
    subscribe(tenant, E5, seats=50)
    for batch in range(4):
        give(bulk_users(tenant, 5, prefix=f"b{batch}"), E5)
    gone = TenantFactory(name="Gone", slug="gone")
    bulk_users(gone, 3, prefix="g")
    before = agree(tenant)
    assert DirectoryTally.objects.filter(tenant_id=tenant.pk).count() == 8
    assert LicenseTally.objects.filter(tenant_id=tenant.pk).count() == 4
    User.objects.filter(tenant=gone).delete()
    Tenant.objects.filter(pk=gone.pk).delete()

    removed = tallies_compact()

    assert agree(tenant) == before
    assert DirectoryTally.objects.filter(tenant_id=tenant.pk).count() == 1
    assert LicenseTally.objects.filter(tenant_id=tenant.pk).count() == 1
    assert not DirectoryTally.objects.filter(tenant_id=gone.pk).exists()
    assert removed == (8 - 1) + (4 - 1) + 2  # the gone tenant's +3 and -3
    assert tallies_compact() == 0  # nothing left to fold


def test_there_is_nothing_to_fold_without_the_tallies(db):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL keeps tallies")
    assert tallies_compact() == 0
    assert not DirectoryTally.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_licenses_given_at_once_count_the_user_once(tenant):
    """Two transactions each give one user a first license at the same moment. The
    second one's trigger waits for the first to commit, then sees its license: the user
    is counted as licensed once, not twice."""
    subscribe(tenant, E5, seats=5)
    subscribe(tenant, CREDITS, seats=5)
    user = UserFactory(tenant=tenant, usage_location="US")
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                LicenseAssignment.objects.create(user=user, product=product(E5))
                inserted.set()
                release.wait(10)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            inserted.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            with transaction.atomic():
                LicenseAssignment.objects.create(user=user, product=product(CREDITS))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(1)
    assert two.is_alive()  # waiting on the user's row, locked by the first trigger
    release.set()
    one.join(10)
    two.join(10)
    close_old_connections()

    assert errors == []
    assert agree(tenant) == (1, 1, 1, {E5: 1, CREDITS: 1})


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_starts_the_tallies_from_the_directory():
    old = migrate_to([("accounts", "0008_license_assignment_tenant")])
    try:
        tenants, users, products, assignments = (
            old.get_model("accounts", name)
            for name in ("Tenant", "User", "Product", "LicenseAssignment")
        )
        contoso = tenants.objects.create(
            name="Contoso", slug="contoso-m", country="US", currency="USD"
        )
        directory = [
            users.objects.create(
                tenant=contoso, username=f"m{n}@contoso.example", is_active=n != 0
            )
            for n in range(4)
        ]
        e5 = products.objects.get(code=E5)
        assignments.objects.create(user=directory[1], tenant=contoso, product=e5)
        assignments.objects.create(user=directory[2], tenant=contoso, product=e5)
    finally:
        migrate_to([("accounts", "0009_directory_tallies")])

    tenant = Tenant.objects.get(slug="contoso-m")
    subscribe(tenant, E5, seats=5)
    assert agree(tenant) == (4, 3, 2, {E5: 2})
