"""Billing > Bills & payments: a statement per month with a funding, every payment
attempt, and each statement as a printable page and a CSV download. Read-only."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.shell.listing import query_prefix, query_with
from accounts.shell.rendering import is_partial_request, render_page
from credits.billing.selectors.bills import (
    paid_with,
    payment_attempts,
    statement_lines,
    statements,
)
from credits.common.dates import month_parse
from credits.common.money import currency_decimals

STATEMENTS_PER_PAGE = 12  # months
ATTEMPTS_PER_PAGE = 20
PAGE_TEMPLATE = "credits/billing/bills.html"
# Regions an htmx request may ask for, by their element id.
PAGE_PARTIALS = {"bills-statements": "statements", "bills-attempts": "attempts"}
CSV_HEADER = ["Date", "Order", "Description", "Payment method", "Amount", "Currency"]


@require_GET
@console_view(Action.VIEW_BILLING)
def bills(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    statement_page = Paginator(statements(tenant), STATEMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    attempt_page = Paginator(payment_attempts(tenant), ATTEMPTS_PER_PAGE).get_page(
        request.GET.get("attempts_page")
    )
    context = {
        "currency": tenant.currency,
        "statement_page": statement_page,
        "statements": statement_page.object_list,
        "statements_query": query_prefix(query_with(request)),
        "attempt_page": attempt_page,
        "attempts": [(order, paid_with(order)) for order in attempt_page.object_list],
        "attempts_query": query_prefix(query_with(request, page_param="attempts_page")),
    }
    partial = PAGE_PARTIALS.get(request.htmx.target or "") if is_partial_request(request) else None
    return render_page(request, PAGE_TEMPLATE, partial, context)


def _statement(request: HttpRequest, month_text: str):
    """The month and its fundings; 404 for a malformed month or one without funding
    (another tenant's months are simply not there)."""
    month = month_parse(month_text)
    if month is None:
        raise Http404
    lines = [(order, paid_with(order)) for order in statement_lines(request.tenant, month)]
    if not lines:
        raise Http404
    total = sum((order.amount for order, _method in lines), Decimal(0))
    return month, lines, total


@require_GET
@console_view(Action.VIEW_BILLING)
def bill_detail(request: HttpRequest, month: str) -> HttpResponse:
    tenant = request.tenant
    when, lines, total = _statement(request, month)
    context = {
        "tenant": tenant,
        "currency": tenant.currency,
        "month": when,
        "month_key": f"{when:%Y-%m}",
        "lines": lines,
        "total": total,
    }
    return render_page(request, "credits/billing/bill_detail.html", "statement", context)


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@require_GET
@console_view(Action.VIEW_BILLING)
def bill_download(request: HttpRequest, month: str) -> HttpResponse:
    tenant = request.tenant
    when, lines, _total = _statement(request, month)
    places = Decimal(1).scaleb(-currency_decimals(tenant.currency))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="communications-credits-{tenant.slug}-{when:%Y-%m}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for order, method in lines:
        writer.writerow(
            [
                f"{order.completed_at.astimezone(dt.UTC):%Y-%m-%d}",
                order.number,
                _cell(_("Communications Credits · %(kind)s") % {"kind": order.get_kind_display()}),
                _cell(method),
                f"{order.amount.quantize(places)}",
                order.currency,
            ]
        )
    return response
