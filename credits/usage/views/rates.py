"""Billing > Rates: the per-minute rates in the organization's currency, read-only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import render_page
from credits.usage.choices import NumberType
from credits.usage.selectors import rates_in_effect

SEARCH_MAX_LENGTH = 60
TEMPLATE = "credits/usage/rates.html"


@require_GET
@console_view(Action.VIEW_BILLING)
def rates(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    today = timezone.now().date()
    rows = rates_in_effect(currency=tenant.currency, day=today, search=search)
    context = {
        "rows": rows,
        "search": search,
        "currency": tenant.currency,
        "today": today,
        "number_types": NumberType.choices,
        "any_rates": bool(rows) or bool(search),
    }
    return render_page(request, TEMPLATE, "rates-table", context)
