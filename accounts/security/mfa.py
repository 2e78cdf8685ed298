"""The second factor: who needs it, the session's verification and the devices.

Admins who can buy or change payment settings (the roles allowed
``Action.MANAGE_BILLING``: Global and Billing Administrators) need a second factor when
their tenant's ``require_mfa_for_admins`` is on (the default); platform staff always do.
A second factor is an authenticator app (django-otp's TOTP device) and 10 one-time
recovery codes (its static device).

The session is verified when it holds django-otp's device key (``django_otp.login``);
it is read from the session alone, so a verified page costs no query of its own.
"""

from __future__ import annotations

import re
from base64 import b32encode
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Tenant, User
from accounts.permissions import ROLE_PERMISSIONS, Action
from accounts.services.audit import audit_record

MFA_ROLES: frozenset[str] = ROLE_PERMISSIONS[Action.MANAGE_BILLING]
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
TOTP_CODE = re.compile(r"^\d{6}$")


def mfa_required(user) -> bool:
    """Whether this user must pass a second factor to use the console or the backoffice."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if user.tenant_id is None or not (user.admin_roles & MFA_ROLES):
        return False
    return user.tenant.require_mfa_for_admins


def session_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def mfa_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator app being set up: the same secret until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed (base32, in groups of 4)."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn on the server."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)


@dataclass(frozen=True)
class Verification:
    device: object | None
    error: str = ""


def _normalized(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _throttled_message(data: dict | None) -> str:
    until = (data or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return _("Too many wrong codes. Wait %(seconds)s seconds, then try again.") % {
        "seconds": seconds
    }


def second_factor_check(user: User, code: str) -> Verification:
    """A 6-digit code from the authenticator app, or one of the recovery codes (used up).

    Each wrong code makes the device wait longer before the next (django-otp's
    throttling: 1, 2, 4, 8 ... seconds)."""
    code = _normalized(code)
    if TOTP_CODE.match(code):
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if not allowed:
            return Verification(None, _throttled_message(data))
        with transaction.atomic():
            if device.verify_token(code):
                return Verification(device)
    return Verification(None, _("That code didn't work. Check the code and try again."))


def session_verify(request: HttpRequest, device) -> None:
    """Mark the session as having passed the second factor with ``device``."""
    otp_login(request, device)


def recovery_codes_create(user: User) -> list[str]:
    """Replace the user's recovery codes with 10 new ones; shown once, stored as typed."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrolment_confirm(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator app with a code it shows: the session is verified and
    the new recovery codes are returned (to show once). ``None``: the code was wrong."""
    code = _normalized(code)
    if not TOTP_CODE.match(code) or not device.verify_is_allowed()[0]:
        return None
    with transaction.atomic():
        if not device.verify_token(code):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        codes = recovery_codes_create(device.user)
        audit_record(tenant=device.user.tenant, actor=device.user, action="security.mfa_enrol",
                     target=device.user.username)
    session_verify(request, device)
    return codes


def mfa_devices_delete(*, user: User) -> None:
    """Remove the user's authenticator app and recovery codes (to set up another one);
    the current session stays verified: it passed the second factor."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(tenant=user.tenant, actor=user, action="security.mfa_reset",
                     target=user.username)


def tenant_mfa_requirement_set(*, tenant: Tenant, acting_user: User, required: bool) -> bool:
    """Turn "Require MFA for admins" on or off, audited. Returns whether it changed."""
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        before = tenant.require_mfa_for_admins
        if before == required:
            return False
        tenant.require_mfa_for_admins = required
        tenant.save(update_fields=["require_mfa_for_admins"])
        audit_record(
            tenant=tenant, actor=acting_user, action="security.require_mfa_for_admins",
            target=tenant.name, before={"require_mfa_for_admins": before},
            after={"require_mfa_for_admins": required},
        )
    return True
