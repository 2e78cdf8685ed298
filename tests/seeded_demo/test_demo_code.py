"""The demo's authenticator apps and ``manage.py demo_code``."""

from __future__ import annotations

import io
import time

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import seed_demo
from accounts.security.demo import DEMO_TOTP_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]


def code_of(username: str) -> str:
    out = io.StringIO()
    call_command("demo_code", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_demo_admins_who_can_buy_and_platform_staff_have_the_published_authenticator():
    holders = set(TOTPDevice.objects.filter(confirmed=True).values_list("user__username",
                                                                        flat=True))
    assert {"admin@contoso.example", "billing@fabrikam.example",
            "platform@console.example"} <= holders
    assert "reader@contoso.example" not in holders
    seed_demo(password="demo-password-1")  # idempotent
    assert TOTPDevice.objects.filter(user__username="admin@contoso.example").count() == 1


def test_demo_code_prints_the_code_of_the_published_secret(settings):
    settings.DEBUG = True
    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    before = time.time()
    code = code_of("admin@contoso.example")
    assert code in {totp.at(before), totp.at(time.time())}


def test_demo_code_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        code_of("admin@contoso.example")


def test_demo_code_refuses_users_without_the_demo_authenticator(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no demo authenticator"):
        code_of("reader@contoso.example")
    with pytest.raises(CommandError, match="no demo authenticator"):
        code_of("nobody@contoso.example")
