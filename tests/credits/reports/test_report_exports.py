"""The PSTN usage exports: exactly the call-record header (docs/file-formats.md), full
(unmasked) numbers, charges filled in, ISO 8601 UTC times, the page's filters,
streaming, and a round trip through the usage import that charges the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse

from accounts.models import AdminRole
from credits.models import CallRecord, UsageSource
from credits.reports.writers import XLSX_HEADER
from credits.usage.services.imports import usage_import_csv
from credits.usage.telephony.records import HEADER
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.credits import calls
from tests.credits import report_data as reports
from tests.credits.calls import (
    CREDITS,
    DE_FIXED,
    DE_MOBILE,
    DOMESTIC,
    person,
)
from tests.credits.factories import CreditAccountFactory, fund
from tests.credits.report_data import (
    CSV_URL,
    URL,
    days_ago,
    export_download,
    export_start,
    today,
)

EXACT_HEADER = (
    "UsageId,Call ID,Conference ID,User Location,AAD ObjectId,UPN,User Display Name,Caller ID,"
    "Call Type,Number Type,Domestic/International,Destination Dialed,Destination Number,"
    "Start Time,End Time,Duration Seconds,Connection Fee,Charge,Currency,Capability"
)

# Fixtures shared with the other report tests.
usage = reports.usage
test_rates = calls.test_rates


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


def csv_body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_body(response), newline="")))


def xlsx_rows(response) -> list[list[object]]:
    assert isinstance(response, FileResponse)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)),
                                  read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_csv_header_is_exactly_the_design_header(client, reports_reader, usage):
    client.force_login(reports_reader)
    body = csv_body(client.get(CSV_URL))
    assert body.split("\r\n", 1)[0] == EXACT_HEADER
    assert tuple(EXACT_HEADER.split(",")) == HEADER  # what the import reads


def test_csv_is_streamed_as_an_attachment_named_after_tenant_and_range(client, reports_reader,
                                                                       usage):
    client.force_login(reports_reader)
    response = client.get(CSV_URL)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    first = today().toordinal() - 6
    from datetime import date

    expected = (f"pstn-usage-contoso-{date.fromordinal(first).isoformat()}-"
                f"{today().isoformat()}.csv")
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert len(csv_rows(response)) == 5


def test_csv_export_carries_full_unmasked_numbers_charges_and_utc_times(client, reports_reader,
                                                                       usage):
    client.force_login(reports_reader)
    rows = {row["UsageId"]: row for row in csv_rows(client.get(CSV_URL))}
    source = usage["rows"]
    outbound = rows[source["de_mobile"]["UsageId"]]
    assert outbound["Destination Number"] == DE_MOBILE  # not +4915123456***
    start = days_ago(3, 12)
    assert outbound == {
        "UsageId": source["de_mobile"]["UsageId"], "Call ID": "", "Conference ID": "",
        "User Location": "US", "AAD ObjectId": str(usage["cy"].object_id),
        "UPN": "cy@contoso.example",
        "User Display Name": "Cy", "Caller ID": "", "Call Type": "user_out",
        "Number Type": "user", "Domestic/International": "International",
        "Destination Dialed": "Germany", "Destination Number": DE_MOBILE,
        "Start Time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "End Time": start.replace(second=1, minute=1).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Duration Seconds": "61", "Connection Fee": "0.0100", "Charge": "0.2500",
        "Currency": "USD", "Capability": "MCOPSTNPP",
    }
    inbound = rows[source["inbound"]["UsageId"]]
    assert inbound["Caller ID"] == DE_FIXED  # not +4930123***
    assert (inbound["Charge"], inbound["Capability"]) == ("0.0000", "")
    assert rows[source["pool"]["UsageId"]]["Capability"] == "MCOPSTN1"


def test_exports_respect_the_pages_filters_and_range(client, reports_reader, usage):
    client.force_login(reports_reader)
    source = usage["rows"]
    only_in = csv_rows(client.get(CSV_URL, {"call_type": "user_in"}))
    assert [row["UsageId"] for row in only_in] == [source["inbound"]["UsageId"]]
    month = csv_rows(client.get(CSV_URL, {"range": "28", "paid_by": "MCOPSTNPP",
                                          "sort": "-charge"}))
    assert [row["UsageId"] for row in month] == [
        source[key]["UsageId"] for key in ("gb_mobile", "de_mobile", "old", "gb_fixed")
    ]
    by_user = xlsx_rows(export_download(client, {"user": usage["ana"].pk}))
    assert [row[0] for row in by_user[1:]] == [source[key]["UsageId"]
                                              for key in ("pool", "inbound")]


def test_xlsx_opens_and_matches_the_csv_with_full_numbers(client, reports_reader, usage):
    client.force_login(reports_reader)
    params = {"range": "28"}
    response = export_download(client, params)
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="pstn-usage-contoso-')
    assert response["Content-Disposition"].endswith(f'-{today().isoformat()}.xlsx"')
    sheet = xlsx_rows(response)
    expected = list(csv.reader(io.StringIO(csv_body(client.get(CSV_URL, params)), newline="")))
    assert tuple(sheet[0]) == XLSX_HEADER
    assert len(sheet) == len(expected) == 7
    numeric = {HEADER.index(name) for name in ("Duration Seconds", "Connection Fee", "Charge")}
    times = {HEADER.index(name) for name in ("Start Time", "End Time")}
    for got, want in zip(sheet[1:], expected[1:], strict=True):
        for col, (cell, text) in enumerate(zip(got, want, strict=True)):
            if col in numeric:
                assert isinstance(cell, int | float), (HEADER[col], cell)
                assert Decimal(str(cell)) == Decimal(text), (HEADER[col], cell, text)
            elif col in times:  # a real date-time, in UTC
                assert isinstance(cell, datetime), (HEADER[col], cell)
                assert cell.replace(tzinfo=UTC) == datetime.fromisoformat(text), (cell, text)
            else:
                assert (cell or "") == text, (HEADER[col], cell, text)
    assert DE_MOBILE in {row[HEADER.index("Destination Number")] for row in sheet}


def test_xlsx_keeps_numbers_and_formulas_as_text(client, reports_reader, tenant, account,
                                                 test_rates):
    from tests.credits.calls import import_rows, record

    fund(account, "10.00")
    user = person(tenant, "dee", CREDITS)
    import_rows(tenant, [record(upn=user.username, destination=DE_FIXED, start=days_ago(1),
                                uid="=HYPERLINK(1)", **{"Call ID": "00123"})])
    client.force_login(reports_reader)
    row = xlsx_rows(export_download(client))[1]
    assert row[0] == "=HYPERLINK(1)" and row[1] == "00123"
    assert row[HEADER.index("Destination Number")] == DE_FIXED


def test_exports_with_bad_filters_go_back_to_the_report(client, reports_reader, usage):
    client.force_login(reports_reader)
    params = {"range": "custom", "start": "2025-03-10", "end": "2025-03-01"}
    for response in (client.get(CSV_URL, params), export_start(client, params)):
        assert response.status_code == 302
        assert response["Location"] == f"{URL}?range=custom&start=2025-03-10&end=2025-03-01"
    page = client.get(response["Location"])
    assert "Fix the filters before exporting." in page.content.decode()


def test_xlsx_refuses_more_rows_than_a_sheet_holds(client, reports_reader, usage, monkeypatch):
    monkeypatch.setattr("credits.reports.services.XLSX_MAX_ROWS", 4)
    client.force_login(reports_reader)
    response = export_start(client)
    assert response.status_code == 302 and response["Location"].startswith(URL)
    assert "export them as CSV" in client.get(response["Location"]).content.decode()
    assert export_download(client, {"call_type": "user_out", "paid_by": "MCOPSTNPP"}) \
        .status_code == 200


@pytest.mark.parametrize("role", [AdminRole.GLOBAL_READER, AdminRole.TEAMS_COMMS_ADMIN])
def test_report_roles_can_export(client, tenant, usage, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    assert client.get(CSV_URL).status_code == 200
    assert export_download(client).status_code == 200


def test_exports_hold_only_the_tenants_calls(client, other_tenant_admin, usage):
    client.force_login(other_tenant_admin)
    assert csv_body(client.get(CSV_URL, {"range": "28"})).strip() == EXACT_HEADER
    assert xlsx_rows(export_download(client, {"range": "28"})) == [list(XLSX_HEADER)]


def test_csv_export_with_full_numbers_reimports_as_duplicates(client, reports_reader, usage,
                                                             tenant):
    """Same tenant: every exported row is recognized as the very call already imported
    (same UsageId and same facts: numbers, times, duration), so nothing changes."""
    client.force_login(reports_reader)
    text = csv_body(client.get(CSV_URL, {"range": "28"}))
    before = CallRecord.objects.filter(tenant=tenant).count()
    result = usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE)
    assert (result.received, result.duplicates, result.imported) == (6, 6, 0)
    assert result.conflicts == [] and result.rejected == []
    assert CallRecord.objects.filter(tenant=tenant).count() == before


def test_csv_export_with_full_numbers_round_trips_to_identical_charges(client, reports_reader,
                                                                      usage, tenant):
    """A fresh tenant with the same rates, the same people (UPNs on its own domain, since a
    UPN is unique) and the same licenses imports the export and charges the same per
    UsageId."""
    client.force_login(reports_reader)
    text = csv_body(client.get(CSV_URL, {"range": "28"}))
    exported = {row["UsageId"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}

    fresh = TenantFactory(name="Contoso Copy", slug="contoso-copy", country="US",
                          currency="USD")
    fund(CreditAccountFactory(tenant=fresh), "100.00")
    person(fresh, "ana", DOMESTIC, CREDITS)
    person(fresh, "cy", CREDITS)
    copied = text.replace("@contoso.example", "@contoso-copy.example")
    result = usage_import_csv(tenant=fresh, text=copied, source=UsageSource.FILE)
    assert (result.imported, result.rejected, result.conflicts) == (6, [], [])

    original = {
        call.usage_id: call for call in CallRecord.objects.filter(tenant=tenant)
    }
    reimported = {call.usage_id: call for call in CallRecord.objects.filter(tenant=fresh)}
    assert set(reimported) == set(original) == set(exported)
    for usage_id, call in reimported.items():
        before = original[usage_id]
        assert (call.charge, call.connection_fee, call.capability, call.billed_minutes,
                call.pool_minutes) == (before.charge, before.connection_fee, before.capability,
                                       before.billed_minutes, before.pool_minutes), usage_id
        assert call.charge == Decimal(exported[usage_id]["Charge"])
        assert (call.start_time, call.end_time, call.destination_number, call.caller_id) == (
            before.start_time, before.end_time, before.destination_number, before.caller_id)
    assert sum(call.charge for call in reimported.values()) == Decimal("0.7000")
