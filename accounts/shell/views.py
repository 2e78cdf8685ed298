from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_GET

from accounts.forms import ConsoleAuthenticationForm
from accounts.security.mfa import mfa_required, session_verified
from accounts.selectors import directory_summary, subscriptions_with_usage
from accounts.shell.access import console_view
from accounts.shell.home import home_cards_for


class LoginView(auth_views.LoginView):
    """The password; then, for admins who need one, the second factor
    (accounts.security): the code page, or setting up an authenticator app."""

    template_name = "accounts/login.html"
    authentication_form = ConsoleAuthenticationForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if mfa_required(self.request.user) and not session_verified(self.request):
            return f"{reverse('accounts:second_factor')}?{urlencode({'next': url})}"
        return url


@require_GET
@console_view()
def home(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    context = {
        "summary": directory_summary(tenant=tenant),
        "subscriptions": list(subscriptions_with_usage(tenant=tenant)),
        # What the apps built on the shell show on Home (accounts.shell.home).
        "home_cards": home_cards_for(request),
    }
    return render(request, "accounts/home.html", context)


# Error pages: the shell's templates (templates/404.html, 500.html) for people, JSON for
# the APIs under /api/, whose callers are programs.
API_PREFIX = "/api/"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"error": {"code": "not_found", "message": "No API endpoint at this address."}},
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"error": {"code": "server_error", "message": "The server failed; try again."}},
            status=500,
        )
    return defaults.server_error(request)
