"""Reports > Minute pools: per country and plan, the pool's size (current licenses), the
minutes used in the chosen month, what is left, and a bar that warns before it runs out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole
from credits.models import MinutePool
from tests.accounts.factories import AdminFactory
from tests.credits.calls import CONFERENCING, DOMESTIC, E5, INTERNATIONAL, person
from tests.html_text import parse

URL = "/reports/minute-pools/"
PAGE_MAX_QUERIES = 7  # session, user, roles, tenant, catalog includes, licenses, pools
NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
MARCH, FEBRUARY = date(2025, 3, 1), date(2025, 2, 1)


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    """The report's "current month" is March 2025."""
    from credits.reports.views import minute_pools as views_pools
    monkeypatch.setattr(views_pools.timezone, "now", lambda: NOW)


def used(tenant, capability: str, minutes: int, country: str = "US", month: date = MARCH):
    MinutePool.objects.update_or_create(
        tenant=tenant, month=month, country=country, capability=capability,
        defaults={"minutes_used": minutes},
    )


@pytest.fixture
def licensed(tenant):
    """Two US domestic users, one US D&I user, one GB domestic, two with conferencing."""
    person(tenant, "ana", DOMESTIC)
    person(tenant, "ben", DOMESTIC)
    person(tenant, "cleo", INTERNATIONAL)
    person(tenant, "dev", DOMESTIC, location="GB")
    person(tenant, "eve", CONFERENCING)
    person(tenant, "fay", E5, location="GB")


@pytest.fixture
def reports_client(client, reports_reader):
    client.force_login(reports_reader)
    return client


def rows(response) -> dict[str, list[str]]:
    table = parse(response.content).by_id("pools-table")
    return {f"{row[0]} · {row[1]}": row[2:] for row in table.table_rows()}


def test_each_pool_shows_total_used_available_and_percent(reports_client, tenant, licensed):
    used(tenant, "MCOPSTN1", 4500)
    used(tenant, "MCOPSTN1", 1200, country="GB")
    used(tenant, "MCOPSTN2", 500)
    used(tenant, "MCOMEETADD", 30, country="")
    used(tenant, "MCOPSTN1", 10, month=FEBRUARY)  # another month: not counted

    response = reports_client.get(URL)

    assert response.status_code == 200
    assert rows(response) == {
        "United States US · Domestic Calling Plan": ["9,000", "4,500", "4,500", "50% used"],
        "United Kingdom GB · Domestic Calling Plan": [
            "1,200", "1,200", "0", "100% used, pool used up",
        ],
        "United States US · International calling (D&I plan)": ["600", "500", "100", "83% used"],
        "All countries (Zone A) · Audio Conferencing dial-out": ["120", "30", "90", "25% used"],
    }
    summary = parse(response.content).by_id("pools-summary").text
    assert "March 2025: 6,230 of 10,920 pooled minutes used." in summary
    page = parse(response.content)
    assert [page.by_id(f"pools-{name}").text for name in ("total", "used", "available")] == [
        "10,920", "6,230", "4,690",
    ]


def test_bars_warn_at_80_percent_and_turn_red_when_used_up(reports_client, tenant, licensed):
    used(tenant, "MCOPSTN1", 1200, country="GB")
    used(tenant, "MCOPSTN2", 480)  # exactly 80 %
    used(tenant, "MCOMEETADD", 10, country="")
    page = parse(reports_client.get(URL).content)

    def bar(key):
        row = page.by_id(f"pool-{key}")
        progress = row.find_all("div", role="progressbar")[0]
        return row.attrs["data-level"], progress.attrs["aria-valuenow"], progress.find_all("div")[
            0
        ].attrs["class"]

    assert bar("MCOPSTN1-GB") == ("danger", "100", "progress-bar bg-danger console-pct-100")
    assert bar("MCOPSTN2-US") == ("warning", "80", "progress-bar bg-warning console-pct-80")
    assert bar("MCOMEETADD-all") == ("success", "8", "progress-bar bg-success console-pct-8")
    assert bar("MCOPSTN1-US") == ("success", "0", "progress-bar bg-success console-pct-0")
    gb = page.by_id("pool-MCOPSTN1-GB")
    assert "100% used, pool used up" in gb.text  # what a screen reader reads


def test_a_pool_used_this_month_but_without_licenses_now_is_still_listed(
    reports_client, tenant, licensed
):
    used(tenant, "MCOPSTN1", 300, country="DE")
    page = parse(reports_client.get(URL).content)
    row = page.by_id("pool-MCOPSTN1-DE")
    assert [cell.text for cell in row.children if hasattr(cell, "tag")][2:5] == ["0", "300", "0"]
    assert row.attrs["data-level"] == "danger"
    assert "No license gives this pool minutes now." in row.text


