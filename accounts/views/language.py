"""The header's language menu: the choice goes in the language cookie, as Django's
``set_language`` does, and on the signed-in admin (README, "Languages and time zones"),
so their other browsers and their emails follow it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.services.language import user_language_set


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
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
