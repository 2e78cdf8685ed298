"""Signing in from the browser as a person would: the password, then, for the admins who
need one, a code from their authenticator app, computed with pyotp from the device the
test gives them (tests.accounts.security.helpers)."""

from __future__ import annotations

from playwright.sync_api import expect

from accounts.models import User
from accounts.security.mfa import mfa_required
from tests.accounts.factories import TEST_PASSWORD
from tests.accounts.security.helpers import fresh_code, second_factor_device


def sign_in_with_second_factor(page, username: str, password: str = TEST_PASSWORD) -> None:
    """On the sign-in page: the username and password, then the code when it is asked."""
    user = User.objects.filter(username=username).first()
    device = second_factor_device(user) if user is not None and mfa_required(user) else None
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        expect(page.get_by_role("heading", name="Enter code")).to_be_visible()
        page.get_by_label("Code").fill(fresh_code(device))
        page.get_by_role("button", name="Verify").click()
