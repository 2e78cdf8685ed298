"""The sign-in security pages (README, "Security > Sign-in").

Before the console: the second factor (``second_factor``), setting up an authenticator app
(``second_factor_enrol``), the recovery codes shown once (``recovery_codes``), password
reset. In the console: "Sign-in and security" (``security``: the second factor, the
password, and for Global Administrators "Require MFA for admins"), password change, and
re-authentication (``reauthenticate``) before paying or changing how to pay.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import Action
from accounts.security.forms import (
    ConsolePasswordResetForm,
    EnrolmentForm,
    MfaRequirementForm,
    ReauthenticationForm,
    SecondFactorForm,
)
from accounts.security.lockout import client_ip
from accounts.security.mfa import (
    enrolment_confirm,
    enrolment_device,
    mfa_devices_delete,
    mfa_enrolled,
    mfa_required,
    qr_svg,
    recovery_codes_create,
    recovery_codes_left,
    second_factor_check,
    secret_of,
    session_verified,
    session_verify,
    tenant_mfa_requirement_set,
)
from accounts.security.sessions import (
    reauthentication_mark,
    reauthentication_required,
)
from accounts.security.throttle import throttle_hit
from accounts.shell.access import console_view

NEW_CODES_SESSION_KEY = "security_new_recovery_codes"


def _next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    if default:
        return default
    return reverse("admin:index") if request.user.is_staff else reverse("accounts:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


# --- before the console: the second factor -------------------------------------------


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """After the password: a 6-digit code from the authenticator app, or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next(request)
    if session_verified(request) or not mfa_required(user):
        return redirect(next_url)
    if not mfa_enrolled(user):
        return redirect(_with_next("accounts:second_factor_enrol", next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = second_factor_check(user, form.cleaned_data["code"])
        if result.device is not None:
            session_verify(request, result.device)
            reauthentication_mark(request)
            return redirect(next_url)
        form.add_error("code", result.error)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/security/second_factor.html",
                  {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "POST"])
def second_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: the QR code and the secret, then a code it shows."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next(request)
    if mfa_enrolled(user):
        # Only a session that passed the second factor may replace it, from the Security
        # page; here, the code page.
        if session_verified(request):
            return redirect(next_url)
        return redirect(_with_next("accounts:second_factor", next_url))
    device = enrolment_device(user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(request, device, form.cleaned_data["code"])
        if codes is not None:
            reauthentication_mark(request)
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_with_next("accounts:recovery_codes", next_url))
        form.add_error("code", _("That code didn't work. Check the time on your phone and "
                                 "enter the code the app shows now."))
    context = {"form": form, "next": next_url, "qr_svg": qr_svg(device),
               "secret": secret_of(device), "required": mfa_required(user)}
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/security/second_factor_enrol.html", context, status=status)


@require_http_methods(["GET"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The new recovery codes, shown once: they leave the session as the page is shown."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    next_url = _next(request)
    if not codes:
        return redirect(next_url)
    return render(request, "accounts/security/recovery_codes.html",
                  {"codes": codes, "next": next_url})


# --- re-authentication ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Your password (or a code) again, then back to what you were doing."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next(request)
    form = ReauthenticationForm(request.POST or None)
    enrolled = mfa_enrolled(user)
    if request.method == "POST" and form.is_valid():
        password, code = form.cleaned_data["password"], form.cleaned_data["code"]
        proven = False
        if password:
            # Through the authentication backends, so django-axes counts the failures.
            proven = authenticate(request, username=user.username, password=password) == user
            if not proven:
                form.add_error("password", _("That password is incorrect."))
        elif enrolled:
            result = second_factor_check(user, code)
            proven = result.device is not None
            if not proven:
                form.add_error("code", result.error)
        else:
            form.add_error("code", _("You have no authenticator app; enter your password."))
        if proven:
            reauthentication_mark(request)
            return redirect(next_url)
    context = {"form": form, "next": next_url, "enrolled": enrolled,
               "minutes": settings.REAUTHENTICATION_MINUTES}
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/security/reauthenticate.html", context, status=status)


# --- in the console: Sign-in and security ----------------------------------------------


def _security_context(request: HttpRequest, **extra) -> dict:
    user, tenant = request.user, request.tenant
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {
        "app": app,
        "codes_left": recovery_codes_left(user) if app else 0,
        "mfa_required": mfa_required(user),
        "can_manage_security": user.has_action(Action.MANAGE_SECURITY),
        "tenant": tenant,
        "mfa_form": MfaRequirementForm(
            initial={"require_mfa_for_admins": "on" if tenant.require_mfa_for_admins else "off"}
        ),
    }
    context.update(extra)
    return context


@require_http_methods(["GET"])
@console_view(Action.USE_CONSOLE)
def security(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security/security.html", _security_context(request))


@require_POST
@console_view(Action.USE_CONSOLE)
@reauthentication_required()
def second_factor_reset(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator app and the recovery codes, then set up a new app."""
    mfa_devices_delete(user=request.user)
    messages.info(request, _("Your authenticator app was removed. Set up the new one now."))
    return redirect(_with_next("accounts:second_factor_enrol", reverse("accounts:security")))


@require_POST
@console_view(Action.USE_CONSOLE)
@reauthentication_required()
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    if not mfa_enrolled(request.user):
        messages.error(request, _("Set up an authenticator app first."))
        return redirect("accounts:security")
    request.session[NEW_CODES_SESSION_KEY] = recovery_codes_create(request.user)
    return redirect(_with_next("accounts:recovery_codes", reverse("accounts:security")))


@require_POST
@console_view(Action.MANAGE_SECURITY)
def mfa_requirement(request: HttpRequest) -> HttpResponse:
    """Global Administrators: "Require MFA for admins" on or off (audited)."""
    form = MfaRequirementForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/security/security.html",
                      _security_context(request, mfa_form=form), status=400)
    required = form.cleaned_data["require_mfa_for_admins"]
    if tenant_mfa_requirement_set(tenant=request.tenant, acting_user=request.user,
                                  required=required):
        messages.success(request, _("Admins who can buy or change payment settings now need "
                                    "a second factor to sign in.") if required else
                         _("Admins no longer need a second factor to sign in."))
    return redirect("accounts:security")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/security/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form):
        response = super().form_valid(form)
        update_session_auth_hash(self.request, form.user)
        reauthentication_mark(self.request)
        messages.success(self.request, _("Your password was changed."))
        return response


password_change = require_http_methods(["GET", "POST"])(
    console_view(Action.USE_CONSOLE)(PasswordChangeView.as_view())
)


# --- password reset (before signing in) ----------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether the address has an account or not; throttled per address
    and per client address (``PASSWORD_RESET_LIMIT_PER_ADDRESS`` / ``_PER_IP`` an hour)."""

    form_class = ConsolePasswordResetForm
    template_name = "accounts/security/password_reset_form.html"
    email_template_name = "accounts/security/password_reset_email.txt"
    subject_template_name = "accounts/security/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        address = form.cleaned_data["email"]
        ip_ok = throttle_hit("reset-ip", client_ip(self.request),
                             limit=settings.PASSWORD_RESET_LIMIT_PER_IP)
        address_ok = throttle_hit("reset-address", address,
                                  limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS)
        if not ip_ok:
            form.add_error(None, _("Too many password reset requests from your network. Try "
                                   "again in an hour."))
            return self.form_invalid(form)
        if not address_ok:
            # The same answer as a sent email: whether the account exists stays unknown.
            return redirect(self.success_url)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/security/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/security/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/security/password_reset_complete.html"
