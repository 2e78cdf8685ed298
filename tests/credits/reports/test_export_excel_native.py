"""The PSTN usage exports as Excel and the directory read them (docs/file-formats.md):
in the workbook Start and End Time are date-times in UTC (header "(UTC)", shown
yyyy-mm-dd hh:mm:ss), durations and amounts numbers, the rest text; every call of a
directory user carries the user's stable object ID in AAD ObjectId (CSV and workbook);
the workbook's header re-imports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from django.http import FileResponse

from credits.models import CallRecord
from credits.reports.writers import XLSX_HEADER, XLSX_TIME_FORMAT
from credits.usage.telephony.records import HEADER
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.calls import CREDITS, DE_FIXED, csv_text, import_rows, person, record
from tests.credits.report_data import CSV_URL, days_ago, export_download

pytestmark = pytest.mark.django_db

usage = reports.usage
test_rates = calls.test_rates
START, END = HEADER.index("Start Time"), HEADER.index("End Time")
OBJECT_ID = HEADER.index("AAD ObjectId")


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


def workbook(response):
    assert isinstance(response, FileResponse)
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def csv_of(client, params=None) -> list[dict[str, str]]:
    body = b"".join(client.get(CSV_URL, params or {"range": "28"}).streaming_content)
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


def test_times_are_utc_date_times_and_the_header_says_utc(client, reports_reader, usage):
    client.force_login(reports_reader)
    sheet = workbook(export_download(client, {"range": "28"}))
    header = [cell.value for cell in sheet[1]]
    assert header[START] == "Start Time (UTC)" and header[END] == "End Time (UTC)"
    assert tuple(header) == XLSX_HEADER
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 6
    by_id = {row[0].value: row for row in rows}
    for key, source in usage["rows"].items():
        row = by_id[source["UsageId"]]
        for col, name in ((START, "Start Time"), (END, "End Time")):
            cell = row[col]
            assert cell.is_date, (key, name, cell.value)
            assert cell.number_format == XLSX_TIME_FORMAT
            want = datetime.fromisoformat(source[name]).astimezone(UTC).replace(tzinfo=None)
            assert abs((cell.value - want).total_seconds()) < 0.001, (key, cell.value, want)
        assert row[HEADER.index("Duration Seconds")].data_type == "n"
        assert row[HEADER.index("Charge")].data_type == "n"
        assert row[HEADER.index("UsageId")].data_type == "s"
        assert row[HEADER.index("Call Type")].data_type == "s"


def test_every_call_of_a_directory_user_carries_their_object_id(client, reports_reader, usage):
    client.force_login(reports_reader)
    ana, cy = usage["ana"], usage["cy"]
    ids = {ana.username: str(ana.object_id), cy.username: str(cy.object_id)}
    assert ids[ana.username] != ids[cy.username]
    for row in csv_of(client):
        assert row["AAD ObjectId"] == ids[row["UPN"]]
    sheet = workbook(export_download(client, {"range": "28"}))
    for row in sheet.iter_rows(min_row=2, values_only=True):
        assert row[OBJECT_ID] == ids[row[HEADER.index("UPN")]]


def test_a_record_that_came_with_an_object_id_keeps_it(client, reports_reader, tenant, account,
                                                      test_rates):
    from tests.credits.factories import fund

    fund(account, "10.00")
    user = person(tenant, "dee", CREDITS)
    given = "6f1c1a52-0000-4000-8000-0000000000aa"
    import_rows(tenant, [record(upn=user.username, destination=DE_FIXED, start=days_ago(1),
                                **{"AAD ObjectId": given})])
    client.force_login(reports_reader)
    assert [row["AAD ObjectId"] for row in csv_of(client, {"range": "7"})] == [given]


def test_the_workbooks_header_reimports_as_duplicates(client, reports_reader, tenant, account,
                                                      test_rates):
    """A workbook saved as CSV by a spreadsheet has "Start Time (UTC)" and times like
    ``2026-11-01 10:00:00``: the import reads them, and the calls are the same calls."""
    from credits.models import UsageSource
    from credits.usage.services.imports import usage_import_csv
    from tests.credits.factories import fund

    fund(account, "10.00")
    user = person(tenant, "dee", CREDITS)
    start = days_ago(2).replace(microsecond=0)
    import_rows(tenant, [record(upn=user.username, destination=DE_FIXED, start=start,
                                seconds=95)])
    client.force_login(reports_reader)
    sheet = workbook(export_download(client, {"range": "7"}))
    rows = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        row = {}
        for col, name in enumerate(XLSX_HEADER):
            value = values[col]
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M:%S")
            row[name] = "" if value is None else str(value)
        rows.append(row)
    assert rows[0]["Start Time (UTC)"] == start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    before = CallRecord.objects.count()
    result = usage_import_csv(tenant=tenant, text=csv_text(rows, header=XLSX_HEADER),
                              source=UsageSource.FILE)
    assert (result.received, result.duplicates, result.imported) == (1, 1, 0)
    assert CallRecord.objects.count() == before
