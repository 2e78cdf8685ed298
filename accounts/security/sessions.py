"""Session limits and re-authentication (README, "Security > Sign-in").

Signing in stamps the session: when it started, when it was last used and when its user
last proved who they are (the password, or a code). ``SessionLimitsMiddleware`` ends a
session idle for ``SESSION_IDLE_TIMEOUT_MINUTES`` or older than
``SESSION_ABSOLUTE_AGE_HOURS``; ``reauthentication_required`` asks for the password (or a
code) again before paying or changing how to pay when the last proof is older than
``REAUTHENTICATION_MINUTES``. "Last used" is written at most once a minute, so a page
costs no session write of its own.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

STARTED_AT = "security_started_at"
SEEN_AT = "security_seen_at"
REAUTHENTICATED_AT = "security_reauthenticated_at"
SEEN_GRANULARITY_SECONDS = 60

IDLE = "idle"
TOO_OLD = "too_old"


def now() -> float:
    """The clock the limits read (tests move it)."""
    return time.time()


def session_signed_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: a new session, just proven by the password."""
    session = getattr(request, "session", None)
    if session is None:
        return
    moment = now()
    session[STARTED_AT] = moment
    session[SEEN_AT] = moment
    session[REAUTHENTICATED_AT] = moment


def session_expiry_reason(session) -> str | None:
    """Why this signed-in session has ended, or ``None`` while it is valid."""
    moment = now()
    started, seen = session.get(STARTED_AT), session.get(SEEN_AT)
    if started is None or seen is None:  # signed in before the limits existed
        return None
    if moment - started > settings.SESSION_ABSOLUTE_AGE_HOURS * 3600:
        return TOO_OLD
    if moment - seen > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
        return IDLE
    return None


def session_touch(session) -> None:
    moment = now()
    if session.get(STARTED_AT) is None:
        session[STARTED_AT] = moment
    seen = session.get(SEEN_AT)
    if seen is None or moment - seen >= SEEN_GRANULARITY_SECONDS:
        session[SEEN_AT] = moment


def reauthentication_mark(request: HttpRequest) -> None:
    request.session[REAUTHENTICATED_AT] = now()


def reauthentication_fresh(request: HttpRequest) -> bool:
    at = request.session.get(REAUTHENTICATED_AT)
    return at is not None and now() - at <= settings.REAUTHENTICATION_MINUTES * 60


def return_path(request: HttpRequest) -> str:
    """Where the admin was: the page an htmx request was sent from, else this address."""
    current = request.headers.get("HX-Current-URL", "") if request.headers.get(
        "HX-Request") else ""
    if current and url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def redirect_with_next(request: HttpRequest, url: str) -> HttpResponse:
    """Send the browser to ``url?next=<where it was>``; htmx requests with HX-Redirect, so
    the whole page goes there rather than a fragment being swapped in."""
    target = f"{url}?{urlencode({'next': return_path(request)})}"
    if request.headers.get("HX-Request"):
        return HttpResponseClientRedirect(target)
    return redirect(target)


def reauthentication_response(request: HttpRequest) -> HttpResponse | None:
    """``None`` when the admin proved who they are in the last few minutes; otherwise the
    redirect to the re-authentication page, which sends them back here."""
    if reauthentication_fresh(request):
        return None
    return redirect_with_next(request, reverse("accounts:reauthenticate"))


def reauthentication_required(action: str | None = None):
    """Decorate a console view (inside ``console_view``) that pays or changes how to pay.

    Only users whose roles allow ``action`` are asked (the others get the view's own 403);
    a view that must find its object first (404 for another tenant's) calls
    ``reauthentication_response`` after finding it instead."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if action is None or request.user.has_action(action):
                asked = reauthentication_response(request)
                if asked is not None:
                    return asked
            return view(request, *args, **kwargs)

        wrapper.reauthentication = True
        return wrapper

    return decorator
