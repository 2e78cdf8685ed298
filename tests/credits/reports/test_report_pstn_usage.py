"""Reports > PSTN usage: range, filters, totals, charts, masked table, sorting, pages,
roles, tenant isolation, htmx, bad input, and a query count that does not grow."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole
from tests.accounts.factories import AdminFactory, UserFactory
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.calls import (
    DE_MOBILE,
    GB_MOBILE,
    US_FIXED,
    import_rows,
    record,
)
from tests.credits.report_data import URL, days_ago, today
from tests.html_text import parse

# session, user, roles, tenant + the report's four at most: totals, daily, top 10 (one
# query on PostgreSQL), page
PAGE_QUERIES = 8

# Fixtures shared with the other report tests.
usage = reports.usage
test_rates = calls.test_rates



def table(response) -> list[list[str]]:
    return parse(response.content).by_id("usage-table").table_rows()


def usage_ids(response) -> list[str]:
    page = parse(response.content)
    return [row.attrs["data-usage-id"] for row in page.by_id("usage-table").find_all("tr")
            if "data-usage-id" in row.attrs]


def totals(response) -> dict[str, str]:
    figures = parse(response.content).by_id("usage-totals")
    return {key: figures.find_all("div", data_total=key)[0].text
            for key in ("calls", "minutes", "amount")}


def json_data(response, element_id: str):
    page = parse(response.content)
    script = page.by_id(element_id)
    return json.loads("".join(child for child in script.children if isinstance(child, str)))


def test_reports_reader_sees_the_last_7_days_with_totals(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL)

    assert response.status_code == 200
    assert totals(response) == {"calls": "5", "minutes": "18", "amount": "$0.61"}
    rows = usage["rows"]
    # newest first; the call of 20 days ago is outside the default range
    assert usage_ids(response) == [rows[key]["UsageId"] for key in
                                   ("gb_mobile", "pool", "gb_fixed", "de_mobile", "inbound")]
    period = parse(response.content).by_id("usage-period").text
    assert "(7 days, UTC)" in period


def test_28_days_includes_older_calls(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL, {"range": "28"})
    assert totals(response) == {"calls": "6", "minutes": "19", "amount": "$0.70"}
    assert "(28 days, UTC)" in parse(response.content).by_id("usage-period").text


def test_custom_range_selects_whole_utc_days(client, reports_reader, usage):
    client.force_login(reports_reader)
    day = (today() - timedelta(days=3)).isoformat()
    response = client.get(URL, {"range": "custom", "start": day, "end": day})
    rows = usage["rows"]
    assert usage_ids(response) == [rows["de_mobile"]["UsageId"], rows["inbound"]["UsageId"]]
    assert totals(response) == {"calls": "2", "minutes": "12", "amount": "$0.25"}
    assert "(1 day, UTC)" in parse(response.content).by_id("usage-period").text


def test_the_table_shows_the_reports_columns(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL, {"call_type": "user_out", "paid_by": "MCOPSTNPP"})
    head = parse(response.content).by_id("usage-table").find_all("thead")[0].text
    for column in ("Start time (UTC)", "User", "Call type", "Caller ID", "Destination number",
                   "Destination dialed", "Domestic/International", "Duration", "Charge",
                   "Currency", "Paid by"):
        assert column in head
    first = table(response)[0]
    start = days_ago(1, 11)
    assert first == [
        start.strftime("%Y-%m-%d %H:%M:%S"), "Cy cy@contoso.example", "user_out", "—",
        GB_MOBILE, "United Kingdom International", "2:30", "$0.31", "USD",
        "Credits",
    ]


def test_on_screen_external_numbers_are_masked(client, reports_reader, usage):
    client.force_login(reports_reader)
    page = parse(client.get(URL).content)
    rows = usage["rows"]
    outbound = page.find_all("tr", data_usage_id=rows["de_mobile"]["UsageId"])[0]
    assert outbound.find_all("td", data_cell="destination")[0].text == "+4915123456***"
    inbound = page.find_all("tr", data_usage_id=rows["inbound"]["UsageId"])[0]
    assert inbound.find_all("td", data_cell="caller")[0].text == "+4930123***"
    assert inbound.find_all("td", data_cell="destination")[0].text == US_FIXED  # ours
    assert DE_MOBILE not in page.by_id("usage-table").text
    assert "exports carry the full numbers" in page.by_id("usage-help").text


@pytest.mark.parametrize(("params", "expected"), [
    ({"call_type": "user_in"}, ["inbound"]),
    ({"paid_by": "MCOPSTN1"}, ["pool"]),
    ({"paid_by": "free"}, ["inbound"]),
    ({"paid_by": "MCOPSTNPP"}, ["gb_mobile", "gb_fixed", "de_mobile"]),
    ({"q": "ANA@contoso"}, ["pool", "inbound"]),
    ({"q": "cy"}, ["gb_mobile", "gb_fixed", "de_mobile"]),
    ({"q": "nobody"}, []),
])
def test_filters(client, reports_reader, usage, params, expected):
    client.force_login(reports_reader)
    response = client.get(URL, params)
    assert response.status_code == 200
    if expected:
        assert usage_ids(response) == [usage["rows"][key]["UsageId"] for key in expected]
    else:
        assert parse(response.content).by_id("usage-empty").text == (
            "No calls match these filters in this date range."
        )


def test_filter_by_user_id_of_the_tenant(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL, {"user": usage["ana"].pk})
    assert usage_ids(response) == [usage["rows"][key]["UsageId"] for key in ("pool", "inbound")]
    assert parse(response.content).by_id("usage-user-filter").text == "User: Ana"


def test_filter_by_another_tenants_user_is_404(client, reports_reader, usage, other_tenant):
    outsider = UserFactory(tenant=other_tenant)
    client.force_login(reports_reader)
    assert client.get(URL, {"user": outsider.pk}).status_code == 404
    assert client.get(URL, {"user": 987654}).status_code == 404


def test_another_tenant_sees_none_of_these_calls(client, other_tenant_admin, usage):
    client.force_login(other_tenant_admin)
    page = parse(client.get(URL, {"range": "28"}).content)
    assert page.by_id("usage-empty").text == "No calls in this date range."
    assert page.find_all("div", data_total="calls")[0].text == "0"


def test_daily_chart_splits_minutes_and_amount_by_what_paid(client, reports_reader, usage):
    client.force_login(reports_reader)
    data = json_data(client.get(URL), "usage-daily-data")
    days = [(today() - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert data["labels"] == days
    minutes = {series["key"]: series["values"] for series in data["minutes"]}
    assert minutes == {
        "MCOPSTNPP": [0, 0, 0, 2, 1, 3, 0],
        "MCOPSTN1": [0, 0, 0, 0, 0, 2, 0],
        "free": [0, 0, 0, 10, 0, 0, 0],
    }
    amount = {series["key"]: series["values"] for series in data["amount"]}
    assert amount == {"MCOPSTNPP": ["0.0000", "0.0000", "0.0000", "0.2500", "0.0500", "0.3100",
                                     "0.0000"]}
    assert data["currency"] == "USD"


def test_top_destinations_by_amount_with_minutes(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL)
    shown = parse(response.content).by_id("usage-destinations-table").table_rows()
    assert shown == [
        ["United Kingdom GB", "2", "4", "$0.36"],
        ["Germany DE", "2", "12", "$0.25"],
        ["United States US", "1", "2", "$0.00"],
    ]
    chart = json_data(response, "usage-destinations-data")
    assert chart["labels"] == ["United Kingdom", "Germany", "United States"]
    assert chart["amount"] == ["0.3600", "0.2500", "0.0000"]
    assert chart["minutes"] == [4, 12, 2]


def test_no_calls_in_range_shows_the_empty_state(client, reports_reader, db):
    client.force_login(reports_reader)
    page = parse(client.get(URL).content)
    assert page.by_id("usage-empty").text == "No calls in this date range."
    assert not page.has_id("usage-table") and not page.has_id("usage-daily-data")
    assert page.find_all("div", data_total="amount")[0].text == "$0.00"


@pytest.mark.parametrize(("sort", "expected"), [
    ("start_time", ["inbound", "de_mobile", "gb_fixed", "pool", "gb_mobile"]),
    ("-duration", ["inbound", "gb_mobile", "pool", "de_mobile", "gb_fixed"]),
    ("-charge", ["gb_mobile", "de_mobile", "gb_fixed", "pool", "inbound"]),
    ("user", ["pool", "inbound", "gb_mobile", "gb_fixed", "de_mobile"]),
])
def test_sorting(client, reports_reader, usage, sort, expected):
    client.force_login(reports_reader)
    response = client.get(URL, {"sort": sort})
    assert usage_ids(response) == [usage["rows"][key]["UsageId"] for key in expected]


def test_sort_header_links_toggle_and_keep_the_filters(client, reports_reader, usage):
    client.force_login(reports_reader)
    page = parse(client.get(URL, {"call_type": "user_out", "sort": "-charge"}).content)
    head = page.by_id("usage-table").find_all("thead")[0]
    charge = [th for th in head.find_all("th") if "Charge" in th.text][0]
    assert charge.attrs["aria-sort"] == "descending"
    assert charge.find_all("a")[0].attrs["href"] == "?call_type=user_out&sort=charge"


def test_pages_of_50(client, reports_reader, tenant, account, test_rates):
    import_rows(tenant, [record(destination=US_FIXED, call_type="user_in", caller=GB_MOBILE,
                                start=days_ago(1) - timedelta(minutes=n)) for n in range(120)])
    client.force_login(reports_reader)
    first = client.get(URL)
    assert len(table(first)) == 50
    third = client.get(URL, {"page": "3"})
    assert len(table(third)) == 20
    assert "101–120 of 120" in parse(third.content).by_id("usage-calls").text


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", ""])
def test_a_bad_page_number_falls_back(client, reports_reader, usage, page):
    client.force_login(reports_reader)
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert len(usage_ids(response)) == 5


@pytest.mark.parametrize(("params", "message"), [
    ({"range": "custom"}, "From: Enter the first day of the custom range."),
    ({"range": "custom", "start": "", "end": ""}, "To: Enter the last day of the custom range."),
    ({"range": "custom", "start": "2025-13-45", "end": "2025-01-02"},
     "From: Enter a valid date."),
    ({"range": "custom", "start": "yesterday", "end": "today"}, "To: Enter a valid date."),
    ({"range": "custom", "start": "2025-03-10", "end": "2025-03-01"},
     "From: The first day must be on or before the last day."),
    ({"range": "custom", "start": "2025-03-10", "end": "2999-01-01"},
     "To: The range cannot end after today"),
    ({"range": "custom", "start": "2020-01-01", "end": "2021-12-31"},
     "From: A custom range covers at most 366 days."),
    ({"range": "365"}, "Date range: Select a valid choice."),
])
def test_a_bad_range_says_why_and_shows_the_last_7_days(client, reports_reader, usage, params,
                                                        message):
    client.force_login(reports_reader)
    response = client.get(URL, params)
    assert response.status_code == 200
    page = parse(response.content)
    errors = page.by_id("usage-filter-errors").text
    assert message in errors and "Showing the last 7 days instead." in errors
    assert "(7 days, UTC)" in page.by_id("usage-period").text
    assert len(usage_ids(response)) == 5


def test_a_year_long_custom_range_is_accepted(client, reports_reader, usage):
    client.force_login(reports_reader)
    start = (today() - timedelta(days=365)).isoformat()
    response = client.get(URL, {"range": "custom", "start": start, "end": today().isoformat()})
    page = parse(response.content)
    assert not page.has_id("usage-filter-errors")
    assert "(366 days, UTC)" in page.by_id("usage-period").text
    assert len(usage_ids(response)) == 6


@pytest.mark.parametrize("params", [
    {"call_type": "user_sideways"}, {"paid_by": "MCOGOLD"}, {"sort": "price; drop"},
    {"user": "abc"}, {"user": "-3"}, {"q": "x" * 500},
])
def test_an_unknown_filter_value_is_reported_and_not_applied(client, reports_reader, usage,
                                                             params):
    client.force_login(reports_reader)
    response = client.get(URL, params)
    assert response.status_code == 200
    errors = parse(response.content).by_id("usage-filter-errors").text
    assert "That filter is not applied." in errors
    assert len(usage_ids(response)) == 5


def test_htmx_request_gets_only_the_report_region(client, reports_reader, usage):
    client.force_login(reports_reader)
    response = client.get(URL, {"range": "28"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="report"')
    assert "<html" not in body and 'id="usage-filters"' not in body
    assert 'id="usage-daily-data"' in body and 'id="usage-table"' in body
    assert "HX-Request" in response["Vary"]


def test_the_filters_work_without_javascript(client, reports_reader, usage):
    client.force_login(reports_reader)
    page = parse(client.get(URL, {"range": "28", "call_type": "user_in"}).content)
    form = page.by_id("usage-filters")
    assert form.attrs["method"] == "get" and form.attrs["action"] == URL
    assert page.by_id("usage-apply").attrs["type"] == "submit"
    selected = [option.attrs["value"] for option in page.by_id("usage-call-type").find_all("option")
                if "selected" in option.attrs]
    assert selected == ["user_in"]
    for element in ("usage-range", "usage-start", "usage-end", "usage-search", "usage-paid-by"):
        assert page.find_all("label", for_=element), element
    export = page.by_id("export-xlsx-form")
    assert export.attrs["method"] == "post"
    assert export.attrs["action"] == "/reports/pstn-usage/exports/"
    [query] = export.find_all("input", name="query")
    assert query.attrs["value"] == "range=28&call_type=user_in&sort=-start_time"
    assert page.by_id("export-xlsx").attrs["type"] == "submit"


@pytest.mark.parametrize("role", [
    AdminRole.GLOBAL_ADMIN, AdminRole.GLOBAL_READER, AdminRole.REPORTS_READER,
    AdminRole.TEAMS_ADMIN, AdminRole.TEAMS_COMMS_ADMIN, AdminRole.TEAMS_COMMS_SUPPORT_ENGINEER,
    AdminRole.TEAMS_COMMS_SUPPORT_SPECIALIST, AdminRole.SKYPE_ADMIN,
])
def test_report_roles_may_view(client, tenant, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 200


def test_navigation_offers_the_report_to_report_roles_only(client, reports_reader,
                                                           billing_admin):
    client.force_login(reports_reader)
    nav = parse(client.get(URL).content).by_id("console-nav")
    assert nav.hrefs().count(URL) == 1
    client.force_login(billing_admin)
    nav = parse(client.get("/").content).by_id("console-nav")
    assert URL not in nav.hrefs()


def _calls(tenant, count: int) -> None:
    import_rows(tenant, [
        record(destination=US_FIXED, call_type="user_in", caller=GB_MOBILE,
               start=days_ago(n % 7, hour=1 + n % 20) - timedelta(seconds=n))
        for n in range(count)
    ])


def test_query_count_is_the_same_with_3_and_300_calls(client, reports_reader, tenant, account,
                                                      test_rates,
                                                      django_assert_max_num_queries):
    _calls(tenant, 3)
    client.force_login(reports_reader)
    client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    _calls(tenant, 297)
    with django_assert_max_num_queries(PAGE_QUERIES), \
            CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert totals(response)["calls"] == "300"
    assert len(table(response)) == 50
    assert len(many) == len(few)
    page = [q["sql"] for q in many if "credits_callrecord" in q["sql"]]
    sums = [q["sql"] for q in many if "credits_calldaysummary" in q["sql"]]
    assert len(page) == 1 and "LIMIT" in page[0]  # one page of calls; no COUNT of its own
    # totals, daily, destinations from the per-day summaries: one query of grouping sets
    # on PostgreSQL, else three, the top 10 a LIMIT
    if connection.vendor == "postgresql":
        assert len(sums) == 1 and "GROUPING SETS" in sums[0]
    else:
        assert len(sums) == 3
        assert sum("LIMIT" in sql for sql in sums) == 1


def test_every_report_query_uses_the_tenant_start_time_range(client, reports_reader, usage):
    client.force_login(reports_reader)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "cy", "call_type": "user_out"})
    report = [q["sql"] for q in queries if "credits_callrecord" in q["sql"]
              and "WITH RECURSIVE callers" not in q["sql"]]  # PostgreSQL's callers, once
    # the sums (one grouped read on PostgreSQL, three on SQLite) and the page
    assert len(report) == (2 if connection.vendor == "postgresql" else 4)
    for sql in report:
        assert '"tenant_id" =' in sql and '"start_time" >=' in sql and '"start_time" <' in sql


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_every_report_query_is_a_range_scan_of_a_tenant_start_time_index(client, reports_reader,
                                                                         usage):
    client.force_login(reports_reader)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "cy"})  # a search: every sum reads the calls
        client.get(URL)  # no user named: the sums read the per-day summaries
    report = [q["sql"] for q in queries if "credits_callrecord" in q["sql"]]
    summed = [q["sql"] for q in queries if "credits_calldaysummary" in q["sql"]]
    assert (len(report), len(summed)) == (5, 3)
    aggregates = 0
    with connection.cursor() as cursor:
        for sql in report:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "(tenant_id=? AND start_time>? AND start_time<?)" in plan, plan
            assert ("credits_call_report_idx" in plan
                    or "credits_call_tenant_start_idx" in plan), plan
            aggregates += "SUM(" in sql  # totals, daily series, top destinations
        for sql in summed:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            # or, for the summaries, of their (tenant, day, ...) unique index
            assert "(tenant_id=? AND day>? AND day<?)" in plan, plan
            assert ("credits_call_day_summary_unique" in plan  # named on SQLite as
                    or "sqlite_autoindex_credits_calldaysummary" in plan), plan
    assert aggregates == 3
