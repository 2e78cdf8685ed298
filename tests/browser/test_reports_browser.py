"""In Chromium: the reports reader opens Reports > PSTN usage, picks 28 days, filters a
call type (htmx swaps the report), starts the Excel export, waits for it to be written
in the background and downloads it."""

from __future__ import annotations

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from credits.reports.writers import XLSX_HEADER as HEADER
from tests.browser.test_home_browser import sign_in
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.calls import (
    CA_FIXED,
    DE_FIXED,
    GB_FIXED,
    GB_MOBILE,
    IN_MOBILE,
    US_FIXED,
    import_rows,
    record,
)
from tests.credits.report_data import days_ago

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Fixtures shared with the other report tests.
usage = reports.usage
test_rates = calls.test_rates



@pytest.fixture
def month_of_calls(tenant, usage):
    """The six hand-worked calls plus a month of ordinary traffic, for the charts."""
    destinations = [GB_FIXED, GB_MOBILE, DE_FIXED, IN_MOBILE, US_FIXED, CA_FIXED, US_FIXED]
    people = [usage["ana"].username, usage["cy"].username]
    rows = [
        record(upn=people[n % 2], destination=destinations[n % len(destinations)],
               start=days_ago(n % 27, hour=8 + n % 9), seconds=45 + (n * 137) % 1200)
        for n in range(60)
    ]
    rows += [
        record(upn=people[0], call_type="user_in", destination=US_FIXED, caller=GB_MOBILE,
               start=days_ago(n % 25, hour=14), seconds=300)
        for n in range(8)
    ]
    result = import_rows(tenant, rows)
    assert not result.rejected
    return usage


def test_reports_reader_filters_the_report_and_downloads_excel(
    page, live_server, reports_reader, month_of_calls, screenshot, tmp_path, settings
):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"
    page.goto("/accounts/login/")
    sign_in(page, "reports@contoso.example")
    nav = page.locator("#console-nav")
    nav.get_by_role("button", name="Reports").click()
    nav.get_by_role("link", name="PSTN usage").click()

    expect(page.get_by_role("heading", name="PSTN usage", exact=True)).to_be_visible()
    expect(page.locator("#usage-period")).to_contain_text("(7 days, UTC)")
    seven_days = int(page.locator("[data-total=calls]").inner_text())
    expect(page.locator("#usage-start")).to_be_hidden()  # only with "Custom range"

    page.get_by_label("Date range").select_option("28")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#usage-period")).to_contain_text("(28 days, UTC)")
    expect(page).to_have_url(f"{live_server.url}/reports/pstn-usage/?range=28&start=&end=&q="
                             "&call_type=&paid_by=&sort=-start_time")
    assert int(page.locator("[data-total=calls]").inner_text()) > seven_days
    expect(page.locator("#usage-minutes-chart canvas")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('canvas[data-usage-chart]').length === 3 && "
        "[...document.querySelectorAll('canvas[data-usage-chart]')]"
        ".every(c => window.Chart.getChart(c))"
    )
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "pstn-usage.png")

    page.locator("#usage-table thead").get_by_role("link", name="Charge").click()
    expect(page.locator("#usage-table th[aria-sort=descending]")).to_have_text("Charge")
    page.get_by_label("Call type").select_option("user_in")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#usage-table tbody tr")).to_have_count(9)
    expect(page).to_have_url(re.compile(r"call_type=user_in.*sort=-charge"))  # sort kept
    expect(page.locator("[data-total=calls]")).to_have_text("9")
    calls = page.locator("#usage-table tbody tr")
    for index in range(9):
        expect(calls.nth(index).locator("td").nth(2)).to_have_text("user_in")
    expect(page.locator("#usage-table")).to_contain_text("+4930123***")  # masked on screen

    page.get_by_role("button", name="Export to Excel").click()  # written in the background
    expect(page.get_by_role("heading", name="Excel export")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reports/pstn-usage/exports/\d+/$"))
    download_link = page.locator("#export-status").get_by_role("link", name="Download")
    expect(download_link).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#export-progress-text")).to_contain_text("9 of 9 rows (100%)")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.startswith("pstn-usage-contoso-")
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == HEADER
    assert len(rows) == 1 + 9
    assert {row[HEADER.index("Call Type")] for row in rows[1:]} == {"user_in"}
    assert DE_FIXED in {row[HEADER.index("Caller ID")] for row in rows[1:]}  # full number
