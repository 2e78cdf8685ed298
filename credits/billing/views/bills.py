"""Billing > Bills & payments: a statement per month with a funding, the invoices (with
the credit line and a warning when one is overdue), every payment attempt, each
statement as a printable page and a CSV download, and each invoice as a printable page.
Read-only."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import ServiceRequestTopic
from accounts.permissions import Action
from accounts.shell.access import console_view, get_tenant_object_or_404
from accounts.shell.listing import query_prefix, query_with
from accounts.shell.rendering import is_partial_request, render_page
from accounts.spreadsheets import cell_neutralize
from credits.billing.rules import INVOICE_NET_DAYS
from credits.billing.selectors.bills import (
    paid_with,
    payment_attempts,
    statement_lines,
    statements,
)
from credits.billing.selectors.invoices import (
    credit_line_of,
    invoice_for_page,
    invoice_overdue_first,
    invoices_for_tenant,
)
from credits.common.dates import month_parse
from credits.common.money import currency_decimals

STATEMENTS_PER_PAGE = 12  # months
ATTEMPTS_PER_PAGE = 20
INVOICES_PER_PAGE = 20
PAGE_TEMPLATE = "credits/billing/bills.html"
# Regions an htmx request may ask for, by their element id.
PAGE_PARTIALS = {
    "bills-statements": "statements",
    "bills-invoices": "invoices",
    "bills-attempts": "attempts",
}
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
    invoice_page = Paginator(invoices_for_tenant(tenant), INVOICES_PER_PAGE).get_page(
        request.GET.get("invoices_page")
    )
    partial = PAGE_PARTIALS.get(request.htmx.target or "") if is_partial_request(request) else None
    whole_page = partial is None
    context = {
        "currency": tenant.currency,
        "statement_page": statement_page,
        "statements": statement_page.object_list,
        "statements_query": query_prefix(query_with(request)),
        "attempt_page": attempt_page,
        "attempts": [(order, paid_with(order)) for order in attempt_page.object_list],
        "attempts_query": query_prefix(query_with(request, page_param="attempts_page")),
        "invoice_page": invoice_page,
        "invoices": invoice_page.object_list,
        "invoices_query": query_prefix(query_with(request, page_param="invoices_page")),
        "credit_line": credit_line_of(tenant) if partial in (None, "invoices") else None,
        # The warning at the top is for the admins who can pay (and buy): the billing
        # roles. Everyone who views sees the Overdue badges.
        "overdue_invoice": (
            invoice_overdue_first(tenant)
            if whole_page and request.user.has_action(Action.MANAGE_BILLING) else None
        ),
        "invoicing_request_url": invoicing_request_url(),
        "net_days": INVOICE_NET_DAYS,
    }
    return render_page(request, PAGE_TEMPLATE, partial, context)


def invoicing_request_url() -> str:
    """Support > Service requests filled in to ask platform staff for invoicing."""
    query = urlencode(
        {
            "topic": ServiceRequestTopic.BILLING,
            "title": _("Pay Communications Credits by invoice"),
            "description": _(
                "We'd like to pay for Communications Credits by invoice (bank transfer "
                "within %(days)d days). Please approve our organization for invoicing and "
                "tell us the credit limit."
            ) % {"days": INVOICE_NET_DAYS},
        }
    )
    return f"{reverse('accounts:service_requests')}?{query}"


@require_GET
@console_view(Action.VIEW_BILLING)
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One invoice as a printable page: the organization, the order, the amount, the due
    date, the status and how to pay. Another tenant's invoice is 404."""
    invoice = get_tenant_object_or_404(request, invoice_for_page(), number=number)
    order = invoice.order
    context = {
        "tenant": request.tenant,
        "invoice": invoice,
        "order": order,
        "paid_with": paid_with(order),
        "net_days": INVOICE_NET_DAYS,
    }
    return render_page(request, "credits/billing/invoice_detail.html", "invoice", context)


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
                cell_neutralize(order.number),
                cell_neutralize(
                    _("Communications Credits · %(kind)s") % {"kind": order.get_kind_display()}
                ),
                cell_neutralize(method),
                f"{order.amount.quantize(places)}",
                cell_neutralize(order.currency),
            ]
        )
    return response
