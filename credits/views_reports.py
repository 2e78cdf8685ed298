"""Reports > PSTN usage: the calls of a date range with totals, charts and a table, and
its exports (Excel and CSV) with the same filters.

The page costs a fixed number of queries whatever the number of calls: one aggregate for
the totals (its count also feeds the paginator), one GROUP BY day and payer for the daily
chart, one GROUP BY country for the top destinations, and one LIMIT/OFFSET page. The
three sums read the per-day rollup unless a user filter or a search narrows the calls
(``usage_aggregated``), so their cost follows the days shown, not the calls.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import console_view, get_tenant_object_or_404
from accounts.listing import query_with, sort_headers
from accounts.models import User
from accounts.permissions import Action
from credits.exports import XLSX_MAX_ROWS, csv_lines, xlsx_file
from credits.forms_reports import PAID_BY_CHOICES, PstnUsageForm
from credits.selectors_advice import funding_advice_context
from credits.selectors_reports import (
    UsageSelection,
    calls_selected,
    rows_masked,
    usage_aggregated,
    usage_daily,
    usage_export_rows,
    usage_page_rows,
    usage_top_destinations,
    usage_totals,
)

PAGE_SIZE = 50
TEMPLATE = "credits/reports_pstn_usage.html"
SORTABLE = ("start_time", "user", "duration", "charge")


def _form(request: HttpRequest) -> PstnUsageForm:
    form = PstnUsageForm(request.GET or None, today=timezone.now().date())
    if form.is_bound:
        form.is_valid()
    return form


def _selection(request: HttpRequest, form: PstnUsageForm) -> tuple[UsageSelection, User | None]:
    """What the filters select; a user id of another tenant (or none) answers 404."""
    period = form.period()
    user = None
    user_id = form.value("user") or None
    if user_id is not None:
        user = get_tenant_object_or_404(request, User, pk=user_id)
    selection = UsageSelection(
        tenant=request.tenant, first=period.first, last=period.last,
        search=form.value("q"), user_id=user_id, call_type=form.value("call_type"),
        paid_by=form.value("paid_by"),
    )
    return selection, user


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = _form(request)
    selection, user = _selection(request, form)
    sort = form.sort_key()
    calls = calls_selected(selection)
    aggregated = usage_aggregated(selection)
    totals = usage_totals(aggregated)
    paginator = Paginator(usage_page_rows(calls, sort=sort), PAGE_SIZE)
    paginator.count = totals.calls  # the totals counted them: no second COUNT(*)
    page_obj = paginator.get_page(request.GET.get("page"))
    if totals.calls:
        daily = {**usage_daily(aggregated, days=selection.days), "currency": tenant.currency}
        destinations = usage_top_destinations(aggregated)
    else:
        daily, destinations = None, []
    query = query_with(request)
    export_query = query_with(request, sort=sort)
    context = {
        "form": form,
        "selection": selection,
        "filter_user": user,
        "currency": tenant.currency,
        "totals": totals,
        "page_obj": page_obj,
        "rows": rows_masked(page_obj.object_list) if totals.calls else [],
        "daily": daily,
        "destinations": destinations,
        "destinations_chart": {
            "currency": tenant.currency,
            "labels": [row["name"] or _("Not rated") for row in destinations],
            "amount": [str(row["amount"]) for row in destinations],
            "minutes": [row["minutes"] for row in destinations],
        },
        "sort": sort,
        "sort_headers": sort_headers(
            request, sort, SORTABLE, descending_first=("start_time", "duration", "charge")
        ),
        "query_without_page": f"{query}&" if query else "",
        "query_without_user": f"{without_user}&" if (without_user := query_with(request, user=None))
        else "",
        "export_query": export_query,
        "paid_by_labels": dict(PAID_BY_CHOICES),
        "filtered": bool(selection.search or selection.user_id or selection.call_type
                         or selection.paid_by),
        **funding_advice_context(tenant=tenant, user=request.user, deferred=True),
    }
    template = TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template += "#report"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _export_selection(request: HttpRequest):
    """The form and selection of an export, or a redirect to the report showing why the
    filters are not valid."""
    form = _form(request)
    if form.is_bound and form.errors:
        messages.error(request, _("Fix the filters before exporting."))
        return None, HttpResponseRedirect(f"{reverse('credits:pstn_usage')}?{query_with(request)}")
    selection, _user = _selection(request, form)
    return (form, selection), None


def _filename(selection: UsageSelection, extension: str) -> str:
    return (
        f"pstn-usage-{selection.tenant.slug}-{selection.first.isoformat()}-"
        f"{selection.last.isoformat()}.{extension}"
    )


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_csv(request: HttpRequest) -> HttpResponse:
    chosen, refusal = _export_selection(request)
    if refusal is not None:
        return refusal
    form, selection = chosen
    rows = usage_export_rows(calls_selected(selection), sort=form.sort_key())
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(selection, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_xlsx(request: HttpRequest) -> HttpResponse:
    chosen, refusal = _export_selection(request)
    if refusal is not None:
        return refusal
    form, selection = chosen
    calls = calls_selected(selection)
    if calls.count() > XLSX_MAX_ROWS:
        messages.error(
            request,
            _("More calls than an Excel sheet holds: export them as CSV, or choose a "
              "shorter range."),
        )
        return HttpResponseRedirect(f"{reverse('credits:pstn_usage')}?{query_with(request)}")
    handle = xlsx_file(usage_export_rows(calls, sort=form.sort_key()))
    response = FileResponse(
        handle, as_attachment=True, filename=_filename(selection, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    return response


__all__ = ["pstn_usage", "pstn_usage_csv", "pstn_usage_xlsx"]
