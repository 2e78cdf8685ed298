"""Add a user: the form, its validation, the service, roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AdminRole, AuditEvent, User
from accounts.services import user_create
from tests.accounts.factories import AdminFactory, UserFactory
from tests.html_text import parse

URL = "/users/active/add/"

VALID = {
    "display_name": "Pradeep Gupta",
    "username": "Pradeep@Contoso.example",
    "usage_location": "IN",
    "department": "Finance",
    "job_title": "Accountant",
}


@pytest.fixture
def manager(client, license_admin):
    client.force_login(license_admin)
    return client


def errors_of(response) -> str:
    return parse(response.content).by_id("add-user-form").text


def test_form_has_the_fields_of_the_admin_center(manager):
    page = parse(manager.get(URL).content)
    labels = [label.text.rstrip("*") for label in page.by_id("add-user-form").find_all("label")]
    assert labels == ["Display name", "Username", "Usage location", "Department", "Job title"]
    assert page.by_id("add-user-save").text == "Add user"


def test_adding_a_user_creates_them_audited_and_opens_their_licenses(manager, license_admin):
    response = manager.post(URL, VALID)

    user = User.objects.get(username="pradeep@contoso.example")
    assert response.status_code == 302
    assert response["Location"] == f"/users/active/{user.pk}/?tab=licenses"
    assert (user.display_name, user.usage_location, user.department, user.job_title) == (
        "Pradeep Gupta",
        "IN",
        "Finance",
        "Accountant",
    )
    assert user.tenant == license_admin.tenant
    assert not user.has_usable_password()
    assert not user.role_assignments.exists()
    event = AuditEvent.objects.get(action="user.create")
    assert (event.actor, event.target) == (license_admin, "pradeep@contoso.example")
    page = parse(manager.get(response["Location"]).content)
    assert "Pradeep Gupta was added." in page.by_id("messages").text


def test_adding_over_htmx_shows_what_next_and_refreshes_the_list(manager):
    response = manager.post(URL, VALID, headers={"HX-Request": "true"})

    assert response["HX-Trigger"] == '{"users-changed": {}}'
    page = parse(response.content)
    assert page.by_id("add-done").text == "Pradeep Gupta was added."
    user = User.objects.get(username="pradeep@contoso.example")
    assert page.by_id("add-assign-licenses").attrs["href"] == (
        f"/users/active/{user.pk}/?tab=licenses"
    )


def test_usage_location_may_be_left_for_later(manager):
    manager.post(URL, {**VALID, "usage_location": ""})
    assert User.objects.get(username="pradeep@contoso.example").usage_location == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"display_name": ""}, "This field is required."),
        ({"display_name": "   "}, "This field is required."),
        ({"username": ""}, "This field is required."),
        ({"display_name": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"username": "a" * 250 + "@contoso.example"}, "Ensure this value has at most 254"),
        ({"department": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"job_title": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"username": "not-an-address"}, "Enter a valid email address."),
        ({"username": "two@@contoso.example"}, "Enter a valid email address."),
        ({"username": "<script>@x"}, "Enter a valid email address."),
        ({"usage_location": "ZZ"}, "Select a valid choice."),
        ({"usage_location": "United States"}, "Select a valid choice."),
        ({"usage_location": 42}, "Select a valid choice."),
    ],
)
def test_bad_values_are_refused_with_a_message(manager, change, message):
    response = manager.post(URL, {**VALID, **change})

    assert response.status_code == 200
    assert message in errors_of(response)
    assert not User.objects.filter(display_name="Pradeep Gupta").exists()
    assert not AuditEvent.objects.exists()


def test_an_empty_post_asks_for_the_required_fields(manager):
    response = manager.post(URL, {})
    assert response.status_code == 200
    assert errors_of(response).count("This field is required.") == 2
    assert not AuditEvent.objects.exists()


def test_username_already_in_the_tenant_is_refused(manager, tenant):
    UserFactory(tenant=tenant, username="pradeep@contoso.example")
    response = manager.post(URL, VALID)
    assert "This username is already in use." in errors_of(response)
    assert User.objects.filter(username="pradeep@contoso.example").count() == 1


def test_username_of_another_tenant_is_refused_without_saying_whose(manager, other_tenant):
    UserFactory(tenant=other_tenant, username="pradeep@contoso.example")
    response = manager.post(URL, VALID)
    text = errors_of(response)
    assert "This username is already in use." in text
    assert "Fabrikam" not in text


@pytest.mark.parametrize("role", [AdminRole.REPORTS_READER, AdminRole.BILLING_ADMIN])
def test_roles_without_user_management_get_403(client, tenant, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 403
    assert client.post(URL, VALID).status_code == 403
    assert not User.objects.filter(username="pradeep@contoso.example").exists()


def test_the_user_is_added_to_the_admins_own_tenant_only(client, other_tenant_admin, tenant):
    other = other_tenant_admin.tenant
    client.force_login(other_tenant_admin)
    client.post(URL, {**VALID, "username": f"pradeep@{other.slug}.example"})
    assert User.objects.get(username=f"pradeep@{other.slug}.example").tenant == other


def test_service_validates_on_its_own(tenant, license_admin):
    with pytest.raises(ValidationError) as refused:
        user_create(
            tenant=tenant,
            display_name="",
            username="bad",
            usage_location="XX",
            acting_user=license_admin,
        )
    assert set(refused.value.message_dict) == {"display_name", "username", "usage_location"}
    assert not AuditEvent.objects.exists()


def test_service_refuses_an_admin_of_another_tenant(tenant, other_tenant_admin):
    from accounts.exceptions import AccountsError

    with pytest.raises(AccountsError):
        user_create(
            tenant=tenant,
            display_name="X",
            username="x@contoso.example",
            acting_user=other_tenant_admin,
        )
