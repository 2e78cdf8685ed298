"""Verified domains: a user's username ends in @ and one of their tenant's verified
domains, in every way users are added (Add a user, Import users, ``import_users``, the
backoffice), and no answer tells whether a username exists in another organization."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts.demo import DEMO_TENANTS, SeedResult, seed_tenant
from accounts.exceptions import UsersImportError
from accounts.models import AuditEvent, TenantDomain, User
from accounts.services import user_create, users_import
from tests.accounts.backoffice import admin_url, change_post
from tests.accounts.factories import StaffFactory, TenantFactory, UserFactory
from tests.html_text import parse

ADD_URL = "/users/active/add/"
IMPORT_URL = "/users/active/import/"
HEADER = "display name,username,usage location,department,job title\n"


def add(client, username: str):
    return client.post(ADD_URL, {"display_name": "Someone", "username": username,
                                 "usage_location": "US"})


def add_errors(response) -> str:
    assert response.status_code == 200
    return parse(response.content).by_id("add-user-form").text


def import_file(*usernames: str) -> bytes:
    return (HEADER + "".join(f"Person {n},{u},US,,\n" for n, u in enumerate(usernames))).encode()


def import_errors(tenant, content: bytes) -> list[str]:
    with pytest.raises(UsersImportError) as refused:
        users_import(tenant=tenant, content=content, acting_user=None)
    return [str(error) for error in refused.value.errors]


@pytest.fixture
def fabrikam_user(other_tenant):
    return UserFactory(tenant=other_tenant, username="grady@fabrikam.example")


@pytest.fixture
def manager(client, license_admin):
    client.force_login(license_admin)
    return client


# --- the rule --------------------------------------------------------------------------


def test_factories_verify_the_domain_their_usernames_use(tenant, other_tenant):
    assert list(tenant.domains.values_list("name", flat=True)) == ["contoso.example"]
    assert list(other_tenant.domains.values_list("name", flat=True)) == ["fabrikam.example"]


def test_a_domain_belongs_to_one_tenant_only(tenant, other_tenant):
    with pytest.raises(IntegrityError):
        TenantDomain.objects.create(tenant=other_tenant, name="contoso.example")


def test_the_service_refuses_a_username_of_another_domain_naming_the_allowed_ones(
    tenant, license_admin
):
    TenantDomain.objects.create(tenant=tenant, name="contoso.com")
    with pytest.raises(ValidationError) as refused:
        user_create(tenant=tenant, display_name="X", username="x@elsewhere.example",
                    acting_user=license_admin)
    assert refused.value.message_dict["username"] == [
        "x@elsewhere.example is not in a verified domain of Contoso: usernames end in "
        "@contoso.com, @contoso.example."
    ]
    assert not User.objects.filter(username="x@elsewhere.example").exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("username", ["x@sub.contoso.example", "x@contoso.example.evil",
                                      "x@CONTOSO.example.", "contoso.example", "@contoso.example"])
def test_lookalike_domains_are_refused(tenant, license_admin, username):
    with pytest.raises(ValidationError) as refused:
        user_create(tenant=tenant, display_name="X", username=username,
                    acting_user=license_admin)
    assert "username" in refused.value.message_dict


def test_a_tenant_without_a_verified_domain_adds_no_user(db):
    bare = TenantFactory(name="Bare", slug="bare")
    bare.domains.all().delete()
    with pytest.raises(ValidationError) as refused:
        user_create(tenant=bare, display_name="X", username="x@bare.example", acting_user=None)
    assert "Bare has no verified domain yet" in refused.value.message_dict["username"][0]


def test_a_username_of_the_tenants_own_domain_is_added(tenant, license_admin):
    user = user_create(tenant=tenant, display_name="X", username="X@Contoso.Example",
                       acting_user=license_admin)
    assert (user.username, user.tenant) == ("x@contoso.example", tenant)


# --- Add a user --------------------------------------------------------------------------


def test_add_a_user_refuses_another_organizations_domain_alike_whether_or_not_it_exists(
    manager, fabrikam_user
):
    existing = add_errors(add(manager, "grady@fabrikam.example"))
    missing = add_errors(add(manager, "nobody@fabrikam.example"))
    assert "is not in a verified domain of Contoso: usernames end in @contoso.example." in (
        existing
    )
    assert existing.replace("grady", "nobody") == missing
    assert "already in use" not in existing
    assert User.objects.filter(username__endswith="@fabrikam.example").count() == 1


def test_add_a_user_says_a_username_of_ones_own_domain_is_in_use(manager, plain_user):
    errors = add_errors(add(manager, plain_user.username))
    assert "This username is already in use." in errors


# --- Import users ------------------------------------------------------------------------


def test_import_reports_each_foreign_row_alike_whether_or_not_it_exists(
    tenant, fabrikam_user
):
    content = import_file("ok@contoso.example", "grady@fabrikam.example",
                          "nobody@fabrikam.example")
    errors = import_errors(tenant, content)
    assert errors == [
        "Line 3: grady@fabrikam.example is not in a verified domain of Contoso: usernames "
        "end in @contoso.example.",
        "Line 4: nobody@fabrikam.example is not in a verified domain of Contoso: usernames "
        "end in @contoso.example.",
    ]
    assert not User.objects.filter(username="ok@contoso.example").exists()


def test_import_reports_foreign_and_taken_rows_in_line_order(tenant, plain_user):
    errors = import_errors(tenant, import_file("x@elsewhere.example", plain_user.username))
    assert errors[0].startswith("Line 2: x@elsewhere.example is not in a verified domain")
    assert errors[1] == f"Line 3: {plain_user.username} is already a user of your organization."


def test_import_page_shows_the_domain_error(manager, fabrikam_user):
    upload = SimpleUploadedFile("u.csv", import_file("grady@fabrikam.example"),
                                content_type="text/csv")
    response = manager.post(IMPORT_URL, {"file": upload})
    text = parse(response.content).text
    assert "grady@fabrikam.example is not in a verified domain of Contoso" in text
    assert "already in use" not in text


def test_import_users_command_refuses_foreign_rows(tenant, fabrikam_user, tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(import_file("grady@fabrikam.example"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_users", "--tenant", "contoso", str(path), stderr=err,
                     stdout=io.StringIO())
    assert "grady@fabrikam.example is not in a verified domain of Contoso" in err.getvalue()
    assert "already in use" not in err.getvalue()
    assert User.objects.get(username="grady@fabrikam.example").tenant == fabrikam_user.tenant


# --- the backoffice --------------------------------------------------------------------


@pytest.fixture
def staff_client(client, db):
    client.force_login(StaffFactory(username="platform@console.example"))
    return client


def backoffice_add(client, tenant, username):
    data = {"tenant": tenant.pk, "username": username, "display_name": "New Person",
            "usage_location": "US", "password1": "", "password2": "",
            "usable_password": "false"}
    return client.post(admin_url(User, "add"), data)


def test_backoffice_add_refuses_another_domain_alike_whether_or_not_it_exists(
    staff_client, tenant, fabrikam_user
):
    existing = backoffice_add(staff_client, tenant, "grady@fabrikam.example")
    missing = backoffice_add(staff_client, tenant, "nobody@fabrikam.example")
    assert existing.status_code == missing.status_code == 200
    texts = [parse(r.content).by_id("content").text for r in (existing, missing)]
    assert "is not in a verified domain of Contoso" in texts[0]
    assert "already exists" not in texts[0]
    assert texts[0].replace("grady", "nobody") == texts[1]
    assert backoffice_add(staff_client, tenant, "new@contoso.example").status_code == 302


def test_backoffice_change_keeps_a_username_in_the_tenants_domains(staff_client, plain_user):
    response = change_post(staff_client, plain_user, {"username": "moved@fabrikam.example"})
    assert response.status_code == 200
    assert "is not in a verified domain of Contoso" in parse(response.content).by_id(
        "content").text
    plain_user.refresh_from_db()
    assert plain_user.username.endswith("@contoso.example")
    response = change_post(staff_client, plain_user, {"username": "renamed@contoso.example"})
    assert response.status_code == 302


# --- the demo --------------------------------------------------------------------------


def test_seed_demo_verifies_each_demo_tenants_domain(db):
    spec = next(spec for spec in DEMO_TENANTS if spec.domain == "fabrikam.example")
    for _ in range(2):  # idempotent
        tenant = seed_tenant(spec, password_hash="!", result=SeedResult())
    assert list(tenant.domains.values_list("name", flat=True)) == ["fabrikam.example"]
    assert {spec.domain for spec in DEMO_TENANTS} >= {
        "contoso.example", "fabrikam.example", "northwind.example"
    }
    usernames = User.objects.filter(tenant=tenant).values_list("username", flat=True)
    assert all(name.endswith("@fabrikam.example") for name in usernames)
