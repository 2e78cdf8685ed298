"""Throttled sign-in with django-axes: what it counts and what a locked-out person sees.

After ``AXES_FAILURE_LIMIT`` (5) failed sign-ins for a username, or from an address,
within ``AXES_COOLOFF_TIME`` (15 minutes), every sign-in with that username or from that
address is refused, the right password included, until the cool-off passes or staff
unlock it (backoffice > Axes > Access attempts, delete the row; or
``manage.py axes_reset_username <username>`` / ``axes_reset_ip <address>`` / ``axes_reset``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.forms import ValidationError
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.forms import ConsoleAuthenticationForm

LOCKED_OUT_STATUS = 429


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the outermost
    one saw (the N-th from the right of X-Forwarded-For, which clients cannot forge).
    ``None`` when there is no valid IP address (a request built by code, a proxy that sent
    garbage): the sign-in is then counted per username only, and nothing that isn't an
    address reaches the database's address column."""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    address = request.META.get("REMOTE_ADDR", "")
    if count:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            address = forwarded[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def attempted_username(request: HttpRequest, credentials: dict | None) -> str:
    """The username as the sign-in form normalizes it, so MEGAN@ and megan@ count as one."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username", "")
    return (username or "").strip().lower()


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-ins: sign-in for this account, or from your network, is "
        "locked for %(minutes)s minutes. Try again later, or reset your password. Your "
        "administrator or the platform's support can unlock it sooner."
    ) % {"minutes": minutes}


def _locked_form(form_class, request: HttpRequest, username: str):
    """The sign-in form, bound to the username typed, its only error the lockout."""

    class LockedOut(form_class):
        def clean(self):
            raise ValidationError(lockout_message(), code="locked_out")

    form = LockedOut(request, data={"username": username, "password": "-"})
    form.is_valid()
    return form


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """The sign-in page (the console's, or the backoffice's under /admin/) with the
    reason, answered with 429 Too Many Requests."""
    username = attempted_username(request, credentials)
    if request.path.startswith(reverse("admin:index")):
        context = {
            **admin.site.each_context(request),
            "form": _locked_form(AdminAuthenticationForm, request, username),
            "title": _("Log in"),
            "app_path": request.get_full_path(),
            "username": username,
        }
        return render(request, "admin/login.html", context, status=LOCKED_OUT_STATUS)
    context = {
        "form": _locked_form(ConsoleAuthenticationForm, request, username),
        "next": request.POST.get("next", ""),
    }
    return render(request, "accounts/login.html", context, status=LOCKED_OUT_STATUS)
