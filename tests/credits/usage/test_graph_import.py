"""Graph rows in: import_usage --format graph and the usage API take a getPstnCalls page or a
list of pstnCallLogRow objects, mapped to the same call records through the same checks,
idempotent by id, problems by index."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Tenant
from credits.models import CallRecord, LedgerEntry
from credits.usage.choices import ApiScope, UsageSource
from credits.usage.services.imports import usage_import_graph
from tests.credits.calls import GB_FIXED, T0, US_FIXED, test_rates  # noqa: F401 - fixture
from tests.credits.factories import fund
from tests.credits.usage.graph_calls import (
    calls_made,
    get,
    pstn_url,
    staff_of,
    stamp,
    stored_calls,
    token_for,
)

pytestmark = pytest.mark.usefixtures("test_rates")


def graph_row(n: int, *, seconds: int = 90, **changes) -> dict:
    start = T0 + timedelta(minutes=n)
    row = {
        "id": f"gr-{n}", "callId": f"call-{n}", "userId": None,
        "userPrincipalName": "cy@contoso.example", "userDisplayName": "Cy",
        "startDateTime": stamp(start), "endDateTime": stamp(start + timedelta(seconds=seconds)),
        "duration": seconds, "charge": 99.0, "callType": "user_out", "currency": "USD",
        "calleeNumber": GB_FIXED, "callerNumber": "+12065550199", "usageCountryCode": "US",
        "tenantCountryCode": "US", "connectionCharge": 5.0, "destinationContext": "Domestic",
        "destinationName": "Nowhere", "conferenceId": None, "licenseCapability": "MCOPSTN1",
        "inventoryType": "user", "operator": "Microsoft", "callDurationSource": "microsoft",
        "administrativeUnitInfos": [],  # a property Graph added later: ignored
    }
    row.update(changes)
    return row


@pytest.fixture
def staffed(tenant, account):
    fund(account, "100.00")
    return staff_of(tenant)


def test_graph_rows_become_call_records_rated_by_the_console(tenant, account, staffed):
    result = usage_import_graph(
        tenant=tenant, payload={"@odata.context": "x", "@odata.count": 2,
                                "value": [graph_row(0), graph_row(1, seconds=30)]},
        source=UsageSource.FILE,
    )

    assert (result.imported, result.rejected, result.conflicts) == (2, [], [])
    call = CallRecord.objects.get(usage_id="gr-0")
    assert (call.call_id, call.upn, call.user, call.caller_id, call.destination_number) == (
        "call-0", "cy@contoso.example", staffed["cy"], "+12065550199", GB_FIXED)
    assert (call.start_time, call.duration_seconds, call.user_location) == (T0, 90, "US")
    # the console's own charge (2 started minutes at 0.04 + 0.01), not the row's 99.0
    assert str(call.charge) == "0.0900" and call.capability == "MCOPSTNPP"
    assert call.reach == "International" and call.source == "file"


def test_a_graph_row_again_is_a_duplicate_and_with_other_facts_a_conflict(tenant, staffed):
    usage_import_graph(tenant=tenant, payload=[graph_row(0)], source=UsageSource.FILE)

    again = usage_import_graph(
        tenant=tenant, payload=[graph_row(0, charge=1.0), graph_row(0, seconds=60)],
        source=UsageSource.FILE,
    )

    assert (again.imported, again.duplicates) == (0, 1)
    [conflict] = again.conflicts
    assert conflict.as_dict() == {
        "index": 1, "usage_id": "gr-0", "code": "conflict",
        "reason": "value[1].id: id gr-0 is also on value[0] with different content",
    }
    assert CallRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (graph_row(3, duration="90"), "value[3].duration: must be a whole number of seconds."),
        (graph_row(3, duration=90.5), "value[3].duration: must be a whole number of seconds."),
        (graph_row(3, duration=True), "value[3].duration: must be a whole number of seconds."),
        (graph_row(3, duration=10),
         "value[3].duration: duration (10) is shorter than the time between startDateTime and "
         "endDateTime (90 s) by more than 2 seconds"),
        (graph_row(3, calleeNumber=12), "value[3].calleeNumber: must be text."),
        (graph_row(3, calleeNumber=None), "value[3].calleeNumber: calleeNumber is missing"),
        (graph_row(3, id=None), "value[3].id: id is missing"),
        (graph_row(3, callType="teleport"), "value[3].callType: callType 'teleport' is not one"),
        (graph_row(3, startDateTime="soon"),
         "value[3].startDateTime: startDateTime 'soon' is not an ISO 8601"),
        (graph_row(3, endDateTime=stamp(T0)), "value[3].endDateTime: endDateTime is before "
                                              "startDateTime"),
        (graph_row(3, usageCountryCode="USA"), "value[3].usageCountryCode: usageCountryCode"),
        (graph_row(3, currency="EUR"), "value[3].currency: currency is EUR, but Contoso"),
        (graph_row(3, userPrincipalName="x" * 300),
         "value[3].userPrincipalName: userPrincipalName is longer than 254 characters"),
        (graph_row(3, startDateTime=stamp(T0 + timedelta(days=900)),
                   endDateTime=stamp(T0 + timedelta(days=900, seconds=90))),
         "value[3].startDateTime: startDateTime"),
        ("not a row", "value[3]: each row must be a pstnCallLogRow object."),
    ],
)
def test_a_bad_row_is_reported_by_index_with_graphs_names(tenant, staffed, row, reason):
    rows = [graph_row(0), graph_row(1), graph_row(2), row, graph_row(4)]
    result = usage_import_graph(tenant=tenant, payload={"value": rows},
                                source=UsageSource.FILE)

    assert result.imported == 4
    [problem] = result.rejected
    assert problem.as_dict()["index"] == 3 and "line" not in problem.as_dict()
    assert problem.reason.startswith(reason), problem.reason


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"records": []}, "Unknown property 'records'"),
        ({"@odata.count": 0}, "needs its value list"),
        ({"value": {"id": "x"}}, "Send a Graph page"),
        ("text", "Send a Graph page"),
    ],
)
def test_what_is_not_a_graph_page_is_refused_whole(tenant, payload, says):
    from credits.exceptions import UsageInvalid

    with pytest.raises(UsageInvalid, match=says):
        usage_import_graph(tenant=tenant, payload=payload, source=UsageSource.FILE)


# --- the command ------------------------------------------------------------------------


def test_import_usage_format_graph_reads_a_page_and_reports_by_index(tmp_path, tenant, staffed):
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"value": [graph_row(0), graph_row(1, duration=5)]}))
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 rejected and 0 conflicting"):
        call_command("import_usage", "--tenant", "contoso", "--format", "graph", str(page),
                     stdout=out, stderr=err)

    assert "1 imported, 0 duplicates, 0 conflicts, 1 rejected (of 2 records)" in out.getvalue()
    assert f"{page}:1: rejected: value[1].duration: duration (5) is shorter" in err.getvalue()


@pytest.mark.parametrize(("text", "says"), [("{", "not JSON"), ("[" * 100_000, "too deeply"),
                                           ('{"values": []}', "Unknown property 'values'")])
def test_import_usage_format_graph_refuses_what_is_not_a_page(tmp_path, tenant, text, says):
    page = tmp_path / "page.json"
    page.write_text(text)
    with pytest.raises(CommandError, match=says):
        call_command("import_usage", "--tenant", "contoso", "--format", "graph", str(page),
                     stdout=StringIO(), stderr=StringIO())
    assert CallRecord.objects.count() == 0


# --- the usage API ----------------------------------------------------------------------


def post(client, body, token, query=""):
    return client.post(f"/api/v1/usage{query}", data=json.dumps(body),
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def importer(tenant, staffed):
    Tenant.objects.filter(pk=tenant.pk).update(created_at=T0 - timedelta(days=30))
    return token_for(tenant, ApiScope.IMPORT)


def test_the_usage_api_tells_a_graph_page_or_list_from_the_body(client, importer):
    page = post(client, {"value": [graph_row(0)]}, importer)
    listed = post(client, [graph_row(1)], importer)

    assert page.status_code == listed.status_code == 200
    assert (page.json()["imported"], listed.json()["imported"]) == (1, 1)
    assert CallRecord.objects.filter(source="api").count() == 2


def test_the_usage_api_reports_graph_rows_by_index(client, importer):
    response = post(client, [graph_row(0), graph_row(1, duration="x")], importer,
                    query="?format=graph")
    assert response.status_code == 200
    assert response.json()["rejected"] == [{
        "index": 1, "usage_id": "gr-1", "code": "invalid_record",
        "reason": "value[1].duration: must be a whole number of seconds.",
    }]


def test_the_usage_api_format_parameter(client, importer):
    # records named as the console's own are read as such even when they look like Graph's
    response = post(client, [graph_row(0)], importer, query="?format=records")
    assert response.status_code == 200 and response.json()["rejected"][0]["line"] == 1
    response = post(client, [graph_row(0)], importer, query="?format=xml")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("format must be graph or records")
    response = post(client, {"value": [graph_row(0)], "tenant": "contoso"}, importer)
    assert response.status_code == 400 and "Unknown property 'tenant'" in response.json()[
        "error"]["message"]


def test_a_page_the_endpoint_answered_reimports_with_no_change(client, tenant, account):
    calls_made(tenant, account, 12)
    Tenant.objects.filter(pk=tenant.pk).update(created_at=T0 - timedelta(days=30))
    page = get(client, pstn_url(T0, T0 + timedelta(days=1)), token_for(tenant)).json()
    before = (stored_calls(tenant), LedgerEntry.objects.count())

    response = client.post(
        "/api/v1/usage", data=json.dumps(page), content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(tenant, ApiScope.IMPORT)}"},
    )

    assert response.status_code == 200
    assert {key: response.json()[key] for key in ("received", "imported", "duplicates")} == {
        "received": 12, "imported": 0, "duplicates": 12}
    assert response.json()["rejected"] == response.json()["conflicts"] == []
    assert (stored_calls(tenant), LedgerEntry.objects.count()) == before


def test_import_usage_format_graph_of_an_exported_page_changes_nothing(
    client, tmp_path, tenant, account
):
    calls_made(tenant, account, 5, start=T0 + timedelta(hours=1))
    page = tmp_path / "page.json"
    page.write_bytes(get(client, pstn_url(T0, T0 + timedelta(days=1)), token_for(tenant)).content)
    before = stored_calls(tenant)
    out = StringIO()

    call_command("import_usage", "--tenant", "contoso", "--format", "graph", str(page),
                 stdout=out, stderr=StringIO())

    assert "0 imported, 5 duplicates" in out.getvalue()
    assert stored_calls(tenant) == before


def test_graph_rows_of_a_call_to_us_from_a_pool(tenant, staffed):
    row = graph_row(0, userPrincipalName="ana@contoso.example", calleeNumber=US_FIXED)
    result = usage_import_graph(tenant=tenant, payload=[row], source=UsageSource.FILE)
    assert (result.imported, result.pool_minutes, result.calls_charged) == (1, 2, 0)
