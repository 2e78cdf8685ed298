"""Every CSV the console writes neutralizes text a spreadsheet would run as a formula
(a leading ``'``), keeps numbers and phone numbers as they are, and the usage import
reads its own exports back unchanged (docs/file-formats.md, "Formulas in text cells")."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse

from credits.models import CallRecord, OrderKind, UsageSource
from credits.usage.services.imports import usage_import_csv
from credits.usage.telephony.records import HEADER
from tests.credits import calls
from tests.credits.billing.test_bills_page import at, place
from tests.credits.calls import CREDITS, DE_FIXED, import_rows, person, record
from tests.credits.factories import CreditAccountFactory, fund
from tests.credits.payments import saved_card
from tests.credits.report_data import CSV_URL, days_ago, export_download

test_rates = calls.test_rates

HOSTILE = {
    "UsageId": '=HYPERLINK("http://evil.example","x")',
    "Call ID": "@SUM(1+1)",
    "Conference ID": "-2+3",
    "AAD ObjectId": "+cmd|' /C calc'!A0",
    "User Display Name": "=1+2",
    "Caller ID": "+1 425 555 0100",
    "Number Type": "=evil|x",
}


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def hostile(tenant, test_rates):
    fund(CreditAccountFactory(tenant=tenant), "10.00")
    user = person(tenant, "dee", CREDITS)
    row = record(upn=user.username, destination=DE_FIXED, start=days_ago(1),
                 uid=HOSTILE["UsageId"],
                 **{k: v for k, v in HOSTILE.items() if k != "UsageId"})
    result = import_rows(tenant, [row])
    assert result.imported == 1, result.rejected
    return CallRecord.objects.get(tenant=tenant)


def csv_of(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_usage_csv_quotes_formulas_and_keeps_numbers_and_phone_numbers(
    client, reports_reader, hostile
):
    client.force_login(reports_reader)
    [row] = csv_of(client.get(CSV_URL))
    assert row["UsageId"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["Call ID"] == "'@SUM(1+1)"
    assert row["Conference ID"] == "'-2+3"
    assert row["AAD ObjectId"] == "'+cmd|' /C calc'!A0"
    assert row["Number Type"] == "'=evil|x"
    assert row["Caller ID"] == "+1 425 555 0100"  # a phone number stays a phone number
    assert row["Destination Number"] == DE_FIXED
    assert Decimal(row["Charge"]) == hostile.charge and row["Duration Seconds"] == "60"
    for name, value in row.items():
        assert value[:1] not in ("=", "-", "@", "\t", "\r"), (name, value)


def test_usage_csv_export_imports_back_as_the_same_calls(client, reports_reader, tenant,
                                                         hostile):
    client.force_login(reports_reader)
    response = client.get(CSV_URL)
    text = b"".join(response.streaming_content).decode("utf-8")
    result = usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE)
    # The same facts (ids, numbers, times): recognized as the very call, not a conflict.
    assert (result.received, result.duplicates, result.imported) == (1, 1, 0)
    assert result.conflicts == [] and result.rejected == []


def test_a_fresh_import_of_the_export_stores_the_original_values(
    client, reports_reader, tenant, hostile
):
    client.force_login(reports_reader)
    text = b"".join(client.get(CSV_URL).streaming_content).decode("utf-8")
    CallRecord.objects.filter(tenant=tenant).delete()
    result = usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE)
    assert result.imported == 1, result.rejected
    call = CallRecord.objects.get(tenant=tenant)
    assert (call.usage_id, call.call_id, call.conference_id, call.caller_id) == (
        HOSTILE["UsageId"], HOSTILE["Call ID"], HOSTILE["Conference ID"], HOSTILE["Caller ID"]
    )


def test_excel_export_writes_formulas_as_strings(client, reports_reader, hostile):
    client.force_login(reports_reader)
    response = export_download(client)
    assert isinstance(response, FileResponse)
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    for name, value in HOSTILE.items():
        cell = sheet.cell(row=2, column=HEADER.index(name) + 1)
        assert cell.data_type == "s", (name, cell.data_type)
        assert cell.value == value
    charge = sheet.cell(row=2, column=HEADER.index("Charge") + 1)
    assert charge.data_type == "n"


def test_bills_csv_quotes_a_hostile_payment_method_and_keeps_amounts(
    client, tenant, billing_admin, monkeypatch
):
    place(tenant, billing_admin, "60", at(3, 2), kind=OrderKind.PURCHASE,
          card=saved_card(tenant))
    # Whatever a payment method's name becomes (a label, a PO number typed by an admin).
    monkeypatch.setattr("credits.billing.views.bills.paid_with",
                        lambda order: '=HYPERLINK("http://evil.example")')
    client.force_login(billing_admin)
    response = client.get("/billing/bills/2025-03/download/")
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[1][3] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][4] == "60.00"
