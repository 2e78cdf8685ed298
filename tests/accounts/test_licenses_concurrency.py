"""Two admins taking the last seat at the same moment: exactly one succeeds (PostgreSQL).

Each admin runs in its own thread with its own database connection. The assignment is
slowed down between counting the seats and inserting the license, so that without the
row lock on the subscription both would count a free seat and both would take it.
"""

from __future__ import annotations

import time

import pytest

from accounts.exceptions import LicenseChangesRefused, NotEnoughLicenses
from accounts.models import LicenseAssignment
from accounts.services import license_assign, licenses_bulk_update
from tests.accounts.factories import product
from tests.accounts.licensing import CONFERENCING, bulk_users, give, subscribe
from tests.concurrency import in_parallel

pytestmark = [
    pytest.mark.postgres,
    # Threads see only committed data; serialized rollback restores the product catalog.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def slow_insert(monkeypatch):
    """Hold each transaction open between counting the seats and inserting."""
    manager = LicenseAssignment.objects
    original = manager.bulk_create

    def slow(*args, **kwargs):
        time.sleep(0.4)
        return original(*args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", slow)


def _race(*jobs) -> list:
    """Start every job at the same moment in its own thread: "ok", or what it raised."""

    def run(n: int) -> str:
        jobs[n]()
        return "ok"

    return in_parallel(run, len(jobs))


def test_two_admins_taking_the_last_seat_at_once_exactly_one_succeeds(
    tenant, license_admin, global_admin, slow_insert
):
    subscribe(tenant, CONFERENCING, seats=3)
    holders = bulk_users(tenant, 2, prefix="holder")
    give(holders, CONFERENCING)
    first, second = bulk_users(tenant, 2, prefix="racer")
    conferencing = product(CONFERENCING)

    outcomes = _race(
        lambda: license_assign(user=first, product=conferencing, acting_user=license_admin),
        lambda: license_assign(user=second, product=conferencing, acting_user=global_admin),
    )

    assert outcomes.count("ok") == 1, outcomes
    assert [type(o) for o in outcomes if o != "ok"] == [NotEnoughLicenses], outcomes
    assert LicenseAssignment.objects.filter(product=conferencing).count() == 3
    refused = next(o for o in outcomes if isinstance(o, NotEnoughLicenses))
    assert (refused.needed, refused.available) == (1, 0)


def test_two_bulk_changes_racing_for_the_last_seats_never_oversell(
    tenant, license_admin, global_admin, slow_insert
):
    subscribe(tenant, CONFERENCING, seats=3)
    team_a = bulk_users(tenant, 2, prefix="teama")
    team_b = bulk_users(tenant, 2, prefix="teamb")
    conferencing = product(CONFERENCING)

    outcomes = _race(
        lambda: licenses_bulk_update(
            tenant=tenant, users=team_a, assign=[conferencing], acting_user=license_admin
        ),
        lambda: licenses_bulk_update(
            tenant=tenant, users=team_b, assign=[conferencing], acting_user=global_admin
        ),
    )

    assert outcomes.count("ok") == 1, outcomes
    assert [type(o) for o in outcomes if o != "ok"] == [LicenseChangesRefused], outcomes
    assert LicenseAssignment.objects.filter(product=conferencing).count() == 2
