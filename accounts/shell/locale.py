"""Each admin's language and each tenant's time zone (README, "Languages and time zones").

``UserLocaleMiddleware`` runs after ``LocaleMiddleware`` and the authentication: a signed-in
admin who chose a language (``User.language``) gets it on every page, whatever browser
they use; otherwise the browser's Accept-Language (or the language cookie) decides, as
``LocaleMiddleware`` found. It also shows times in the admin's tenant's time zone
(``Tenant.time_zone``) for the whole request; platform staff and anonymous visitors keep
UTC. Exports and the APIs format their own times in UTC whatever is active here.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

LANGUAGE_CODES: frozenset[str] = frozenset(code for code, _name in settings.LANGUAGES)


@lru_cache(maxsize=64)
def zone_for(name: str) -> zoneinfo.ZoneInfo:
    """The ``ZoneInfo`` of an IANA name; UTC when the name is unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def user_language(user) -> str:
    """The language an admin's pages and emails use: their choice, else the console's
    default (for emails: no browser is there to ask)."""
    language = getattr(user, "language", "") or ""
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


class UserLocaleMiddleware:
    """Activate the signed-in admin's language (when they chose one) and their tenant's
    time zone; both last until the response is finished."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = zone_for("UTC")
        if user is not None and user.is_authenticated:
            if user.language in LANGUAGE_CODES:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.tenant_id is not None:
                zone = zone_for(user.tenant.time_zone)
        with timezone.override(zone):
            return self.get_response(request)


# The console's languages by the locale names terminals use (POSIX ``ll_CC``): Simplified
# Chinese where it is written, Traditional where it is; any other ``zh`` is Simplified.
_TERMINAL_CHINESE = {"tw": "zh-hant", "hk": "zh-hant", "mo": "zh-hant", "hant": "zh-hant"}


def terminal_language(environ: Mapping[str, str]) -> str:
    """The language management commands write in: the first of ``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set, as gettext's own tools read them
    (``zh_CN.UTF-8`` → 简体中文, ``zh_TW.UTF-8`` → 繁體中文); English otherwise."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        first = value.split(":")[0].split(".")[0].split("@")[0].replace("-", "_").lower()
        language, _sep, rest = first.partition("_")
        if language != "zh":
            return "en"
        for part in rest.split("_"):
            if part in _TERMINAL_CHINESE:
                return _TERMINAL_CHINESE[part]
        return "zh-hans"
    return "en"
