"""The license services: the README's license rules, all-or-nothing, seats, audit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.exceptions import (
    LicenseChangesRefused,
    LicenseError,
    NotEnoughLicenses,
    ProductNotSubscribed,
    UsageLocationMissing,
    UserDisabled,
    UserNotInTenant,
)
from accounts.models import AuditEvent, LicenseAssignment, Subscription, SubscriptionStatus, User
from accounts.services import license_assign, license_unassign, licenses_bulk_update
from tests.accounts.factories import UserFactory, product
from tests.accounts.licensing import (
    CONFERENCING,
    CREDITS,
    E5,
    bulk_users,
    codes_of,
    give,
    subscribe,
)
from tests.hypothesis_budget import examples


@pytest.fixture
def catalog(tenant):
    return {
        CREDITS: subscribe(tenant, CREDITS, seats=0),
        CONFERENCING: subscribe(tenant, CONFERENCING, seats=2),
        E5: subscribe(tenant, E5, seats=5),
    }


@pytest.fixture
def megan(tenant):
    return UserFactory(tenant=tenant, display_name="Megan Bowen", username="megan@contoso.example")


def test_assign_gives_the_license_and_audits_who_what_when(catalog, megan, license_admin):
    assignment = license_assign(user=megan, product=product(CREDITS), acting_user=license_admin)

    assert assignment.user == megan
    assert assignment.assigned_by == license_admin
    assert codes_of(megan) == {CREDITS}
    event = AuditEvent.objects.get(action="license.assign")
    assert event.actor == license_admin
    assert event.tenant == megan.tenant
    assert event.target == "megan@contoso.example"
    assert event.before == {"licenses": []}
    assert event.after == {"licenses": [CREDITS]}
    assert event.created_at is not None


def test_assigning_a_license_already_held_changes_nothing(catalog, megan, license_admin):
    license_assign(user=megan, product=product(CREDITS), acting_user=license_admin)
    license_assign(user=megan, product=product(CREDITS), acting_user=license_admin)

    assert LicenseAssignment.objects.filter(user=megan).count() == 1
    assert AuditEvent.objects.filter(action="license.assign").count() == 1


def test_communications_credits_has_no_seat_limit(tenant, catalog, license_admin):
    users = bulk_users(tenant, 30)

    changes = licenses_bulk_update(
        tenant=tenant, users=users, assign=[product(CREDITS)], acting_user=license_admin
    )

    assert changes.assigned == 30
    assert LicenseAssignment.objects.filter(product__code=CREDITS).count() == 30


def test_user_without_usage_location_cannot_be_licensed(catalog, tenant, license_admin):
    user = UserFactory(tenant=tenant, usage_location="", display_name="Nomad Person")

    with pytest.raises(UsageLocationMissing) as refused:
        license_assign(user=user, product=product(CREDITS), acting_user=license_admin)

    assert f"Nomad Person ({user.username}) has no usage location" in refused.value.message
    assert codes_of(user) == set()
    assert not AuditEvent.objects.exists()


def test_disabled_user_cannot_be_licensed(catalog, tenant, license_admin):
    user = UserFactory(tenant=tenant, is_active=False, display_name="Gone Person")

    with pytest.raises(UserDisabled) as refused:
        license_assign(user=user, product=product(CREDITS), acting_user=license_admin)

    assert f"Gone Person ({user.username}) is blocked from signing in" in refused.value.message
    assert codes_of(user) == set()


def test_rules_are_checked_against_the_user_as_stored_now(catalog, megan, license_admin):
    stale = type(megan).objects.get(pk=megan.pk)
    type(megan).objects.filter(pk=megan.pk).update(is_active=False)

    with pytest.raises(UserDisabled):
        license_assign(user=stale, product=product(CREDITS), acting_user=license_admin)


def test_product_without_subscription_cannot_be_assigned(catalog, megan, license_admin):
    with pytest.raises(ProductNotSubscribed) as refused:
        license_assign(user=megan, product=product("MCOPSTN1"), acting_user=license_admin)
    assert refused.value.buy_more
    assert "no active subscription to Domestic Calling Plan" in refused.value.message


def test_expired_subscription_cannot_be_assigned(catalog, megan, license_admin):
    catalog[E5].status = SubscriptionStatus.EXPIRED
    catalog[E5].save()

    with pytest.raises(ProductNotSubscribed):
        license_assign(user=megan, product=product(E5), acting_user=license_admin)


def test_the_last_seat_can_be_taken_and_then_there_are_none(catalog, tenant, license_admin):
    first, second, third = bulk_users(tenant, 3)
    license_assign(user=first, product=product(CONFERENCING), acting_user=license_admin)
    license_assign(user=second, product=product(CONFERENCING), acting_user=license_admin)

    with pytest.raises(NotEnoughLicenses) as refused:
        license_assign(user=third, product=product(CONFERENCING), acting_user=license_admin)

    assert refused.value.needed == 1
    assert refused.value.available == 0
    assert refused.value.buy_more
    assert refused.value.message == (
        "Not enough licenses for Audio Conferencing: 1 needed, 0 available."
    )
    assert codes_of(third) == set()


def test_seats_count_licenses_of_the_whole_tenant_only(
    catalog, tenant, other_tenant, license_admin
):
    # Another tenant's licenses of the same product do not use this tenant's seats.
    subscribe(other_tenant, CONFERENCING, seats=5)
    give(bulk_users(other_tenant, 5, prefix="fab"), CONFERENCING)
    ours = bulk_users(tenant, 2)

    changes = licenses_bulk_update(
        tenant=tenant, users=ours, assign=[product(CONFERENCING)], acting_user=license_admin
    )

    assert changes.assigned == 2


def test_bulk_is_all_or_nothing_and_names_every_user_refused(catalog, tenant, license_admin):
    fine = bulk_users(tenant, 3)
    nowhere = UserFactory(tenant=tenant, usage_location="", display_name="Nadia Nowhere")
    blocked = UserFactory(tenant=tenant, is_active=False, display_name="Bruno Blocked")

    with pytest.raises(LicenseChangesRefused) as refused:
        licenses_bulk_update(
            tenant=tenant,
            users=[*fine, nowhere, blocked],
            assign=[product(CREDITS), product(E5)],
            acting_user=license_admin,
        )

    messages = [problem.message for problem in refused.value.problems]
    # One message per user and reason, not one per product.
    assert len(messages) == 2
    assert any(f"Nadia Nowhere ({nowhere.username}) has no usage" in m for m in messages)
    assert any(f"Bruno Blocked ({blocked.username}) is blocked" in m for m in messages)
    assert refused.value.message == "No licenses were changed: 2 problems must be fixed first."
    assert not LicenseAssignment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bulk_counts_only_new_licenses_against_the_seats(catalog, tenant, license_admin):
    holder, newcomer = bulk_users(tenant, 2)
    give([holder], CONFERENCING)

    changes = licenses_bulk_update(
        tenant=tenant,
        users=[holder, newcomer],
        assign=[product(CONFERENCING)],
        acting_user=license_admin,
    )

    assert changes.assigned == 1
    assert codes_of(newcomer) == {CONFERENCING}


def test_bulk_beyond_the_seats_says_how_many_are_missing(catalog, tenant, license_admin):
    users = bulk_users(tenant, 3)

    with pytest.raises(LicenseChangesRefused) as refused:
        licenses_bulk_update(
            tenant=tenant,
            users=users,
            assign=[product(CREDITS), product(CONFERENCING)],
            acting_user=license_admin,
        )

    [problem] = refused.value.problems
    assert isinstance(problem, NotEnoughLicenses)
    assert (problem.needed, problem.available) == (3, 2)
    assert refused.value.buy_more
    # Communications Credits would have fitted, but nothing at all was assigned.
    assert not LicenseAssignment.objects.exists()


def test_unassign_removes_and_audits(catalog, megan, license_admin):
    give([megan], CREDITS)

    assert license_unassign(user=megan, product=product(CREDITS), acting_user=license_admin)

    assert codes_of(megan) == set()
    event = AuditEvent.objects.get(action="license.unassign")
    assert (event.before, event.after) == ({"licenses": [CREDITS]}, {"licenses": []})


def test_unassigning_a_license_not_held_is_a_no_op(catalog, megan, license_admin):
    assert not license_unassign(user=megan, product=product(CREDITS), acting_user=license_admin)
    assert not AuditEvent.objects.exists()


def test_disabled_user_or_one_without_location_can_still_lose_licenses(
    catalog, tenant, license_admin
):
    user = UserFactory(tenant=tenant)
    give([user], E5)
    type(user).objects.filter(pk=user.pk).update(is_active=False, usage_location="")

    changes = licenses_bulk_update(
        tenant=tenant, users=[user], unassign=[product(E5)], acting_user=license_admin
    )

    assert changes.unassigned == 1


def test_bulk_swap_assigns_and_removes_in_one_audited_change(catalog, megan, license_admin):
    give([megan], E5)

    licenses_bulk_update(
        tenant=megan.tenant,
        users=[megan],
        assign=[product(CREDITS)],
        unassign=[product(E5)],
        acting_user=license_admin,
    )

    assert codes_of(megan) == {CREDITS}
    event = AuditEvent.objects.get()
    assert event.action == "license.update"
    assert (event.before, event.after) == ({"licenses": [E5]}, {"licenses": [CREDITS]})


def test_user_of_another_tenant_is_refused_without_changing_anything(
    catalog, tenant, other_tenant, megan, license_admin
):
    outsider = UserFactory(tenant=other_tenant, username="x@fabrikam.example")

    with pytest.raises(LicenseChangesRefused) as refused:
        licenses_bulk_update(
            tenant=tenant,
            users=[megan, outsider],
            assign=[product(CREDITS)],
            acting_user=license_admin,
        )

    assert isinstance(refused.value.problems[0], UserNotInTenant)
    assert "isn't a user of your organization" in refused.value.problems[0].message
    assert not LicenseAssignment.objects.exists()


def test_admin_of_another_tenant_cannot_act(catalog, megan, other_tenant_admin):
    with pytest.raises(LicenseError, match="only in your own organization"):
        license_assign(user=megan, product=product(CREDITS), acting_user=other_tenant_admin)
    assert codes_of(megan) == set()


def test_a_product_cannot_be_both_assigned_and_removed(catalog, megan, license_admin):
    with pytest.raises(ValueError):
        licenses_bulk_update(
            tenant=megan.tenant,
            users=[megan],
            assign=[product(CREDITS)],
            unassign=[product(CREDITS)],
            acting_user=license_admin,
        )


def test_system_changes_are_audited_without_actor(catalog, megan):
    license_assign(user=megan, product=product(CREDITS), acting_user=None)
    assert AuditEvent.objects.get().actor is None


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.lists(
        st.tuples(st.booleans(), st.sets(st.integers(min_value=0, max_value=7), max_size=8)),
        min_size=1,
        max_size=6,
    )
)
def test_seats_are_never_exceeded_whatever_the_sequence_of_changes(tenant, license_admin, batches):
    # Hypothesis runs every example in the same test transaction: start each one afresh.
    LicenseAssignment.objects.all().delete()
    conferencing = product(CONFERENCING)
    Subscription.objects.get_or_create(tenant=tenant, product=conferencing, defaults={"seats": 3})
    users = list(User.objects.filter(username__startswith="prop").order_by("username"))
    users = users or bulk_users(tenant, 8, prefix="prop")
    for assign, picks in batches:
        chosen = [users[i] for i in sorted(picks)]
        if not chosen:
            continue
        before = set(
            LicenseAssignment.objects.filter(product=conferencing).values_list("user_id", flat=True)
        )
        try:
            licenses_bulk_update(
                tenant=tenant,
                users=chosen,
                assign=[conferencing] if assign else [],
                unassign=[] if assign else [conferencing],
                acting_user=license_admin,
            )
        except LicenseChangesRefused:
            after = set(
                LicenseAssignment.objects.filter(product=conferencing).values_list(
                    "user_id", flat=True
                )
            )
            assert after == before  # all or nothing
        assert LicenseAssignment.objects.filter(product=conferencing).count() <= 3


def test_the_audit_is_written_in_the_same_transaction(catalog, megan, license_admin, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("accounts.services.licenses.audit_record_many", broken)

    with pytest.raises(RuntimeError):
        license_assign(user=megan, product=product(CREDITS), acting_user=license_admin)

    # No license without its audit event.
    assert codes_of(megan) == set()


def test_large_changes_are_read_and_written_in_chunks(tenant, catalog, license_admin, monkeypatch):
    monkeypatch.setattr("accounts.batching.IN_LIST_SIZE", 3)
    users = bulk_users(tenant, 10)
    give(users[:4], E5)

    changes = licenses_bulk_update(
        tenant=tenant,
        users=users,
        assign=[product(CREDITS)],
        unassign=[product(E5)],
        acting_user=license_admin,
    )

    assert (changes.assigned, changes.unassigned, changes.users_changed) == (10, 4, 10)
    assert LicenseAssignment.objects.filter(product__code=CREDITS).count() == 10
    assert not LicenseAssignment.objects.filter(product__code=E5).exists()
