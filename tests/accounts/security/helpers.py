"""Signing in with the second factor in tests.

``client.force_login(user)`` also passes the second factor (tests/conftest.py patches it):
the user gets a confirmed authenticator app (``second_factor_device``) and the session
holds it, as after typing a code. ``password_only_login`` signs in with the password
step alone, for the tests of the second factor itself.
"""

from __future__ import annotations

import time
from base64 import b32encode

import pyotp
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

TEST_DEVICE_NAME = "Test authenticator"


def second_factor_device(user) -> TOTPDevice:
    """The user's confirmed authenticator app (created the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)
    return device


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the user's app shows now, as an authenticator app computes it (pyotp)."""
    totp = pyotp.TOTP(b32encode(device.bin_key).decode(), digits=device.digits,
                      interval=device.step)
    return totp.at(at if at is not None else time.time())


def fresh_code(device: TOTPDevice) -> str:
    """A code the device accepts now, even if this 30-second step's code was used (the
    device refuses a code twice): forgets the last step used, as the next step would."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return totp_code(device)


def verify_session(client: Client, user) -> TOTPDevice:
    """Mark the client's session as past the second factor with the user's device."""
    device = second_factor_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def password_only_login(client: Client, user) -> None:
    """``force_login`` without the second factor: as right after the password."""
    Client.force_login.__wrapped__(client, user)
