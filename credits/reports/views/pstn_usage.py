"""Reports > PSTN usage: the calls of a date range with totals, charts and a table, and
its exports with the same filters: CSV streamed, Excel written in the background
(``credits.reports.services``) while a progress panel polls its status.

The page costs a fixed number of queries whatever the number of calls: the sums
(``usage_summed``: the totals, whose count also feeds the paginator, the daily chart by day
and payer, and the top destinations by country) and one LIMIT/OFFSET page. The sums read
the per-day rollup unless a user filter, a search or the restricted filter narrows the
calls (``usage_aggregated``), so their cost follows the days shown, not the calls; from the
rollup on PostgreSQL they are one query (grouping sets), otherwise three (one when the
range has no calls).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.permissions import Action
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.listing import query_with, sort_headers
from accounts.shell.rendering import render_page
from credits.billing.selectors.funding_advice import funding_advice_context
from credits.exceptions import ExportRefused
from credits.reports.choices import PAID_BY_CHOICES
from credits.reports.forms import PstnUsageForm
from credits.reports.models import ReportExport
from credits.reports.selectors.pstn_usage import (
    UsageSelection,
    calls_selected,
    rows_masked,
    usage_aggregated,
    usage_export_rows,
    usage_page_rows,
    usage_summed,
)
from credits.reports.services import report_export_open, report_export_start
from credits.reports.writers import csv_lines, export_filename

PAGE_SIZE = 50
TEMPLATE = "credits/reports/pstn_usage.html"
EXPORT_TEMPLATE = "credits/reports/export_detail.html"
RECENT_EXPORTS = 10
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
        paid_by=form.value("paid_by"), restricted=bool(form.value("restricted")),
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
    totals, daily, destinations = usage_summed(
        usage_aggregated(selection, calls=calls), days=selection.days
    )
    paginator = Paginator(usage_page_rows(calls, sort=sort), PAGE_SIZE)
    paginator.count = totals.calls  # the totals counted them: no second COUNT(*)
    page_obj = paginator.get_page(request.GET.get("page"))
    if totals.calls:
        daily = {**daily, "currency": tenant.currency}
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
                         or selection.paid_by or selection.restricted),
        **funding_advice_context(tenant=tenant, user=request.user, deferred=True),
    }
    return render_page(request, TEMPLATE, "report", context)


def _export_selection(request: HttpRequest):
    """The form and selection of an export, or a redirect to the report showing why the
    filters are not valid."""
    form = _form(request)
    if form.is_bound and form.errors:
        messages.error(request, _("Fix the filters before exporting."))
        return None, HttpResponseRedirect(f"{reverse('credits:pstn_usage')}?{query_with(request)}")
    selection, _user = _selection(request, form)
    return (form, selection), None


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_csv(request: HttpRequest) -> HttpResponse:
    chosen, refusal = _export_selection(request)
    if refusal is not None:
        return refusal
    form, selection = chosen
    rows = usage_export_rows(calls_selected(selection), sort=form.sort_key())
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(selection, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_export_start(request: HttpRequest) -> HttpResponse:
    """Start an Excel export of the report's filters (posted as ``query``) in the
    background, then show its progress."""
    query = QueryDict(request.POST.get("query", "")).urlencode()
    try:
        export = report_export_start(tenant=request.tenant, user=request.user, query=query)
    except ExportRefused as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(f"{reverse('credits:pstn_usage')}?{query}")
    url = reverse("credits:report_export_detail", args=[export.pk])
    if request.htmx:
        export.refresh_from_db()
        response = _export_page(request, export)
        response["HX-Push-Url"] = url
        return response
    return HttpResponseRedirect(url)


def _export_page(request: HttpRequest, export: ReportExport) -> HttpResponse:
    context = {
        "export": export,
        # The others: this one's state is shown (and refreshed) above.
        "recent": ReportExport.objects.for_tenant(request.tenant)
        .requested_by(request.user)
        .exclude(pk=export.pk)[:RECENT_EXPORTS],
        "report_url": f"{reverse('credits:pstn_usage')}?{export.query}",
    }
    response = render_page(request, EXPORT_TEMPLATE, "export-status", context)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """An export's progress (htmx polls the status panel while it runs), its download
    link or why it failed, and the admin's recent exports."""
    export = get_tenant_object_or_404(request, ReportExport, pk=export_id)
    return _export_page(request, export)


@require_GET
@console_view(Action.VIEW_USAGE_REPORTS)
def pstn_usage_export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    export = get_tenant_object_or_404(request, ReportExport, pk=export_id)
    workbook = report_export_open(export)  # streamed from the export storage
    if workbook is None:
        raise Http404
    response = FileResponse(
        workbook, as_attachment=True, filename=export.filename,
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


__all__ = [
    "pstn_usage",
    "pstn_usage_csv",
    "pstn_usage_export_detail",
    "pstn_usage_export_download",
    "pstn_usage_export_start",
]
