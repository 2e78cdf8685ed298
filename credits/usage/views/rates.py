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
from credits.usage.services.rates import rates_are_samples

SEARCH_MAX_LENGTH = 60
TEMPLATE = "credits/usage/rates.html"


@require_GET
@console_view(Action.VIEW_BILLING)
def rates(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    today = timezone.now().date()
    rows = rates_in_effect(currency=tenant.currency, day=today, search=search)
    every = rows if not search else rates_in_effect(currency=tenant.currency, day=today)
    samples = rates_are_samples(
        currency=tenant.currency,
        prices=(
            (row.country, kind, price.per_minute, price.connection_fee, price.effective_from)
            for row in every for kind, price in row.prices.items()
        ),
    )
    context = {
        "rows": rows,
        "search": search,
        "currency": tenant.currency,
        "today": today,
        "number_types": NumberType.choices,
        "any_rates": bool(rows) or bool(search),
        "sample_rates": samples,
    }
    return render_page(request, TEMPLATE, "rates-table", context)
