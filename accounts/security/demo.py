"""The demo's authenticator apps: every demo admin who needs a second factor (Global and
Billing Administrators, platform staff) gets one with the same published secret, so
anyone trying the demo can add it to an app or ask ``manage.py demo_code`` for the code.
Never use these secrets outside the demo."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.security.mfa import mfa_required

# RFC 6238's test key ("12345678901234567890"); in base32: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
DEMO_DEVICE_NAME = "Demo authenticator"


def demo_devices_seed(*, users) -> int:
    """Give each of ``users`` who needs a second factor the demo authenticator
    (idempotent). Returns how many were created."""
    created = 0
    for user in users:
        if not mfa_required(user):
            continue
        _device, new = TOTPDevice.objects.update_or_create(
            user=user, name=DEMO_DEVICE_NAME,
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
        created += int(new)
    return created


def demo_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY,
                                     confirmed=True).first()
