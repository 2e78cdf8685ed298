"""The header's language menu: the choice goes in the language cookie, as Django's
``set_language`` does, and on the signed-in admin (README, "Languages and time zones"),
so their other browsers and their emails follow it. A signed-in admin can also go back to
"Browser's language" (``language=browser``): nothing stored, the cookie removed, and the
browser's Accept-Language decides again."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.services.language import user_language_set

# The menu's value for "Browser's language": not a language code, so Django's own view
# never sees it.
FOLLOW_BROWSER = "browser"


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language == FOLLOW_BROWSER:
        return _follow_browser(request)
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        # Django's view takes any language it has a catalog for (fr, de...): only the
        # console's own languages are stored; anything else just goes back.
        request.POST = request.POST.copy()
        request.POST["language"] = ""
    response = set_language(request)
    user = request.user
    if user.is_authenticated and language in codes:
        user_language_set(user=user, language=language)
    return response


def _follow_browser(request: HttpRequest) -> HttpResponse:
    """Forget the admin's choice: the next page follows the browser's Accept-Language."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    if request.user.is_authenticated:
        user_language_set(user=request.user, language="")
    return response
