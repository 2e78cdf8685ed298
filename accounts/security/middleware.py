"""In front of every page: the session limits, then the second factor.

Both come after ``AuthenticationMiddleware`` and ``MessageMiddleware`` (they read the
user and leave a message) and read only the session for a signed-in, verified admin: no
query of their own on a console page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.security.mfa import mfa_required, session_verified
from accounts.security.sessions import (
    IDLE,
    redirect_with_next,
    session_expiry_reason,
    session_touch,
)

# Pages a signed-in admin may open before passing the second factor: signing in and out,
# the second factor's own pages, password reset, the language switch, static files, the
# usage API (bearer tokens, no session) and the health check.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/mfa/",
    "/accounts/password-reset/",
    "/accounts/reset/",
    "/admin/login/",
    "/admin/logout/",
    "/i18n/",
    "/jsi18n/",
    "/static/",
    "/api/",
    "/healthz",
)


def _open(path: str) -> bool:
    return path.startswith(OPEN_PREFIXES)


class SessionLimitsMiddleware:
    """Signs out a session idle too long or too old, with a message saying why on the
    sign-in page, which then returns the admin to where they were."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get(SESSION_KEY) is not None:
            reason = session_expiry_reason(session)
            if reason is not None:
                logout(request)
                if reason == IDLE:
                    message = _(
                        "You were signed out after %(minutes)s minutes without activity. "
                        "Sign in again to continue."
                    ) % {"minutes": settings.SESSION_IDLE_TIMEOUT_MINUTES}
                else:
                    message = _(
                        "Your session ended %(hours)s hours after you signed in. Sign in "
                        "again to continue."
                    ) % {"hours": settings.SESSION_ABSOLUTE_AGE_HOURS}
                messages.warning(request, message)
                return redirect_with_next(request, reverse("accounts:login"))
            session_touch(session)
        return self.get_response(request)


class SecondFactorMiddleware:
    """Sends an admin who needs a second factor (accounts.security.mfa) and hasn't passed
    it in this session to the code page (or to set up an authenticator app), then back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.session.get(SESSION_KEY) is not None
            and not _open(request.path_info)
            and not session_verified(request)
            and mfa_required(request.user)
        ):
            return redirect_with_next(request, reverse("accounts:second_factor"))
        return self.get_response(request)