def test_choosing_a_month_shows_that_months_usage(reports_client, tenant, licensed):
    used(tenant, "MCOPSTN1", 100, month=FEBRUARY)
    used(tenant, "MCOPSTN1", 700)
    response = reports_client.get(URL, {"month": "2025-02"})
    assert rows(response)["United States US · Domestic Calling Plan"][:2] == ["9,000", "100"]
    select = parse(response.content).by_id("pools-month")
    selected = [o for o in select.find_all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in selected] == ["2025-02"]
    offered = [o.attrs["value"] for o in select.find_all("option")]
    assert offered[0] == "2025-03" and len(offered) == 12 and offered[-1] == "2024-04"


def test_an_older_valid_month_is_shown_and_offered(reports_client, tenant, licensed):
    used(tenant, "MCOPSTN1", 42, month=date(2023, 6, 1))
    response = reports_client.get(URL, {"month": "2023-06"})
    assert rows(response)["United States US · Domestic Calling Plan"][1] == "42"
    assert "2023-06" in [o.attrs["value"] for o in parse(response.content).find_all("option")]


@pytest.mark.parametrize("month", ["2025-13", "garbage", "2025-1", "2025-03-01", "", " ",
                                   "<script>", "9" * 200])
def test_a_malformed_month_shows_the_current_month_with_a_message(
    reports_client, tenant, licensed, month
):
    used(tenant, "MCOPSTN1", 700)
    response = reports_client.get(URL, {"month": month})
    assert response.status_code == 200
    assert rows(response)["United States US · Domestic Calling Plan"][1] == "700"
    page = parse(response.content)
    if month.strip():
        assert "is not a month (use YYYY-MM); showing 2025-03." in page.by_id(
            "pools-month-error"
        ).text
        assert "<script>" not in response.content.decode().split('id="pools-month-error"')[1][:200]
    else:
        assert not page.has_id("pools-month-error")


def test_empty_state_without_calling_plans_or_conferencing(reports_client, tenant):
    person(tenant, "solo")  # a user without any calling license
    page = parse(reports_client.get(URL).content)
    assert not page.has_id("pools-table")
    assert "No minute pools" in page.by_id("pools-empty").text


def test_htmx_month_change_gets_only_the_report(reports_client, tenant, licensed):
    response = reports_client.get(URL, {"month": "2025-02"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="pools-report">')
    assert "<html" not in body and "pools-table" in body
    assert "HX-Request" in response["Vary"]


# --- roles and isolation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [AdminRole.GLOBAL_ADMIN, AdminRole.GLOBAL_READER, AdminRole.REPORTS_READER,
     AdminRole.TEAMS_ADMIN, AdminRole.TEAMS_COMMS_ADMIN, AdminRole.SKYPE_ADMIN],
)
def test_report_roles_may_view(client, tenant, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(URL).status_code == 200


def test_nav_offers_minute_pools_under_reports_to_report_roles_only(
    client, reports_reader, billing_admin
):
    client.force_login(reports_reader)
    nav = parse(client.get(URL).content).by_id("console-nav")
    hrefs = nav.hrefs()
    assert URL in hrefs
    if "/reports/pstn-usage/" in hrefs:  # the PSTN usage report comes first
        assert hrefs.index("/reports/pstn-usage/") < hrefs.index(URL)
    client.force_login(billing_admin)
    assert URL not in parse(client.get("/").content).by_id("console-nav").hrefs()


def test_another_tenant_sees_only_its_own_pools(client, tenant, other_tenant, licensed):
    used(tenant, "MCOPSTN1", 4500)
    person(other_tenant, "gbuser", DOMESTIC, location="GB")
    used(other_tenant, "MCOPSTN1", 7, country="GB")
    client.force_login(AdminFactory(tenant=other_tenant, roles=[AdminRole.REPORTS_READER]))
    assert rows(client.get(URL)) == {
        "United Kingdom GB · Domestic Calling Plan": ["1,200", "7", "1,193", "0% used"],
    }


# --- query counts ----------------------------------------------------------------------


def _count(client) -> int:
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_users_countries_or_pools(reports_client, tenant):
    person(tenant, "first", DOMESTIC)
    few = _count(reports_client)
    for index, country in enumerate(["US", "CA", "GB", "DE", "FR", "JP", "AU", "NL"] * 3):
        person(tenant, f"user{index}", INTERNATIONAL, CONFERENCING, location=country)
        used(tenant, "MCOPSTN1", index + 1, country=country)
    assert len(rows(reports_client.get(URL))) == 8 * 2 + 1
    assert _count(reports_client) == few <= PAGE_MAX_QUERIES
