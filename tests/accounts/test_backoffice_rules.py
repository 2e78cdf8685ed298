"""The backoffice goes through the console's rules: seats never below the licenses
assigned, licenses and roles only through their services, a user's tenant fixed, no
tenant user turned into platform staff, usage locations through their service, and the
tenant change guards that other apps register."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AdminRole, AuditEvent, LicenseAssignment, Product, RoleAssignment
from accounts.services import tenant_change_guard_register, tenant_change_refusals
from accounts.services import tenants as tenant_guards
from accounts.services.tenants import TenantChanges
from tests.accounts.backoffice import admin_url, change_post
from tests.accounts.factories import (
    LicenseAssignmentFactory,
    StaffFactory,
    SubscriptionFactory,
    UserFactory,
    product,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory(username="platform@console.example")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _errors(response) -> str:
    return parse(response.content).by_id("content").text


# ------------------------------------------------------------------------------ seats


@pytest.fixture
def e5(tenant):
    """Contoso's Microsoft 365 E5: 5 seats, 3 of them assigned."""
    subscription = SubscriptionFactory(
        tenant=tenant, product=product(Product.MICROSOFT_365_E5), seats=5
    )
    for _ in range(3):
        LicenseAssignmentFactory(user=UserFactory(tenant=tenant), product=subscription.product)
    return subscription


def test_seats_cannot_drop_below_the_licenses_assigned(staff_client, e5):
    response = change_post(staff_client, e5, {"seats": "2"})
    assert response.status_code == 200
    assert "3 licenses of Microsoft 365 E5 are assigned" in _errors(response)
    e5.refresh_from_db()
    assert e5.seats == 5
    assert not AuditEvent.objects.filter(action__startswith="backoffice.").exists()


def test_seats_can_drop_to_the_licenses_assigned_audited(staff_client, staff, e5):
    response = change_post(staff_client, e5, {"seats": "3"})
    assert response.status_code == 302
    e5.refresh_from_db()
    assert e5.seats == 3
    event = AuditEvent.objects.get(action="backoffice.change")
    assert (event.actor, event.tenant) == (staff, e5.tenant)
    assert (event.before, event.after) == ({"seats": 5}, {"seats": 3})


def test_seats_are_checked_in_the_tenants_subscriptions_too(staff_client, tenant, e5):
    index = list(tenant.subscriptions.order_by("pk")).index(e5)
    response = change_post(staff_client, tenant, {f"subscriptions-{index}-seats": "1"})
    assert response.status_code == 200
    assert "3 licenses of Microsoft 365 E5 are assigned" in _errors(response)
    e5.refresh_from_db()
    assert e5.seats == 5


def test_a_subscriptions_tenant_and_product_are_fixed(staff_client, e5, other_tenant):
    response = change_post(staff_client, e5, {"tenant": str(other_tenant.pk), "seats": "6"})
    assert response.status_code == 302
    e5.refresh_from_db()
    assert (e5.tenant.slug, e5.seats) == ("contoso", 6)


# --------------------------------------------------------------- licenses and roles


