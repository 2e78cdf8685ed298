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


# --- the third-party apps' words in the backoffice's language (accounts/third_party_names.py)

THIRD_PARTY_WORDS = {
    "zh-hans": ["登录锁定", "身份验证器应用", "恢复代码", "后台任务", "访问尝试", "任务结果"],
    "zh-hant": ["登入鎖定", "驗證器應用程式", "復原碼", "背景工作", "存取嘗試", "工作結果"],
}


@pytest.mark.parametrize("lang", THIRD_PARTY_WORDS)
def test_the_third_party_apps_are_named_in_the_backoffice_language(staff_client, lang):
    from django.conf import settings

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    html = staff_client.get(reverse("admin:index")).content.decode()
    for word in THIRD_PARTY_WORDS[lang]:
        assert word in html
    for english in ("Axes", "Otp_Totp", "Otp_Static", "Tasks Database Backend",
                    "TOTP devices", "Task Results", "Access attempts", "Static devices"):
        assert english not in html


@pytest.mark.parametrize(
    ("lang", "header"), [("zh-hans", "用户代理"), ("zh-hant", "使用者代理程式")]
)
def test_the_lockout_list_columns_are_in_the_backoffice_language(staff_client, lang, header):
    from axes.models import AccessAttempt
    from django.conf import settings

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    AccessAttempt.objects.create(
        user_agent="curl", ip_address="203.0.113.9", username="x@contoso.example",
        http_accept="*/*", path_info="/accounts/login/", get_data="", post_data="",
        failures_since_start=3,
    )
    html = staff_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert header in html and "User Agent" not in html


def test_renaming_for_the_backoffice_leaves_the_migrations_alone():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice._meta.original_attrs["verbose_name"] == "TOTP device"
    assert "verbose_name" not in TOTPDevice._meta.get_field("name").deconstruct()[3]
