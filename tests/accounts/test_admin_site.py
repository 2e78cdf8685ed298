"""The Django admin backoffice: every registered model works for platform staff; tenant
admins cannot reach it (README, "Who may do what").

The pages are driven from admin.site's registry, so every model registered later is
covered without editing this file.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts.backoffice import BackofficeAuditMixin
from accounts.models import AdminRole, Product, User
from accounts.services import audit_record
from tests.accounts.factories import (
    TEST_PASSWORD,
    AdminFactory,
    LicenseAssignmentFactory,
    StaffFactory,
    SubscriptionFactory,
    UserFactory,
    product,
)
from tests.accounts.security.helpers import fresh_code, second_factor_device

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _ids(model) -> str:
    return model._meta.label


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(username="platform@console.example"))
    return client


@pytest.fixture
def backoffice_data(tenant, other_tenant, global_admin, billing_admin, plain_user):
    """A little of everything, so changelists render real rows and list columns."""
    AdminFactory(
        tenant=other_tenant,
        username="admin@fabrikam.example",
        roles=[AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN],
    )
    UserFactory(tenant=tenant, usage_location="", is_active=False)
    SubscriptionFactory(tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS))
    SubscriptionFactory(tenant=other_tenant, product=product(Product.MICROSOFT_365_E5), seats=5)
    LicenseAssignmentFactory(
        user=plain_user, product=product(Product.COMMUNICATIONS_CREDITS), assigned_by=global_admin
    )
    audit_record(
        tenant=tenant,
        actor=global_admin,
        action="license.assign",
        target=str(plain_user),
        before={},
        after={"product": "MCOPSTNC"},
    )


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_superuser_sees_the_backoffice_index(staff_client, backoffice_data):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    for model in REGISTERED:
        assert _url(model, "changelist") in content


@pytest.mark.parametrize("model", REGISTERED, ids=_ids)
def test_superuser_opens_every_changelist(staff_client, backoffice_data, model):
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    shown = response.context["cl"].result_count
    assert shown == model._default_manager.count()


@pytest.mark.parametrize("model", REGISTERED, ids=_ids)
def test_superuser_searches_every_changelist(staff_client, backoffice_data, model):
    response = staff_client.get(_url(model, "changelist"), {"q": "contoso"})
    assert response.status_code == 200
    response = staff_client.get(_url(model, "changelist"), {"q": "no-such-thing-xyz"})
    assert response.status_code == 200
    if admin.site._registry[model].search_fields:
        assert response.context["cl"].result_count == 0


def test_superuser_opens_an_object_of_every_model_that_has_one(staff_client, backoffice_data):
    opened, broken = [], []
    for model in REGISTERED:
        obj = model._default_manager.first()
        if obj is None:
            continue
        status = staff_client.get(_url(model, "change", obj.pk)).status_code
        (opened if status == 200 else broken).append((model._meta.label, status))
    assert broken == []
    assert {"accounts.Tenant", "accounts.User", "accounts.Subscription"} <= {
        label for label, _ in opened
    }


def test_every_console_model_is_in_the_backoffice():
    console_models = [
        model for app in ("accounts", "credits") for model in apps.get_app_config(app).get_models()
    ]
    missing = [m._meta.label for m in console_models if not admin.site.is_registered(m)]
    assert missing == []


# Pages whose changes go through services that audit them (role_assign, role_unassign).
SERVICE_AUDITED = {"accounts.RoleAssignment"}


def test_every_page_staff_can_edit_audits_their_changes(rf):
    """An add, change or delete permission means the page records each change
    (``accounts.backoffice.BackofficeAuditMixin``) or goes through an audited service."""
    request = rf.get("/admin/")
    request.user = StaffFactory()
    editable, unaudited = [], []
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        ):
            continue
        editable.append(model._meta.label)
        if not isinstance(model_admin, BackofficeAuditMixin) and (
            model._meta.label not in SERVICE_AUDITED
        ):
            unaudited.append(model._meta.label)
    assert unaudited == []
    assert {"accounts.Tenant", "accounts.User", "credits.EnterpriseAgreement"} <= set(editable)


def test_superuser_signs_in_at_the_backoffice(client):
    StaffFactory(username="platform@console.example")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "platform@console.example", "password": TEST_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response.url == "/admin/"
    # Platform staff pass the second factor before the backoffice opens.
    response = client.get("/admin/")
    assert (response.status_code, response.url) == (302, "/accounts/mfa/verify/?next=%2Fadmin%2F")
    staff = User.objects.get(username="platform@console.example")
    response = client.post(response.url, {"code": fresh_code(second_factor_device(staff))})
    assert (response.status_code, response.url) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_tenant_global_admin_cannot_sign_in_at_the_backoffice(client, global_admin):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin@contoso.example", "password": TEST_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 200
    assert "Please enter the correct username and password for a staff account" in (
        response.content.decode()
    )
    assert SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302
