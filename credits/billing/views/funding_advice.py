"""The Funding advice card on its own, for pages that load it after they are shown (the
PSTN usage report), so their own queries stay as they are. Read-only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from credits.billing.selectors.funding_advice import funding_advice_context


@require_GET
@console_view(Action.USE_CONSOLE)
def funding_advice_card(request: HttpRequest) -> HttpResponse:
    """The card for the admins who can act on it (change the recharge settings); 403
    for others."""
    user = request.user
    if not user.has_action(Action.MANAGE_BILLING):
        raise PermissionDenied
    context = funding_advice_context(tenant=request.tenant, user=user)
    return render(request, "credits/billing/includes/funding_advice.html", context)
