"""Reports > Minute pools: for a month, each Calling Plan and Audio Conferencing pool's
size, minutes used and minutes available. Read-only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.rendering import render_page
from credits.common.dates import month_of, month_parse, recent_months
from credits.reports.selectors.minute_pools import pool_usage

TEMPLATE = "credits/reports/minute_pools.html"
MONTHS_OFFERED = 12


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def minute_pools(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    this_month = month_of(timezone.now())
    asked = request.GET.get("month", "").strip()
    month = month_parse(asked) if asked else this_month
    month_error = ""
    if month is None:
        month = this_month
        month_error = _("“%(month)s” is not a month (use YYYY-MM); showing %(shown)s.") % {
            "month": asked[:20], "shown": f"{this_month:%Y-%m}",
        }
    months = recent_months(this_month, MONTHS_OFFERED)
    if month not in months:
        months = sorted({*months, month}, reverse=True)
    pools = pool_usage(tenant=tenant, month=month)
    context = {
        "month": month,
        "month_key": f"{month:%Y-%m}",
        "months": [(f"{m:%Y-%m}", m) for m in months],
        "month_error": month_error,
        "is_current": month == this_month,
        "pools": pools,
        "totals": {
            "size": sum(p.size for p in pools),
            "used": sum(p.used for p in pools),
            "available": sum(p.available for p in pools),
        },
    }
    return render_page(request, TEMPLATE, "pools-report", context)
