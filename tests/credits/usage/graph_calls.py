"""Helpers for the tests of Graph's getPstnCalls and of the Graph row import: a tenant with
charged calls, tokens with scopes, and the function's URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from accounts.models import Tenant
from credits.models import CallRecord
from credits.usage.choices import ApiScope
from credits.usage.services.api_tokens import api_token_create
from tests.credits.calls import (
    CREDITS,
    DE_FIXED,
    DOMESTIC,
    GB_FIXED,
    T0,
    US_FIXED,
    import_rows,
    person,
    record,
)
from tests.credits.factories import fund

GRAPH = "/v1.0/communications/callRecords"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def pstn_url(start: datetime, end: datetime, *, sdk: bool = False, query: str = "") -> str:
    """getPstnCalls as Graph's docs write it, or exactly as Microsoft's Python SDK sends it
    (its own request builder: the function's full name, the bounds percent-encoded, and no
    comma between them)."""
    if sdk:
        path = str(sdk_request_builder(start, end).to_get_request_information().url)
        return "/v1.0" + path + (f"?{query}" if query else "")
    return (f"{GRAPH}/getPstnCalls(fromDateTime={stamp(start)},toDateTime={stamp(end)})"
            + (f"?{query}" if query else ""))


def sdk_request_builder(start: datetime, end: datetime):
    from kiota_abstractions.authentication import AnonymousAuthenticationProvider
    from msgraph import GraphRequestAdapter, GraphServiceClient

    client = GraphServiceClient(
        request_adapter=GraphRequestAdapter(AnonymousAuthenticationProvider())
    )
    return client.communications.call_records.\
        microsoft_graph_call_records_get_pstn_calls_with_from_date_time_with_to_date_time(
            from_date_time=start, to_date_time=end
        )


def encoded_url(start: datetime, end: datetime) -> str:
    """The function's full name with the bounds as ``isoformat()`` percent-encoded."""
    return (
        f"{GRAPH}/microsoft.graph.callRecords.getPstnCalls("
        f"fromDateTime={quote(start.isoformat(), safe='')},"
        f"toDateTime={quote(end.isoformat(), safe='')})"
    )


def token_for(tenant: Tenant, *scopes: str) -> str:
    return api_token_create(
        tenant=tenant, name="Billing script", scopes=scopes or (ApiScope.READ,)
    )[1]


def get(client, url: str, token: str | None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(url, headers=headers)


def staff_of(tenant: Tenant) -> dict:
    """Two callers: ana (a Domestic Calling Plan, then credits) and cy (credits only)."""
    return {
        "ana": person(tenant, "ana", DOMESTIC, CREDITS),
        "cy": person(tenant, "cy", CREDITS),
    }


def calls_made(tenant: Tenant, account, count: int, *, start: datetime = T0,
               prefix: str = "g") -> list[dict[str, str]]:
    """``count`` calls from ``start``, three at a time starting in the same second (so
    pages break inside a group of equal start times), to fixed numbers in three
    countries, charged to funded credits; answers their rows."""
    fund(account, "5000.00")
    people = staff_of(tenant)
    destinations = (US_FIXED, GB_FIXED, DE_FIXED)
    rows = [
        record(
            upn=people["cy" if n % 2 else "ana"].username,
            destination=destinations[n % 3], caller="+12065550199",
            start=start + timedelta(minutes=n // 3), seconds=30 + n % 200,
            uid=f"{prefix}-{n:05d}",
        )
        for n in range(count)
    ]
    result = import_rows(tenant, rows)
    assert result.imported == count, (result.rejected[:3], result.conflicts[:3])
    return rows


def stored_calls(tenant: Tenant) -> list[tuple]:
    return list(
        CallRecord.objects.filter(tenant=tenant).order_by("usage_id")
        .values_list("usage_id", "start_time", "duration_seconds", "charge", "entry_id")
    )
