"""The second factor from the browser (README, "Security"): a Billing Administrator whose
organization requires it sets up an authenticator app at the first sign-in, keeps the
recovery codes, and signs in again with a code, each code computed with pyotp from the
secret the page shows, as the admin's phone would."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts.choices import AdminRole
from tests.accounts.factories import TEST_PASSWORD, AdminFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def password_step(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def steady_code(totp: pyotp.TOTP) -> str:
    """The app's current code, not in the last seconds of its 30-second window (a person
    would wait for the next one rather than type a code about to change)."""
    while totp.interval - time.time() % totp.interval < 4:
        time.sleep(0.5)
    return totp.now()


def next_window_code(totp: pyotp.TOTP) -> str:
    """A code the device hasn't accepted yet: each code signs in once. Rather than wait up
    to 30 seconds for the app's next code, type the next time step's, as a phone whose
    clock runs a few seconds ahead would show it (the device allows one step of drift)."""
    return totp.at(time.time(), counter_offset=1)


def test_a_billing_admin_sets_up_the_app_then_signs_in_with_its_codes(page, live_server,
                                                                       tenant):
    assert tenant.require_mfa_for_admins
    AdminFactory(tenant=tenant, username="new.billing@contoso.example",
                 display_name="Nestor Wilke", roles=[AdminRole.BILLING_ADMIN])

    password_step(page, "new.billing@contoso.example")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator("#mfa-qr svg")).to_be_visible()
    secret = re.sub(r"\s+", "", page.locator("#mfa-secret").inner_text())
    totp = pyotp.TOTP(secret)

    page.get_by_role("textbox", name="Code").fill("000000" if totp.now() != "000000" else "111111")
    page.locator("#enrol-verify").click()
    expect(page.locator(".invalid-feedback, #enrol-form .text-danger").first).to_be_visible()

    time.sleep(2)  # after a wrong code the device refuses codes for a second (django-otp)
    first = steady_code(totp)
    page.get_by_role("textbox", name="Code").fill(first)
    page.locator("#enrol-verify").click()
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    page.locator("#recovery-codes-continue").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#topbar-user")).to_have_text("Nestor Wilke")

    page.wait_for_load_state("load")  # the menu opens once Bootstrap's script ran
    page.locator("#account-menu").click()
    page.locator("#account-security").click()
    expect(page.get_by_role("heading", name="Sign-in and security")).to_be_visible()
    page.wait_for_load_state("load")
    page.locator("#account-menu").click()
    page.locator("#sign-out").click()
    password_step(page, "new.billing@contoso.example")
    expect(page.get_by_role("heading", name="Enter code")).to_be_visible()
    page.get_by_role("textbox", name="Code").fill(next_window_code(totp))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto("/billing/bills/")
    expect(page.locator("h1")).to_have_text("Bills & payments")
