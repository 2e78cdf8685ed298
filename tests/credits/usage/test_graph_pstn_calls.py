"""GET /v1.0/communications/callRecords/getPstnCalls(...): Graph's pstnCallLogRow pages,
bounds, limits, OData errors, scopes, tenant isolation and keyset paging."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from credits.models import CallRecord
from credits.usage.choices import ApiScope
from credits.usage.telephony.graph import GRAPH_PROPERTIES
from tests.credits.calls import T0, test_rates  # noqa: F401 - fixture
from tests.credits.factories import CreditAccountFactory
from tests.credits.usage.graph_calls import (
    calls_made,
    encoded_url,
    get,
    pstn_url,
    stamp,
    token_for,
)

pytestmark = pytest.mark.usefixtures("test_rates")
DAY_AFTER = T0 + timedelta(days=1)


def odata_error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["innerError"]["request-id"]
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response[
        "Cache-Control"]
    return body["error"]["message"]


def test_a_page_holds_graph_rows_with_graphs_names_and_types(client, tenant, account):
    calls_made(tenant, account, 3)
    token = token_for(tenant)
    cy = User.objects.get(username="cy@contoso.example")

    response = get(client, pstn_url(T0, DAY_AFTER), token)

    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == (
        "http://testserver/v1.0/$metadata#Collection(microsoft.graph.callRecords.pstnCallLogRow)"
    )
    assert body["@odata.count"] == 3 and "@odata.nextLink" not in body
    first, second = body["value"][:2]
    assert set(first) == set(GRAPH_PROPERTIES) and len(GRAPH_PROPERTIES) == 23
    stored = CallRecord.objects.get(usage_id="g-00001")
    assert second == {
        "id": "g-00001",
        "callId": None,
        "userId": str(cy.object_id),
        "userPrincipalName": "cy@contoso.example",
        "userDisplayName": "Cy",
        "startDateTime": stamp(T0),
        "endDateTime": stamp(T0 + timedelta(seconds=31)),
        "duration": 31,
        "charge": float(stored.charge),
        "callType": "user_out",
        "currency": "USD",
        "calleeNumber": "+442079460000",
        "callerNumber": "+12065550199",
        "usageCountryCode": "US",
        "tenantCountryCode": "US",
        "connectionCharge": float(stored.connection_fee),
        "destinationContext": "International",
        "destinationName": stored.destination_dialed,
        "conferenceId": None,
        "licenseCapability": "MCOPSTNPP",
        "inventoryType": "user",
        "operator": "Microsoft",
        "callDurationSource": "microsoft",
    }
    assert stored.charge == Decimal("0.0500")  # 1 started minute at 0.04 + 0.01
    assert '"charge": 0.05' in response.content.decode()  # a JSON number, not text
    assert isinstance(first["duration"], int)


def test_the_bounds_are_utc_inclusive_on_the_start_time(client, tenant, account):
    calls_made(tenant, account, 9)  # starts: T0 (0-2), T0+1 min (3-5), T0+2 min (6-8)
    token = token_for(tenant)

    def ids(start, end):
        response = get(client, pstn_url(start, end), token)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["value"]]

    minute = timedelta(minutes=1)
    assert ids(T0 + minute, T0 + minute) == ["g-00003", "g-00004", "g-00005"]
    assert ids(T0 + minute, T0 + 2 * minute - timedelta(microseconds=1)) == [
        "g-00003", "g-00004", "g-00005"]
    # a call that started before fromDateTime is out, even while it was still going on
    assert ids(T0 + timedelta(seconds=10), T0 + 2 * minute)[0] == "g-00003"
    # an offset is turned to UTC
    plus_two = (T0 + 2 * timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+02:00"
    url = pstn_url(T0, T0).replace(stamp(T0), plus_two, 1)
    assert [row["id"] for row in get(client, url, token).json()["value"]] == [
        "g-00000", "g-00001", "g-00002"]


def test_the_sdks_form_and_dates_answer_the_same(client, tenant, account):
    calls_made(tenant, account, 4)
    token = token_for(tenant)
    day = T0.replace(hour=0)

    plain = get(client, pstn_url(day, day + timedelta(days=1)), token).json()
    sdk = get(client, pstn_url(day, day + timedelta(days=1), sdk=True), token).json()
    encoded = get(client, encoded_url(day, day + timedelta(days=1)), token).json()
    dates = get(
        client,
        f"/v1.0/communications/callRecords/getPstnCalls(fromDateTime={day.date()},"
        f"toDateTime={(day + timedelta(days=1)).date()})",
        token,
    ).json()

    # the SDK percent-encodes the bounds and leaves out the comma between them
    assert "%3A00%2B00%3A00toDateTime=" in pstn_url(day, day, sdk=True)
    assert plain["value"] == sdk["value"] == encoded["value"] == dates["value"]
    assert len(plain["value"]) == 4


def test_at_most_90_days_per_request(client, tenant, account):
    token = token_for(tenant)
    assert get(client, pstn_url(T0, T0 + timedelta(days=90)), token).status_code == 200

    message = odata_error(
        get(client, pstn_url(T0, T0 + timedelta(days=90, seconds=1)), token), 400, "BadRequest"
    )
    assert message == (
        "fromDateTime and toDateTime are 90 days apart: a request may span at most 90 days."
    )
    assert odata_error(
        get(client, pstn_url(T0, T0 + timedelta(days=365, hours=12)), token), 400, "BadRequest"
    ).startswith("fromDateTime and toDateTime are 365.5 days apart")


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ("fromDateTime=yesterday,toDateTime=2026-01-02T00:00:00Z", "'yesterday' is not a date"),
        ("fromDateTime=2026-13-01T00:00:00Z,toDateTime=2026-12-02T00:00:00Z", "not a date"),
        ("fromDateTime=2026-01-01T00:00:00Z", "Both fromDateTime and toDateTime"),
        ("fromDateTime=,toDateTime=2026-01-02T00:00:00Z", "fromDateTime is missing"),
        ("fromDateTime=2026-01-02T00:00:00Z,toDateTime=2026-01-01T00:00:00Z", "before"),
        ("fromDateTime=2026-01-01,toDateTime=2026-01-02,top=5", "must be fromDateTime"),
        ("fromDateTime=2026-01-01,fromDateTime=2026-01-02", "Both fromDateTime and toDateTime"),
        ("", "Both fromDateTime and toDateTime"),
        ("fromDateTime=2026-01-01;toDateTime=2026-01-02", "'2026-01-01;' is not a date"),
        ("fromDateTime=9999-12-31T23:59:59-23:59,toDateTime=9999-12-31", "out of range"),
        ("fromDateTime=" + "1" * 60 + ",toDateTime=2026-01-01", "malformed"),
    ],
)
def test_malformed_bounds_are_a_400_odata_error(client, tenant, parameters, says):
    token = token_for(tenant)
    response = get(client, f"/v1.0/communications/callRecords/getPstnCalls({parameters})", token)
    assert says in odata_error(response, 400, "BadRequest")


def test_a_token_without_the_read_scope_gets_403(client, tenant):
    token = token_for(tenant, ApiScope.IMPORT, ApiScope.AUTHORIZE)
    response = get(client, pstn_url(T0, DAY_AFTER), token)
    message = odata_error(response, 403, "Forbidden")
    assert "needs the usage:read scope" in message
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_a_read_only_token_may_not_import_nor_authorize(client, tenant):
    token = token_for(tenant, ApiScope.READ)
    headers = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/usage", "/api/v1/calls/authorize"):
        response = client.post(url, data="[]", content_type="application/json", headers=headers)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "insufficient_scope"
        assert "scope" in response.json()["error"]["message"]
        assert CallRecord.objects.count() == 0


def test_no_token_or_an_unknown_one_gets_401_and_other_methods_405(client, tenant):
    for token in (None, "ccu_nothing"):
        response = get(client, pstn_url(T0, DAY_AFTER), token)
        odata_error(response, 401, "InvalidAuthenticationToken")
        assert response["WWW-Authenticate"].startswith("Bearer")
    token = token_for(tenant)
    response = client.post(pstn_url(T0, DAY_AFTER), headers={"Authorization": f"Bearer {token}"})
    odata_error(response, 405, "MethodNotAllowed")
    assert response["Allow"] == "GET"


def test_a_client_request_id_is_echoed_in_errors(client, tenant):
    response = get(client, pstn_url(T0, T0 - timedelta(days=1)), token_for(tenant),
                   **{"client-request-id": "abc-123"})
    odata_error(response, 400, "BadRequest")
    assert response.json()["error"]["innerError"]["client-request-id"] == "abc-123"


def test_a_token_sees_only_its_own_organizations_calls(client, tenant, account, other_tenant):
    calls_made(tenant, account, 6)
    theirs = token_for(other_tenant)
    CreditAccountFactory(tenant=other_tenant)

    response = get(client, pstn_url(T0, DAY_AFTER), theirs)

    assert response.status_code == 200
    assert response.json()["value"] == [] and response.json()["@odata.count"] == 0
    ours = get(client, pstn_url(T0, DAY_AFTER), token_for(tenant)).json()
    assert ours["@odata.count"] == 6


def test_a_skiptoken_is_bound_to_its_organization_and_range(client, tenant, account, other_tenant):
    calls_made(tenant, account, 5)
    ours = token_for(tenant)
    link = get(client, pstn_url(T0, DAY_AFTER, query="$top=2"), ours).json()["@odata.nextLink"]
    path = link.removeprefix("http://testserver")
    skiptoken = path.split("$skiptoken=")[1].split("&")[0]

    assert get(client, path, token_for(other_tenant)).json()["error"]["code"] == "BadRequest"
    other_range = pstn_url(T0, DAY_AFTER + timedelta(days=1), query=f"$skiptoken={skiptoken}")
    assert "$skiptoken is not valid" in odata_error(get(client, other_range, ours), 400,
                                                    "BadRequest")


@pytest.mark.parametrize("change", ["flip", "garbage", "empty", "unsigned"])
def test_a_tampered_or_garbled_skiptoken_is_a_400(client, tenant, account, change):
    calls_made(tenant, account, 3)
    token = token_for(tenant)
    link = get(client, pstn_url(T0, DAY_AFTER, query="$top=1"), token).json()["@odata.nextLink"]
    skiptoken = link.split("$skiptoken=")[1].split("&")[0]
    bad = {
        "flip": skiptoken[:-3] + ("A" if skiptoken[-3] != "A" else "B") + skiptoken[-2:],
        "garbage": "%00%ff' OR 1=1 --",
        "empty": "",
        "unsigned": skiptoken.split(":")[0],
    }[change]
    response = get(client, pstn_url(T0, DAY_AFTER, query=f"$skiptoken={bad}&$top=1"), token)
    assert "$skiptoken is not valid" in odata_error(response, 400, "BadRequest")


@pytest.mark.parametrize("query", ["$skip=1000", "$filter=duration gt 5", "$orderby=id",
                                   "$top=0", "$top=1001", "$top=x", "$top=٣"])
def test_unsupported_query_options_are_400(client, tenant, query):
    response = get(client, pstn_url(T0, DAY_AFTER, query=query), token_for(tenant))
    odata_error(response, 400, "BadRequest")


def test_pages_follow_by_keyset_with_the_same_queries_at_any_depth(client, tenant, account):
    rows = calls_made(tenant, account, 2_300)
    token = token_for(tenant)
    url = pstn_url(T0, T0 + timedelta(days=2))
    seen: list[str] = []
    counts: list[int] = []
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = get(client, url, token)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert body["@odata.count"] == len(body["value"]) <= 1000
        seen += [row["id"] for row in body["value"]]
        counts.append(len(queries))
        assert not any("OFFSET" in query["sql"].upper() for query in queries.captured_queries)
        link = body.get("@odata.nextLink")
        if link:
            assert "$skiptoken=" in link and "$skip=" not in link
        url = link.removeprefix("http://testserver") if link else None

    assert pages == 3 and len(seen) == len(set(seen)) == 2_300
    assert set(seen) == {row["UsageId"] for row in rows}
    # start time, then id: three calls share each start, and the pages split such groups
    assert seen == list(
        CallRecord.objects.filter(tenant=tenant).order_by("start_time", "id")
        .values_list("usage_id", flat=True)
    )
    assert len(set(counts)) == 1, counts  # the same queries on the first page and the last
    assert counts[0] <= 3  # the token (read, last used) and the page


def test_top_asks_for_smaller_pages_and_the_next_link_keeps_it(client, tenant, account):
    calls_made(tenant, account, 7)
    token = token_for(tenant)
    first = get(client, pstn_url(T0, DAY_AFTER, query="$top=3&$count=true"), token).json()
    assert [row["id"] for row in first["value"]] == ["g-00000", "g-00001", "g-00002"]
    assert first["@odata.nextLink"].endswith("&$top=3")
    second = get(client, first["@odata.nextLink"].removeprefix("http://testserver"), token)
    assert [row["id"] for row in second.json()["value"]] == ["g-00003", "g-00004", "g-00005"]
