from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.forms import ConsoleAuthenticationForm
from accounts.permissions import Action
from accounts.selectors import directory_summary, subscriptions_with_usage
from accounts.shell.access import console_view
from credits.billing.selectors.subscription import credits_home_card


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
        # The balance card, for the roles that may see billing (two queries).
        "credits_card": credits_home_card(tenant=tenant)
        if request.user.has_action(Action.VIEW_BILLING)
        else None,
    }
    return render(request, "accounts/home.html", context)
