"""The Communications Credits page's Transactions: keyset pages (Newer, Older), filters by
type and by days in the tenant's time zone, and Export CSV of the filtered entries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole
from credits.billing.selectors.transactions import (
    EXPORT_HEADER,
    Cursor,
    TransactionFilter,
    transactions_page,
)
from credits.ledger import services as ledger
from credits.models import FundSource
from tests.accounts.factories import AdminFactory
from tests.credits.factories import charge, charges, fund, next_key
from tests.credits.payments import SUBSCRIPTION_URL
from tests.html_text import parse

pytestmark = pytest.mark.django_db

EXPORT_URL = "/billing/products/communications-credits/transactions.csv"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def page_of(client, url=SUBSCRIPTION_URL, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200
    return parse(response.content)


def entry_ids(page) -> list[int]:
    if not page.has_id("transactions-table"):
        return []
    rows = page.by_id("transactions-table").find_all("tr")
    return [int(row.attrs["id"].removeprefix("entry-")) for row in rows if "id" in row.attrs]


def ledger_order(account) -> list[int]:
    """Every entry id, newest first by (created_at, id): the order pages must follow."""
    return list(account.entries.order_by("-created_at", "-id").values_list("pk", flat=True))


def history_with_ties(account, *, groups: int, per_group: int) -> None:
    """A funding, then ``groups`` moments each holding ``per_group`` charges posted at the
    very same time (so only the id orders them)."""
    fund(account, "1000", at=T0)
    for group in range(groups):
        moment = T0 + timedelta(minutes=group + 1)
        for n in range(per_group):
            charge(account, "0.25", at=moment, memo=f"call {group}-{n}")


def export_rows(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


# --- keyset pages ----------------------------------------------------------------------


def test_older_pages_show_every_entry_once_among_equal_timestamps(account):
    history_with_ties(account, groups=9, per_group=5)  # 46 entries, ties of 5
    seen, older, pages = [], None, 0
    while True:
        page = transactions_page(account, older=older, size=7)
        seen += [entry.pk for entry in page.entries]
        pages += 1
        if page.older is None:
            break
        older = page.older
    assert seen == ledger_order(account)
    assert pages == 7  # 6 full pages and 4 entries


def test_newer_pages_walk_back_to_the_same_pages(account):
    history_with_ties(account, groups=6, per_group=4)  # 25 entries
    forward, older = [], None
    while True:
        page = transactions_page(account, older=older, size=6)
        forward.append([entry.pk for entry in page.entries])
        if page.older is None:
            break
        older = page.older
    last = transactions_page(account, older=Cursor.parse(str(older)), size=6)
    backward, newer = [], last.newer
    while newer is not None:
        page = transactions_page(account, newer=newer, size=6)
        backward.append([entry.pk for entry in page.entries])
        newer = page.newer
    # "Newer" from the last page gives back each full page; the newest page ends it.
    assert backward == forward[-2::-1]
    assert page.first and page.newer is None


def test_newer_near_the_top_shows_the_full_newest_page(account):
    history_with_ties(account, groups=3, per_group=5)
    newest = transactions_page(account, size=5)
    second = transactions_page(account, older=newest.older, size=5)
    # A cursor two entries below the top: "Newer" shows the newest page, not 2 entries.
    near_top = Cursor.of(newest.entries[2])
    again = transactions_page(account, newer=near_top, size=5)
    assert [e.pk for e in again.entries] == [e.pk for e in newest.entries]
    assert again.newer is None and again.older == newest.older
    assert second.newer == Cursor.of(second.entries[0])


def test_entries_posted_while_paging_do_not_shift_the_older_pages(account):
    history_with_ties(account, groups=4, per_group=5)
    first = transactions_page(account, size=5)
    charge(account, "1", memo="new call")
    second = transactions_page(account, older=first.older, size=5)
    order = ledger_order(account)
    # the new entry is first now, yet page 2 starts right after page 1's last entry
    start = order.index(first.entries[-1].pk) + 1
    assert [e.pk for e in second.entries] == order[start:start + 5]


@pytest.mark.parametrize(
    "text",
    ["", "x", "2026-03-10T12:00:00Z", "2026-03-10T12:00:00Z~", "2026-03-10T12:00:00Z~-3",
     "2026-03-10T12:00:00Z~1e3", "2026-13-10T12:00:00Z~3", "2026-03-10T12:00:00~3",
     "2026-03-10T12:00:00Z~" + "9" * 40, "2026-03-10T12:00:00Z~٣", None],
)
def test_a_malformed_cursor_is_ignored(text):
    assert Cursor.parse(text) is None


def test_a_cursor_reads_back_what_it_wrote():
    cursor = Cursor(created_at=T0 + timedelta(microseconds=123), id=42)
    assert str(cursor) == "2026-03-10T12:00:00.000123Z~42"
    assert Cursor.parse(str(cursor)) == cursor


def test_the_page_links_older_and_newer_pages_swapped_in_place(billing_client, account):
    history_with_ties(account, groups=5, per_group=5)  # 26 entries
    page = page_of(billing_client)
    first = entry_ids(page)
    assert len(first) == 20 and not page.has_id("transactions-newer")
    older = page.by_id("transactions-older").attrs["href"]
    assert older.startswith(f"{SUBSCRIPTION_URL}?older=")
    second = billing_client.get(
        older, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="credits-transactions"
    )
    assert b"<html" not in second.content and b"credits-consumption" not in second.content
    second = parse(second.content)
    assert first + entry_ids(second) == ledger_order(account)
    assert not second.has_id("transactions-older")
    back = page_of(billing_client, second.by_id("transactions-newer").attrs["href"])
    assert entry_ids(back) == first
    assert second.by_id("transactions-newest").attrs["href"] == SUBSCRIPTION_URL


def test_a_page_without_more_entries_shows_no_pager(billing_client, account):
    fund(account, "10")
    page = page_of(billing_client)
    assert len(entry_ids(page)) == 1 and not page.has_id("transactions-pager")


def test_a_cursor_from_another_tenant_shows_only_this_tenants_entries(
    billing_client, account, other_account
):
    history_with_ties(account, groups=1, per_group=3)
    foreign = fund(other_account, "10", at=T0 + timedelta(days=1))
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?older={Cursor.of(foreign)}")
    assert entry_ids(page) == ledger_order(account)
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?newer={Cursor.of(foreign)}")
    assert entry_ids(page) == ledger_order(account)


# --- filters -----------------------------------------------------------------------------


@pytest.fixture
def mixed(account, billing_admin):
    """One entry of each kind, a day apart from 10 March 2026 (UTC noon)."""
    day = timedelta(days=1)
    entries = {
        "purchase": fund(account, "100", at=T0),
        "top_up": fund(account, "50", at=T0 + day, source=FundSource.TOP_UP),
        "recharge": fund(account, "40", at=T0 + 2 * day, source=FundSource.AUTO_RECHARGE),
        "usage": charge(account, "3.5", at=T0 + 3 * day, memo="Call to India, fixed, 2 min"),
        "adjustment": ledger.entry_adjust(
            account=account, amount=Decimal("-2"), currency="USD", memo="Duplicate call",
            idempotency_key=next_key("adj"), acting_user=billing_admin, at=T0 + 4 * day,
        ),
    }
    entries["reversal"] = ledger.entry_reverse(
        entry=entries["usage"], memo="Dropped call", idempotency_key=next_key("rev"),
        at=T0 + 5 * day,
    )
    return entries


@pytest.mark.parametrize(
    ("chosen", "kinds"),
    [
        ("usage", ["usage"]),
        ("reversal", ["reversal"]),
        ("adjustment", ["adjustment"]),
        ("purchase", ["purchase"]),
        ("funds", ["recharge", "top_up", "purchase"]),
        ("", ["reversal", "adjustment", "usage", "recharge", "top_up", "purchase"]),
    ],
)
def test_filter_by_type(billing_client, mixed, chosen, kinds):
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?type={chosen}")
    assert entry_ids(page) == [mixed[kind].pk for kind in kinds]
    assert not page.has_id("transactions-filter-errors")


def test_an_expiry_is_its_own_type(billing_client, account):
    fund(account, "30", at=T0)
    ledger.funds_expire(account=account, at=T0 + timedelta(days=400))
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?type=expiry")
    rows = page.by_id("transactions-table").table_rows()
    assert [row[1] for row in rows] == ["Expiry"]
    assert rows[0][3] == "-$30.00"


def test_the_days_are_the_tenants_both_included(billing_client, tenant, account):
    tenant.time_zone = "America/Los_Angeles"
    tenant.save()
    fund(account, "100", at=datetime(2026, 3, 1, 7, 59, tzinfo=UTC))  # 28 Feb, 23:59 there
    first = charge(account, "1", at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))  # 1 March, 00:00
    last = charge(account, "1", at=datetime(2026, 3, 3, 7, 59, tzinfo=UTC))  # 2 March, 23:59
    charge(account, "1", at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # 3 March, 00:00
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?start=2026-03-01&end=2026-03-02")
    assert entry_ids(page) == [last.pk, first.pk]
    assert "America/Los_Angeles" in page.by_id("transactions-filters").text
    # the shown times are Los Angeles's too
    rows = page.by_id("transactions-table").table_rows()
    assert rows[0][0] == "Mar 2, 2026, 23:59 PST"


def test_either_day_may_be_left_open(billing_client, mixed):
    since = page_of(billing_client, f"{SUBSCRIPTION_URL}?start=2026-03-14")
    assert entry_ids(since) == [mixed["reversal"].pk, mixed["adjustment"].pk]
    until = page_of(billing_client, f"{SUBSCRIPTION_URL}?end=2026-03-10")
    assert entry_ids(until) == [mixed["purchase"].pk]


def test_type_and_days_combine_and_pages_keep_the_filters(billing_client, account):
    fund(account, "500", at=T0)
    for n in range(25):
        charge(account, "1", at=T0 + timedelta(hours=n + 1))
    fund(account, "50", at=T0 + timedelta(days=3), source=FundSource.TOP_UP)
    query = "type=usage&start=2026-03-10&end=2026-03-11"
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?{query}")
    older = page.by_id("transactions-older").attrs["href"]
    assert older.startswith(f"{SUBSCRIPTION_URL}?{query}&older=")
    assert page.by_id("transactions-export").attrs["href"] == f"{EXPORT_URL}?{query}"
    second = page_of(billing_client, older)
    shown = entry_ids(page) + entry_ids(second)
    expected = list(account.entries.filter(kind="usage", created_at__lt=T0 + timedelta(
        hours=36)).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert shown == expected and len(shown) == 25


def test_no_entry_matching_says_so(billing_client, mixed):
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?type=expiry")
    assert page.by_id("transactions-empty").text == "No transactions match these filters."


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2026-03-12&end=2026-03-11", "end",
         "The last day must be on or after the first day."),
        ("start=2026-02-30", "start", "Enter a valid date."),
        ("start=yesterday", "start", "Enter a valid date."),
        ("end=12", "end", "Enter a valid date."),
        ("start=-2026-03-01", "start", "Enter a valid date."),
        ("start=1999-12-31", "start", "Enter a day on or after 2000-01-01."),
        ("end=9999-12-31", "end", "Enter a day on or before today"),
        ("start=0001-01-01", "start", "Enter a day on or after 2000-01-01."),
        ("type=refund", "type",
         "Select a valid choice. refund is not one of the available choices."),
        ("type=usage&type=", "type", None),  # the last value wins: no type
    ],
)
def test_bad_filters_are_explained_and_not_applied(billing_client, mixed, query, field, message):
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?{query}")
    everything = ledger_order(mixed["purchase"].account)
    if message is None:
        assert entry_ids(page) == everything
        return
    error = page.by_id(f"transactions-{field}-error").text
    assert error.startswith(message)
    assert page.by_id("transactions-filter-errors").text == (
        "A filter that is not valid is not applied."
    )
    assert "is-invalid" in page.by_id(f"transactions-{field}").attrs["class"]
    assert entry_ids(page) == everything


def test_a_bad_day_still_applies_the_type(billing_client, mixed):
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?type=usage&start=nope")
    assert entry_ids(page) == [mixed["usage"].pk]
    assert page.has_id("transactions-start-error")


def test_an_overlong_value_is_refused_not_echoed_whole(billing_client, mixed):
    page = page_of(billing_client, f"{SUBSCRIPTION_URL}?start={'9' * 5000}")
    assert page.has_id("transactions-start-error")


def test_the_filter_form_swaps_only_the_transactions(billing_client, mixed):
    response = billing_client.get(
        f"{SUBSCRIPTION_URL}?type=usage", HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="credits-transactions",
    )
    assert b"credits-consumption" not in response.content
    page = parse(response.content)
    assert entry_ids(page) == [mixed["usage"].pk]
    form = page.by_id("transactions-filters")
    assert form.attrs["hx-target"] == "#credits-transactions"
    assert form.attrs["method"] == "get"


# --- Export CSV ------------------------------------------------------------------------------


def test_export_writes_the_header_and_every_entry_oldest_first(billing_client, mixed):
    response = billing_client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"].split(", ")
    assert response["Content-Disposition"] == 'attachment; filename="transactions-contoso.csv"'
    rows = export_rows(response)
    assert tuple(rows[0]) == EXPORT_HEADER == (
        "Entry ID", "Posted At", "Type", "Description", "Amount", "Balance After", "Currency",
        "Order", "Reverses Entry", "By",
    )
    body = {row[2]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [row[2] for row in rows[1:]] == [
        "purchase", "top_up", "recharge", "usage", "adjustment", "reversal",
    ]
    usage = body["usage"]
    assert usage["Posted At"] == "2026-03-13T12:00:00Z"
    assert usage["Amount"] == "-3.5000" and usage["Balance After"] == "186.5000"
    assert usage["Description"] == "Call to India, fixed, 2 min" and usage["Currency"] == "USD"
    assert body["reversal"]["Reverses Entry"] == str(mixed["usage"].pk)
    assert body["reversal"]["Amount"] == "3.5000"
    assert body["adjustment"]["By"] == "billing@contoso.example"
    assert body["purchase"]["Entry ID"] == str(mixed["purchase"].pk)


def test_export_cells_are_formula_safe(billing_client, account):
    fund(account, "10", at=T0)
    charge(account, "1", at=T0 + timedelta(hours=1), memo='=HYPERLINK("http://evil.example")')
    charge(account, "1", at=T0 + timedelta(hours=2), memo="@SUM(A1:A2)")
    charge(account, "1", at=T0 + timedelta(hours=3), memo="+1 425 555 0100")
    rows = export_rows(billing_client.get(EXPORT_URL))
    memos = [row[3] for row in rows[2:]]
    assert memos == ["'=HYPERLINK(\"http://evil.example\")", "'@SUM(A1:A2)", "+1 425 555 0100"]
    assert [row[4] for row in rows[2:]] == ["-1.0000"] * 3  # numbers stay numbers


def test_export_keeps_the_filters(billing_client, mixed):
    response = billing_client.get(f"{EXPORT_URL}?type=funds&start=2026-03-11&end=2026-03-12")
    assert response["Content-Disposition"] == (
        'attachment; filename="transactions-contoso-from-2026-03-11-to-2026-03-12.csv"'
    )
    rows = export_rows(response)
    assert [row[0] for row in rows[1:]] == [str(mixed["top_up"].pk), str(mixed["recharge"].pk)]


def test_export_with_bad_filters_sends_back_to_the_page(billing_client, mixed):
    response = billing_client.get(f"{EXPORT_URL}?start=2026-03-12&end=2026-03-11", follow=True)
    page = parse(response.content)
    assert response.redirect_chain[0][0] == (
        f"{SUBSCRIPTION_URL}?start=2026-03-12&end=2026-03-11#credits-transactions"
    )
    assert "Fix the filters before exporting." in page.text
    assert page.has_id("transactions-end-error")


def test_export_without_credits_is_not_found(billing_client):
    assert billing_client.get(EXPORT_URL).status_code == 404


def test_export_of_another_tenant_admin_holds_only_their_own_entries(
    client, mixed, other_account, other_tenant_admin
):
    fund(other_account, "25", at=T0)
    client.force_login(other_tenant_admin)
    rows = export_rows(client.get(EXPORT_URL))
    assert [(row[2], row[4], row[6]) for row in rows[1:]] == [("purchase", "25.0000", "GBP")]


def test_a_global_reader_may_export(client, tenant, mixed):
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    assert len(export_rows(client.get(EXPORT_URL))) == 7


def test_a_reports_reader_may_not_export(client, reports_reader, mixed):
    client.force_login(reports_reader)
    assert client.get(EXPORT_URL).status_code == 403


# --- query counts ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def _grow(account, count: int) -> None:
    last = account.entries.order_by("-id").first()
    start = last.created_at if last else T0
    fund(account, "1000", at=start)
    charges(account, [("0.01", start + timedelta(seconds=n // 3)) for n in range(count)])


@pytest.mark.parametrize(
    "query",
    ["", "?type=usage", "?start=2026-03-10&end=2026-03-20",
     "?older=2030-01-01T00:00:00Z~999999999"],
)
def test_transactions_queries_are_the_same_for_3_and_300_entries(
    billing_client, account, query, django_assert_max_num_queries
):
    _grow(account, 2)
    few = _queries(billing_client, f"{SUBSCRIPTION_URL}{query}")
    _grow(account, 298)
    with django_assert_max_num_queries(few):
        assert entry_ids(page_of(billing_client, f"{SUBSCRIPTION_URL}{query}"))
    assert _queries(billing_client, f"{SUBSCRIPTION_URL}{query}") == few


def test_an_older_page_costs_what_the_first_does(billing_client, account):
    _grow(account, 300)
    first = page_of(billing_client)
    older = first.by_id("transactions-older").attrs["href"]
    assert _queries(billing_client, older) == _queries(billing_client, SUBSCRIPTION_URL)


def test_the_page_reads_entries_without_counting_them(billing_client, account):
    _grow(account, 30)
    billing_client.get(SUBSCRIPTION_URL)
    with CaptureQueriesContext(connection) as captured:
        billing_client.get(SUBSCRIPTION_URL)
    entry_reads = [q["sql"] for q in captured if 'FROM "credits_ledgerentry"' in q["sql"]
                   and "COUNT(" in q["sql"].upper()]
    assert entry_reads == []


def test_export_queries_are_the_same_for_3_and_300_entries(billing_client, account):
    _grow(account, 2)
    few = _queries(billing_client, EXPORT_URL)
    _grow(account, 298)
    assert _queries(billing_client, EXPORT_URL) == few


def test_the_filter_dataclass_defaults_to_everything(account):
    fund(account, "5", at=T0)
    assert len(transactions_page(account, TransactionFilter()).entries) == 1
