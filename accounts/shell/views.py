from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.forms import ConsoleAuthenticationForm
from accounts.selectors import directory_summary, subscriptions_with_usage
from accounts.shell.access import console_view
from accounts.shell.home import home_cards_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ConsoleAuthenticationForm
    redirect_authenticated_user = True


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
