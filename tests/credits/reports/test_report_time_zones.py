"""The PSTN usage report and its exports in a tenant's time zone (README, "Languages and
time zones"): the report's days are UTC days and it says so, its call times are UTC like
the summaries they add up to; the exports stay ISO 8601 UTC; the exports page shows when
an export was made in the tenant's zone."""

from __future__ import annotations

import csv
import io

import pytest

from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.report_data import CSV_URL, URL, days_ago, export_start

usage = reports.usage
test_rates = calls.test_rates


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def new_york(tenant):
    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    return tenant


def test_exports_stay_iso_8601_utc_whatever_the_tenants_zone(client, reports_reader, new_york,
                                                             usage):
    client.force_login(reports_reader)
    response = client.get(CSV_URL)
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = {row["UsageId"]: row for row in csv.DictReader(io.StringIO(body, newline=""))}
    start = days_ago(3, 12)
    row = rows[usage["rows"]["de_mobile"]["UsageId"]]
    assert row["Start Time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_report_says_its_days_and_times_are_utc(client, reports_reader, new_york, usage):
    client.force_login(reports_reader)
    page = client.get(URL).content.decode()
    start = days_ago(3, 12)
    assert "(UTC days)" in page and "Start time (UTC)" in page
    assert f'datetime="{start.strftime("%Y-%m-%dT%H:%M:%S")}+00:00"' in page
    assert f'{start:%Y-%m-%d} <span class="d-block small text-body-secondary">{start:%H:%M:%S}' \
        in page


def test_the_exports_page_shows_when_in_the_tenants_zone(client, reports_reader, new_york, usage):
    client.force_login(reports_reader)
    export_start(client)
    second = export_start(client, {"range": "28"})
    page = client.get(second["Location"]).content.decode()
    recent = page[page.index('id="recent-exports"'):]
    assert " EST</time>" in recent or " EDT</time>" in recent  # the zone named, New York's
