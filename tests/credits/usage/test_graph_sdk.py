"""Microsoft's Graph SDK for Python (msgraph-sdk) reads the console's getPstnCalls as it
reads Graph: the live test server, a bearer token through kiota's authentication
provider, the SDK's PageIterator through 2,500 calls, the same calls and charges as the
PSTN usage report's CSV export of the same days; an answered page re-imports with no
change."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlparse

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.call_records.pstn_call_log_row import PstnCallLogRow
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core.tasks.page_iterator import PageIterator

from accounts.models import Tenant
from credits.models import LedgerEntry
from credits.reports.selectors.pstn_usage import (
    UsageSelection,
    calls_selected,
    usage_export_rows,
)
from credits.reports.writers import csv_lines
from credits.usage.choices import ApiScope
from tests.credits.calls import T0, test_rates  # noqa: F401 - fixture
from tests.credits.usage.graph_calls import calls_made, stored_calls, token_for

# The live server's requests run outside the test's transaction: serialized rollback puts
# back what the migrations seeded (the product catalog) for the tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CALLS = 2_500
FIRST_DAY = T0.date()
LAST_DAY = FIRST_DAY + timedelta(days=1)  # the calls start a minute apart per three: ~14 h


class StaticToken(AccessTokenProvider):
    """The console's API token, for the live server's host only."""

    def __init__(self, token: str, host: str) -> None:
        self.token = token
        self.validator = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri: str, additional_authentication_context=None):
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.validator


def graph_client(live_server, token: str) -> tuple[GraphServiceClient, httpx.AsyncClient]:
    host = urlparse(live_server.url).netloc
    auth = BaseBearerTokenAuthenticationProvider(StaticToken(token, host.split(":")[0]))
    http = httpx.AsyncClient(timeout=60)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = live_server.url + "/v1.0"
    return GraphServiceClient(request_adapter=adapter), http


def pstn_calls(client: GraphServiceClient, start: datetime, end: datetime):
    return client.communications.call_records.\
        microsoft_graph_call_records_get_pstn_calls_with_from_date_time_with_to_date_time(
            from_date_time=start, to_date_time=end
        )


async def every_row(client: GraphServiceClient, start: datetime, end: datetime):
    """Every pstnCallLogRow, paged by the SDK's own PageIterator; and the pages' sizes."""
    first = await pstn_calls(client, start, end).get()
    rows: list[PstnCallLogRow] = []
    sizes = [len(first.value)]

    def collect(row: PstnCallLogRow) -> bool:
        rows.append(row)
        return True

    iterator = PageIterator(first, client.request_adapter)
    original = iterator.fetch_next_page

    async def counted():
        page = await original()
        if page is not None:
            sizes.append(len(page.value or []))
        return page

    iterator.fetch_next_page = counted
    await iterator.iterate(collect)
    return rows, sizes


@pytest.fixture
def contoso_calls(tenant, account, test_rates):  # noqa: F811
    Tenant.objects.filter(pk=tenant.pk).update(created_at=T0 - timedelta(days=30))
    return calls_made(tenant, account, CALLS)


def csv_export(tenant) -> dict[str, dict[str, str]]:
    """Reports > PSTN usage's Export CSV of the days FIRST_DAY to LAST_DAY: the lines its
    view streams, written by the same selectors and writer (the report's own tests sign in
    and download it)."""
    selection = UsageSelection(tenant=tenant, first=FIRST_DAY, last=LAST_DAY)
    text = "".join(csv_lines(usage_export_rows(calls_selected(selection))))
    return {row["UsageId"]: row for row in csv.DictReader(io.StringIO(text))}


def test_the_graph_sdk_pages_through_the_same_calls_as_the_csv_export(
    live_server, tenant, contoso_calls
):
    start = datetime.combine(FIRST_DAY, time.min, tzinfo=UTC)
    end = datetime.combine(LAST_DAY, time.max, tzinfo=UTC)  # inclusive: the whole last day
    sdk, http = graph_client(live_server, token_for(tenant))

    async def read():
        try:
            return await every_row(sdk, start, end)
        finally:
            await http.aclose()

    rows, sizes = asyncio.run(read())

    assert sizes == [1000, 1000, 500]
    exported = csv_export(tenant)
    assert len(rows) == len(exported) == CALLS
    assert {row.id for row in rows} == set(exported)
    for row in rows:
        line = exported[row.id]
        assert Decimal(str(row.charge)) == Decimal(line["Charge"]), row.id
        assert Decimal(str(row.connection_charge)) == Decimal(line["Connection Fee"]), row.id
        assert row.duration == int(line["Duration Seconds"])
        assert row.start_date_time == datetime.fromisoformat(line["Start Time"])
        assert row.end_date_time == datetime.fromisoformat(line["End Time"])
        assert (row.user_id, row.user_principal_name, row.callee_number, row.caller_number,
                row.call_type, row.currency, row.license_capability) == (
            line["AAD ObjectId"], line["UPN"], line["Destination Number"], line["Caller ID"],
            line["Call Type"], line["Currency"], line["Capability"] or None)
        assert row.call_duration_source.value == "microsoft"
    total = sum((Decimal(str(row.charge)) for row in rows), Decimal(0))
    assert total == sum((Decimal(line["Charge"]) for line in exported.values()), Decimal(0))
    assert total > 0


def test_the_sdk_gets_graphs_errors_as_odata_errors(live_server, tenant, contoso_calls):
    async def ask(token: str, start: datetime, end: datetime):
        sdk, http = graph_client(live_server, token)
        try:
            await pstn_calls(sdk, start, end).get()
        except ODataError as error:
            return error.response_status_code, error.error.code, error.error.message
        finally:
            await http.aclose()
        return None

    status, code, message = asyncio.run(ask(token_for(tenant), T0, T0 + timedelta(days=91)))
    assert (status, code) == (400, "BadRequest") and "at most 90 days" in message
    status, code, message = asyncio.run(
        ask(token_for(tenant, ApiScope.IMPORT), T0, T0 + timedelta(days=1))
    )
    assert (status, code) == (403, "Forbidden") and "usage:read" in message


def test_a_page_read_through_the_live_server_reimports_with_no_change(
    live_server, tenant, contoso_calls
):
    start, end = T0, T0 + timedelta(days=1)
    reader = token_for(tenant)
    importer = token_for(tenant, ApiScope.IMPORT)
    before = (stored_calls(tenant), LedgerEntry.objects.count())

    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        page = http.get(
            f"/v1.0/communications/callRecords/getPstnCalls(fromDateTime="
            f"{start.isoformat()},toDateTime={end.isoformat()})",
            headers={"Authorization": f"Bearer {reader}"},
        )
        assert page.status_code == 200 and len(page.json()["value"]) == 1000
        answer = http.post("/api/v1/usage", content=page.content,
                           headers={"Authorization": f"Bearer {importer}",
                                    "Content-Type": "application/json"})

    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert (summary["received"], summary["imported"], summary["duplicates"]) == (1000, 0, 1000)
    assert summary["rejected"] == summary["conflicts"] == []
    assert (stored_calls(tenant), LedgerEntry.objects.count()) == before
    assert json.loads(page.content)["@odata.nextLink"].startswith(live_server.url)
