"""The Transactions of the Communications Credits page: the filter form and keyset pages
the page shows (``transactions_context``), and "Export CSV" of the filtered entries.

The export (README, "Transactions") is streamed row by row, oldest first, under the
English header ``EXPORT_HEADER``; times are ISO 8601 UTC, amounts the ledger's exact
amounts, text cells formula-safe (``accounts.spreadsheets.cell_neutralize``), and, like
every export, it is never stored by a browser or proxy cache.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import Action
from accounts.shell.access import console_view
from accounts.spreadsheets import cell_neutralize
from credits.billing.filters import TransactionFilterForm
from credits.billing.selectors.transactions import (
    EXPORT_HEADER,
    Cursor,
    transactions_export_rows,
    transactions_page,
)
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.selectors import credit_account_for_tenant

FILTER_FIELDS = ("type", "start", "end")
OLDER, NEWER = "older", "newer"


def transactions_form(request: HttpRequest) -> TransactionFilterForm:
    """The filter form, bound when the query string names a filter."""
    tenant = request.tenant
    zone = tenant.time_zone or "UTC"
    today = timezone.now().astimezone(ZoneInfo(zone)).date()
    bound = any(name in request.GET for name in FILTER_FIELDS)
    return TransactionFilterForm(
        request.GET if bound else None, time_zone=zone, today=today
    )


def filter_query(request: HttpRequest) -> str:
    """The request's filters as a query string (no cursor)."""
    return urlencode(
        [(name, request.GET[name][:20]) for name in FILTER_FIELDS if request.GET.get(name)]
    )


def _with(query: str, **extra: str) -> str:
    more = urlencode(extra)
    return "&".join(part for part in (query, more) if part)


def transactions_context(request: HttpRequest, account: CreditAccount) -> dict:
    """What the page's Transactions partial needs: the form, the page of entries and the
    links (Newest, Newer, Older, Export CSV) keeping the filters."""
    form = transactions_form(request)
    page = transactions_page(
        account, form.filters(),
        older=Cursor.parse(request.GET.get(OLDER)),
        newer=Cursor.parse(request.GET.get(NEWER)),
    )
    query = filter_query(request)
    base = reverse("credits:credits_subscription")
    export = reverse("credits:credits_transactions_csv")
    return {
        "transactions_form": form,
        "transactions_filtered": form.active,
        "transactions_page": page,
        "entries": page.entries,
        "transactions_newest_url": f"{base}?{query}" if query else base,
        "transactions_newer_url": (
            f"{base}?{_with(query, **{NEWER: str(page.newer)})}" if page.newer else ""
        ),
        "transactions_older_url": (
            f"{base}?{_with(query, **{OLDER: str(page.older)})}" if page.older else ""
        ),
        "transactions_export_url": f"{export}?{query}" if query else export,
    }


class _Echo:
    """A file-like object whose ``write`` hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def _iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def export_line(entry: LedgerEntry, currency: str) -> list[str]:
    """One CSV row: numbers as numbers, every text cell formula-safe."""
    order = getattr(entry, "order", None)  # the order that paid for a funding, if any
    return [
        str(entry.pk),
        _iso_utc(entry.created_at),
        entry.kind,
        cell_neutralize(entry.memo),
        f"{entry.amount}",
        f"{entry.balance_after}",
        cell_neutralize(currency),
        cell_neutralize(order.number if order is not None else ""),
        str(entry.reverses_id or ""),
        cell_neutralize(entry.acting_user.username if entry.acting_user_id else ""),
    ]


def export_lines(entries: Iterable[LedgerEntry], currency: str) -> Iterator[str]:
    """The header, then one CSV line per entry, produced as the entries are read."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(EXPORT_HEADER)
    for entry in entries:
        yield writer.writerow(export_line(entry, currency))


@require_GET
@console_view(Action.VIEW_BILLING)
def credits_transactions_csv(request: HttpRequest) -> HttpResponse:
    """Export CSV: the transactions the page's filters keep; invalid filters send the
    admin back to the page, which says why."""
    tenant = request.tenant
    account = credit_account_for_tenant(tenant)
    if account is None:
        raise Http404(_("Communications Credits are not set up."))
    form = transactions_form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Fix the filters before exporting."))
        page = reverse("credits:credits_subscription")
        return redirect(f"{page}?{filter_query(request)}#credits-transactions")
    filters = form.filters()
    rows = transactions_export_rows(account, filters)
    chosen = form.cleaned_data if form.is_bound else {}
    name = f"transactions-{tenant.slug}"
    for label, key in (("from", "start"), ("to", "end")):
        if chosen.get(key):
            name += f"-{label}-{chosen[key].isoformat()}"
    response = StreamingHttpResponse(
        export_lines(rows, account.currency), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "no-store"
    return response
