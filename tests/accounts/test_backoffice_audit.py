"""Every change platform staff make in the backoffice leaves an audit event: the staff
user, the tenant (when there is one), ``backoffice.add`` / ``change`` / ``delete``, the
object, and the changed fields before → after."""

from __future__ import annotations

import pytest

from accounts.models import (
    AuditEvent,
    Product,
    ServiceRequest,
    Subscription,
    Tenant,
    User,
)
from tests.accounts.backoffice import admin_url, backoffice_events, change_post, form_data
from tests.accounts.factories import StaffFactory, SubscriptionFactory, TenantFactory, product

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory(username="platform@console.example")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_a_change_records_only_the_changed_fields(staff_client, staff, tenant):
    response = change_post(staff_client, tenant, {"name": "Contoso Ltd", "volume_licensing": "on"})
    assert response.status_code == 302
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.change", staff, tenant)
    assert event.target == f"Tenant #{tenant.pk} · Contoso Ltd"
    assert event.before == {"name": "Contoso", "volume_licensing": False}
    assert event.after == {"name": "Contoso Ltd", "volume_licensing": True}


def test_saving_without_a_change_records_nothing(staff_client, tenant, plain_user):
    assert change_post(staff_client, tenant, {}).status_code == 302
    assert change_post(staff_client, plain_user, {}).status_code == 302
    assert backoffice_events() == []


def test_an_addition_records_the_new_values_without_a_tenant_for_platform_objects(
    staff_client, staff
):
    page = staff_client.get(admin_url(Product, "add"))
    data = form_data(page.content, "product_form")
    data.update({"code": ["TESTSKU"], "name": ["Test product"], "category": ["add_ons"],
                 "monthly_price": ["3.50"], "sort_order": ["9"]})
    response = staff_client.post(admin_url(Product, "add"), data)
    assert response.status_code == 302
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.add", staff, None)
    assert event.after["code"] == "TESTSKU" and event.after["monthly_price"] == "3.50"
    assert event.after["includes"] == []
    assert event.before == {}


def test_many_to_many_changes_are_recorded_by_name(staff_client):
    e5 = product(Product.MICROSOFT_365_E5)
    previously = sorted(str(p) for p in e5.includes.all())
    phone = product(Product.PHONE_SYSTEM)
    plan = product(Product.DOMESTIC_CALLING_PLAN)
    assert previously != sorted([str(phone), str(plan)])
    response = change_post(staff_client, e5, {"includes": [str(phone.pk), str(plan.pk)]})
    assert response.status_code == 302
    [event] = backoffice_events()
    assert event.before == {"includes": previously}
    assert event.after == {"includes": sorted([str(phone), str(plan)])}


def test_a_tenants_object_is_recorded_under_the_tenant(staff_client, tenant, global_admin):
    request = ServiceRequest.objects.create(
        tenant=tenant, topic="billing", title="Help", description="Please", created_by=global_admin
    )
    response = change_post(staff_client, request, {"status": "closed",
                                                   "closed_at_0": "2026-01-02",
                                                   "closed_at_1": "10:00:00"})
    assert response.status_code == 302
    [event] = backoffice_events()
    assert event.tenant == tenant
    assert event.before == {"status": "open", "closed_at": None}
    assert event.after["status"] == "closed"


def test_a_deletion_records_what_was_deleted(staff_client, staff, tenant, plain_user):
    response = staff_client.post(admin_url(User, "delete", plain_user.pk), {"post": "yes"})
    assert response.status_code == 302
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.delete", staff, tenant)
    assert event.before["username"] == plain_user.username
    assert event.before["tenant"] == "Contoso"
    assert "password" not in event.before
    assert event.after == {}


def test_a_deleted_tenants_record_outlives_it(staff_client, staff):
    gone = TenantFactory(name="Gone Inc", slug="gone")
    response = staff_client.post(admin_url(Tenant, "delete", gone.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Tenant.objects.filter(slug="gone").exists()
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.delete", staff, None)
    assert event.before["name"] == "Gone Inc" and "Gone Inc" in event.target


def test_a_bulk_deletion_records_each_object(staff_client, other_tenant):
    subscriptions = [
        SubscriptionFactory(tenant=other_tenant, product=product(code))
        for code in (Product.PHONE_SYSTEM, Product.AUDIO_CONFERENCING)
    ]
    response = staff_client.post(admin_url(Subscription, "changelist"), {
        "action": "delete_selected", "_selected_action": [s.pk for s in subscriptions],
        "post": "yes",
    })
    assert response.status_code == 302
    assert not Subscription.objects.filter(tenant=other_tenant).exists()
    events = backoffice_events()
    assert [e.action for e in events] == ["backoffice.delete"] * 2
    assert {e.tenant for e in events} == {other_tenant}


def test_inline_rows_are_recorded_one_by_one(staff_client, staff, tenant):
    phone = SubscriptionFactory(tenant=tenant, product=product(Product.PHONE_SYSTEM), seats=4)
    page = staff_client.get(admin_url(Tenant, "change", tenant.pk))
    data = form_data(page.content, "tenant_form")
    data.update({
        "subscriptions-0-seats": ["6"],
        "subscriptions-TOTAL_FORMS": ["2"],
        "subscriptions-1-product": [str(product(Product.AUDIO_CONFERENCING).pk)],
        "subscriptions-1-seats": ["2"],
        "subscriptions-1-status": ["active"],
        "subscriptions-1-started_at_0": ["2026-01-02"],
        "subscriptions-1-started_at_1": ["10:00:00"],
    })
    response = staff_client.post(admin_url(Tenant, "change", tenant.pk), data)
    assert response.status_code == 302
    events = {e.action: e for e in backoffice_events()}
    assert set(events) == {"backoffice.change", "backoffice.add"}
    change = events["backoffice.change"]
    assert change.target == f"Subscription #{phone.pk} · Contoso · Phone System"
    assert (change.before, change.after, change.tenant) == ({"seats": 4}, {"seats": 6}, tenant)
    added = events["backoffice.add"]
    assert added.after["product"] == "Audio Conferencing" and added.after["seats"] == 2
    assert (added.actor, added.tenant) == (staff, tenant)

    AuditEvent.objects.all().delete()
    page = staff_client.get(admin_url(Tenant, "change", tenant.pk))
    data = form_data(page.content, "tenant_form")
    data["subscriptions-0-DELETE"] = ["on"]
    response = staff_client.post(admin_url(Tenant, "change", tenant.pk), data)
    assert response.status_code == 302
    [event] = backoffice_events()
    assert event.action == "backoffice.delete"
    assert event.target == f"Subscription #{phone.pk} · Contoso · Phone System"
    assert event.before["seats"] == 6