def test_license_assignments_are_read_only(staff_client, e5):
    assignment = LicenseAssignment.objects.first()
    assert staff_client.get(admin_url(LicenseAssignment, "add")).status_code == 403
    page = staff_client.get(admin_url(LicenseAssignment, "change", assignment.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = staff_client.post(
        admin_url(LicenseAssignment, "change", assignment.pk), {"product": assignment.product_id}
    )
    assert response.status_code == 403
    response = staff_client.post(
        admin_url(LicenseAssignment, "delete", assignment.pk), {"post": "yes"}
    )
    assert response.status_code == 403
    assert LicenseAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_user_page_shows_roles_and_licenses_without_editing_them(
    staff_client, global_admin, e5
):
    LicenseAssignmentFactory(user=global_admin, product=e5.product)
    page = staff_client.get(admin_url(type(global_admin), "change", global_admin.pk))
    content = page.content.decode()
    assert "Global Administrator" in content and "Microsoft 365 E5" in content
    assert 'name="role_assignments-0-role"' not in content
    assert 'name="licenses-0-product"' not in content


def test_staff_give_an_admin_role_through_the_service(staff_client, staff, plain_user):
    response = staff_client.post(
        admin_url(RoleAssignment, "add"),
        {"user": plain_user.pk, "role": AdminRole.BILLING_ADMIN},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=plain_user, role=AdminRole.BILLING_ADMIN).exists()
    event = AuditEvent.objects.get(action="role.assign")
    assert (event.actor, event.tenant, event.target) == (staff, plain_user.tenant,
                                                         plain_user.username)
    assert (event.before, event.after) == ({"roles": []}, {"roles": ["billing_admin"]})


def test_platform_staff_get_no_admin_role(staff_client, staff):
    response = staff_client.post(
        admin_url(RoleAssignment, "add"), {"user": staff.pk, "role": AdminRole.GLOBAL_ADMIN}
    )
    assert response.status_code == 200
    assert "Platform staff hold no admin roles" in _errors(response)
    assert not RoleAssignment.objects.exists()


def test_roles_are_taken_through_the_service_never_edited(staff_client, staff, global_admin):
    assignment = RoleAssignment.objects.get(user=global_admin)
    response = staff_client.post(
        admin_url(RoleAssignment, "change", assignment.pk), {"role": AdminRole.GLOBAL_READER}
    )
    assert response.status_code == 403
    response = staff_client.post(
        admin_url(RoleAssignment, "delete", assignment.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=global_admin).exists()
    event = AuditEvent.objects.get(action="role.unassign")
    assert event.actor == staff
    assert (event.before, event.after) == ({"roles": ["global_admin"]}, {"roles": []})


def test_roles_taken_in_bulk_are_audited_one_by_one(staff_client, global_admin, billing_admin):
    assignments = RoleAssignment.objects.filter(user__in=[global_admin, billing_admin])
    response = staff_client.post(admin_url(RoleAssignment, "changelist"), {
        "action": "delete_selected", "_selected_action": [a.pk for a in assignments],
        "post": "yes",
    })
    assert response.status_code == 302
    assert not RoleAssignment.objects.exists()
    assert AuditEvent.objects.filter(action="role.unassign").count() == 2


# ----------------------------------------------------------------------------- users


def test_a_users_tenant_cannot_change(staff_client, plain_user, other_tenant):
    response = change_post(
        staff_client, plain_user, {"tenant": str(other_tenant.pk), "department": "Sales"}
    )
    assert response.status_code == 302
    plain_user.refresh_from_db()
    assert (plain_user.tenant.slug, plain_user.department) == ("contoso", "Sales")


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_a_tenant_user_cannot_become_platform_staff(staff_client, global_admin, flag):
    fields = {"is_staff": "on", "is_superuser": "on"} if flag == "is_superuser" else {flag: "on"}
    response = change_post(staff_client, global_admin, fields)
    assert response.status_code == 200
    assert "a tenant's users can't be platform staff" in _errors(response)
    global_admin.refresh_from_db()
    assert not global_admin.is_staff and not global_admin.is_superuser
    assert not AuditEvent.objects.exists()


def test_a_usage_location_changes_through_the_consoles_service(staff_client, staff, plain_user):
    response = change_post(staff_client, plain_user, {"usage_location": "ca",
                                                      "job_title": "Buyer"})
    assert response.status_code == 302
    plain_user.refresh_from_db()
    assert (plain_user.usage_location, plain_user.job_title) == ("CA", "Buyer")
    location = AuditEvent.objects.get(action="user.usage_location")
    assert location.actor == staff
    assert (location.before, location.after) == ({"usage_location": "US"},
                                                 {"usage_location": "CA"})
    change = AuditEvent.objects.get(action="backoffice.change")
    assert (change.before, change.after) == ({"job_title": ""}, {"job_title": "Buyer"})


def test_a_licensed_user_keeps_a_usage_location(staff_client, plain_user, e5):
    LicenseAssignmentFactory(user=plain_user, product=e5.product)
    response = change_post(staff_client, plain_user, {"usage_location": ""})
    assert response.status_code == 200
    assert "has licenses, which need a usage location" in _errors(response)
    plain_user.refresh_from_db()
    assert plain_user.usage_location == "US"
    assert not AuditEvent.objects.exists()


def test_a_user_added_here_belongs_to_a_tenant(staff_client, staff, tenant):
    data = {"username": "new@contoso.example", "display_name": "New Person",
            "usage_location": "US", "password1": "", "password2": "", "usable_password": "false"}
    response = staff_client.post(admin_url(type(staff), "add"), data)
    assert response.status_code == 200
    assert not type(staff).objects.filter(username="new@contoso.example").exists()
    response = staff_client.post(admin_url(type(staff), "add"), {**data, "tenant": tenant.pk})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="backoffice.add")
    assert (event.actor, event.tenant) == (staff, tenant)
    assert event.after["username"] == "new@contoso.example"
    assert event.after["tenant"] == "Contoso"
    assert "password" not in event.after


def test_a_password_change_is_audited_without_the_password(staff_client, staff, plain_user):
    old_hash = plain_user.password
    response = staff_client.post(
        reverse("admin:auth_user_password_change", args=[plain_user.pk]),
        {"password1": "a-New-passphrase-42", "password2": "a-New-passphrase-42",
         "usable_password": "true", "set-password": ""},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="backoffice.change")
    assert (event.actor, event.tenant) == (staff, plain_user.tenant)
    assert (event.before, event.after) == ({"password": "(hidden)"}, {"password": "(changed)"})
    assert old_hash not in str(event.before) + str(event.after)


# -------------------------------------------------------------- tenant change guards


def test_tenant_change_guards_say_why_they_refuse(tenant, monkeypatch):
    monkeypatch.setattr(tenant_guards, "_GUARDS", [])
    seen: list[TenantChanges] = []

    def no_currency_change(tenant, changes):
        seen.append(dict(changes))
        return "Currency is fixed." if "currency" in changes else None

    tenant_change_guard_register(no_currency_change)
    tenant_change_guard_register(no_currency_change)  # once is enough
    assert tenant_change_refusals(tenant=tenant, changes={"name": ("Contoso", "C")}) == []
    assert tenant_change_refusals(
        tenant=tenant, changes={"currency": ("USD", "EUR"), "country": ("US", "US")}
    ) == ["Currency is fixed."]
    assert seen[-1] == {"currency": ("USD", "EUR")}  # unchanged fields are left out


def test_the_tenant_form_shows_every_guards_refusal(staff_client, tenant, monkeypatch):
    monkeypatch.setattr(tenant_guards, "_GUARDS", [])
    tenant_change_guard_register(lambda tenant, changes: "Not on a Friday.")
    response = change_post(staff_client, tenant, {"name": "Contoso Ltd"})
    assert response.status_code == 200
    assert "Not on a Friday." in _errors(response)
    tenant.refresh_from_db()
    assert tenant.name == "Contoso"
    assert not AuditEvent.objects.exists()


def test_a_tenant_without_credits_may_change_currency_and_country(staff_client, staff, tenant):
    response = change_post(staff_client, tenant, {"currency": "CAD", "country": "CA"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.currency, tenant.country) == ("CAD", "CA")
    event = AuditEvent.objects.get(action="backoffice.change")
    assert (event.actor, event.tenant) == (staff, tenant)
    assert event.before == {"country": "US", "currency": "USD"}
    assert event.after == {"country": "CA", "currency": "CAD"}
