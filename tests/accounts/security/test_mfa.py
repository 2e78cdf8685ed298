"""The second factor: who is asked, setting up an authenticator app, codes at sign-in,
recovery codes, throttling, the backoffice, and Require MFA for admins."""

from __future__ import annotations

import re

import pyotp
import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AdminRole, AuditEvent
from accounts.security.forms import EnrolmentForm, MfaRequirementForm, SecondFactorForm
from accounts.security.mfa import recovery_codes_create
from tests.accounts.factories import TEST_PASSWORD, AdminFactory, StaffFactory
from tests.accounts.security.helpers import (
    fresh_code,
    password_only_login,
    second_factor_device,
    totp_code,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/mfa/verify/"
ENROL = "/accounts/mfa/set-up/"
BILLING_PAGE = "/billing/products/"


def test_a_billing_admin_is_sent_to_set_up_an_app_and_cannot_reach_billing_before(
    client, billing_admin
):
    password_only_login(client, billing_admin)
    response = client.get(BILLING_PAGE)
    assert (response.status_code, response.url) == (302, f"{VERIFY}?next=%2Fbilling%2Fproducts%2F")
    response = client.get(response.url)
    assert (response.status_code, response.url) == (302, f"{ENROL}?next=%2Fbilling%2Fproducts%2F")
    for url in ("/", BILLING_PAGE, "/billing/payment-methods/", "/accounts/security/"):
        assert client.get(url).url.startswith(VERIFY), url


def test_htmx_requests_are_told_to_go_to_the_code_page(client, billing_admin):
    password_only_login(client, billing_admin)
    response = client.get("/billing/products/communications-credits/add-funds/",
                          HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/billing/products/")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{VERIFY}?next=%2Fbilling%2Fproducts%2F"


def test_with_the_setting_off_billing_admins_are_not_asked(client, tenant, billing_admin):
    tenant.require_mfa_for_admins = False
    tenant.save()
    password_only_login(client, billing_admin)
    assert client.get(BILLING_PAGE).status_code == 200


@pytest.mark.parametrize("role", [AdminRole.GLOBAL_READER, AdminRole.REPORTS_READER,
                                  AdminRole.LICENSE_ADMIN])
def test_admins_who_cannot_buy_are_not_asked(client, tenant, role):
    admin = AdminFactory(tenant=tenant, roles=[role])
    password_only_login(client, admin)
    assert client.get("/").status_code == 200


def test_setting_up_an_app_shows_the_qr_code_and_secret_then_ten_recovery_codes_once(
    client, billing_admin
):
    password_only_login(client, billing_admin)
    response = client.get(f"{ENROL}?next=/billing/products/")
    assert response.status_code == 200
    page = parse(response.content)
    assert page.by_id("mfa-qr").find_all("svg")  # drawn on the server, inline
    secret = page.by_id("mfa-secret").text.replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    # Twice: the same secret until it is confirmed.
    assert parse(client.get(ENROL).content).by_id("mfa-secret").text.replace(" ", "") == secret

    wrong = client.post(ENROL, {"code": "000000", "next": BILLING_PAGE})
    assert wrong.status_code == 400
    assert "didn't work" in parse(wrong.content).by_id("id_code-error").text
    # (A wrong code makes the device wait a second: a person takes longer to type.)
    TOTPDevice.objects.filter(user=billing_admin).update(throttling_failure_count=0)
    response = client.post(ENROL, {"code": pyotp.TOTP(secret).now(), "next": BILLING_PAGE})
    assert response.status_code == 302
    assert response.url == "/accounts/mfa/recovery-codes/?next=%2Fbilling%2Fproducts%2F"
    codes_page = client.get(response.url)
    codes = [li.text for li in parse(codes_page.content).by_id("recovery-codes").find_all("li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once.
    assert client.get(response.url).status_code == 302
    assert client.get(BILLING_PAGE).status_code == 200
    assert TOTPDevice.objects.get(user=billing_admin).confirmed
    assert AuditEvent.objects.filter(action="security.mfa_enrol", actor=billing_admin).exists()


def test_sign_in_asks_for_the_code_after_the_password(client, billing_admin):
    device = second_factor_device(billing_admin)
    response = client.post("/accounts/login/?next=/billing/products/", {
        "username": "billing@contoso.example", "password": TEST_PASSWORD,
        "next": BILLING_PAGE,
    })
    assert response.url == f"{VERIFY}?next=%2Fbilling%2Fproducts%2F"
    page = parse(client.get(response.url).content)
    assert page.find_all("input", name="code")
    wrong = client.post(response.url, {"code": "123456"})
    assert wrong.status_code == 400
    assert client.get(BILLING_PAGE).status_code == 302
    # A wrong code makes the device wait a second before the next one.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    ok = client.post(response.url, {"code": fresh_code(device)})
    assert (ok.status_code, ok.url) == (302, BILLING_PAGE)
    assert client.get(BILLING_PAGE).status_code == 200


def test_wrong_codes_are_throttled(client, billing_admin):
    device = second_factor_device(billing_admin)
    password_only_login(client, billing_admin)
    client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": fresh_code(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in parse(response.content).by_id("id_code-error").text
    assert client.get(BILLING_PAGE).status_code == 302


def test_a_code_is_accepted_once(client, billing_admin):
    device = second_factor_device(billing_admin)
    code = fresh_code(device)
    password_only_login(client, billing_admin)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = type(client)()
    password_only_login(other, billing_admin)
    assert other.post(VERIFY, {"code": code}).status_code == 400


def test_a_recovery_code_works_once(client, billing_admin):
    second_factor_device(billing_admin)
    codes = recovery_codes_create(billing_admin)
    password_only_login(client, billing_admin)
    response = client.post(VERIFY, {"code": codes[0].upper(), "next": BILLING_PAGE})
    assert (response.status_code, response.url) == (302, BILLING_PAGE)
    assert StaticToken.objects.filter(device__user=billing_admin).count() == 9

    other = type(client)()
    password_only_login(other, billing_admin)
    assert other.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert other.get(BILLING_PAGE).status_code == 302


def test_an_enrolled_admin_cannot_set_up_another_app_without_the_code(client, billing_admin):
    second_factor_device(billing_admin)
    password_only_login(client, billing_admin)
    response = client.get(ENROL)
    assert response.url.startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=billing_admin).count() == 1


def test_platform_staff_pass_the_second_factor_before_the_backoffice(client):
    staff = StaffFactory()
    password_only_login(client, staff)
    response = client.get("/admin/accounts/tenant/")
    assert response.url == f"{VERIFY}?next=%2Fadmin%2Faccounts%2Ftenant%2F"
    # No authenticator yet: they set one up on the same page as tenant admins.
    assert client.get(response.url).url.startswith(ENROL)
    device = second_factor_device(staff)
    assert client.post(VERIFY, {"code": fresh_code(device), "next": "/admin/"}).url == "/admin/"
    assert client.get("/admin/accounts/tenant/").status_code == 200


# --- Sign-in and security ----------------------------------------------------------------


def test_security_page_shows_the_app_and_recovery_codes(admin_client, global_admin,
                                                        django_assert_max_num_queries):
    recovery_codes_create(global_admin)
    with django_assert_max_num_queries(12):
        response = admin_client.get("/accounts/security/")
    page = parse(response.content)
    assert "Set up" in page.by_id("mfa-status").text
    assert "10 recovery codes left" in page.by_id("mfa-codes-left").text
    assert page.by_id("security-organization")  # a Global Administrator's setting


def test_billing_admins_see_no_organization_setting(client, billing_admin):
    client.force_login(billing_admin)
    page = parse(client.get("/accounts/security/").content)
    assert page.by_id("security-password")
    assert not page.find_all(id="security-organization")


def test_setting_up_a_new_phone_removes_the_old_one(admin_client, global_admin):
    recovery_codes_create(global_admin)
    response = admin_client.post("/accounts/security/mfa/reset/")
    assert response.url == f"{ENROL}?next=%2Faccounts%2Fsecurity%2F"
    assert not TOTPDevice.objects.filter(user=global_admin).exists()
    assert not StaticToken.objects.filter(device__user=global_admin).exists()
    page = parse(admin_client.get(response.url).content)
    assert page.by_id("mfa-secret")
    assert AuditEvent.objects.filter(action="security.mfa_reset").exists()


def test_new_recovery_codes_replace_the_old_ones(admin_client, global_admin):
    old = recovery_codes_create(global_admin)
    response = admin_client.post("/accounts/security/mfa/recovery-codes/")
    codes = [li.text for li in parse(admin_client.get(response.url).content)
             .by_id("recovery-codes").find_all("li")]
    assert len(codes) == 10 and not set(codes) & set(old)


def test_global_admin_turns_require_mfa_off_and_on_audited(admin_client, tenant, billing_admin):
    response = admin_client.post("/accounts/security/organization/",
                                 {"require_mfa_for_admins": "off"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.require_mfa_for_admins is False
    event = AuditEvent.objects.get(action="security.require_mfa_for_admins")
    assert (event.before, event.after) == (
        {"require_mfa_for_admins": True}, {"require_mfa_for_admins": False}
    )
    other = type(admin_client)()
    password_only_login(other, billing_admin)
    assert other.get(BILLING_PAGE).status_code == 200

    admin_client.post("/accounts/security/organization/", {"require_mfa_for_admins": "on"})
    tenant.refresh_from_db()
    assert tenant.require_mfa_for_admins is True
    assert other.get(BILLING_PAGE).url.startswith(VERIFY)


@pytest.mark.parametrize("value", ["", "-1", "1e9", "1.5", "true", "maybe", "on;off"])
def test_require_mfa_refuses_anything_but_on_or_off(admin_client, tenant, value):
    response = admin_client.post("/accounts/security/organization/",
                                 {"require_mfa_for_admins": value})
    assert response.status_code == 400
    tenant.refresh_from_db()
    assert tenant.require_mfa_for_admins is True
    assert not MfaRequirementForm({"require_mfa_for_admins": value}).is_valid()


@pytest.mark.parametrize("value", ["", "-12345", "1234567", "12.345", "1e5000", "abcdef",
                                   "12345\x00", "1234567890123456789012"])
def test_code_forms_refuse_what_is_not_a_code(value):
    assert not SecondFactorForm({"code": value}).is_valid()
    assert not EnrolmentForm({"code": value}).is_valid()


def test_code_forms_take_codes_typed_with_spaces():
    assert SecondFactorForm({"code": "123 456"}).is_valid()
    assert SecondFactorForm({"code": "ABCD-EFGH"}).is_valid()
    assert not EnrolmentForm({"code": "ABCD-EFGH"}).is_valid()


def test_totp_code_matches_what_the_device_accepts(billing_admin):
    device = second_factor_device(billing_admin)
    assert device.verify_token(totp_code(device))
