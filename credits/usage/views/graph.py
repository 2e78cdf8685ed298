"""Microsoft Graph's ``callRecords: getPstnCalls``, answered by the console (README,
"Reading PSTN usage the Microsoft Graph way"), so scripts and Microsoft's SDKs written for
Graph read the console's calls unchanged:

``GET /v1.0/communications/callRecords/getPstnCalls(fromDateTime=...,toDateTime=...)``,
also in the form Microsoft's SDKs send
(``.../callRecords/microsoft.graph.callRecords.getPstnCalls(...)``, the bounds
percent-encoded). ``Authorization: Bearer <token>`` with a usage API token that has the
``usage:read`` scope. The answer is a page of ``pstnCallLogRow`` objects
(``credits.usage.telephony.graph``) with ``@odata.context``, ``@odata.count`` (the rows on
this page) and, while more remain, ``@odata.nextLink``.

- The bounds are UTC, both included, on the call's start; at most 90 days apart.
- At most 1,000 rows a page (``$top`` asks for fewer). Pages follow one another by keyset
  on (start time, id): ``$skiptoken`` is an opaque, signed cursor naming the last row
  sent, so every page costs the same queries however deep, and a tampered or foreign
  cursor is refused.
- Errors are Graph's: ``{"error": {"code", "message", "innerError": {...}}}`` with 400
  ``BadRequest``, 401 ``InvalidAuthenticationToken``, 403 ``Forbidden``, 405, 429
  ``TooManyRequests`` (``Retry-After``) and 500 ``generalException``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import wraps

from django.core import signing
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from credits.usage.choices import ApiScope
from credits.usage.selectors import pstn_calls_page
from credits.usage.telephony.graph import (
    GRAPH_CONTEXT,
    GRAPH_PAGE_SIZE,
    GraphRangeInvalid,
    PstnRange,
    graph_row,
    pstn_range_parse,
)
from credits.usage.views.api import api_token_check

logger = logging.getLogger(__name__)

GRAPH_PATH = "/v1.0/communications/callRecords/getPstnCalls"
_CURSOR_SALT = "credits.usage.graph.pstn-calls"
_QUERY_OPTIONS = {"$skiptoken", "$top", "$count"}
# The console's answers to Graph's error codes for the token checks' refusals.
_GRAPH_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
    500: "generalException",
}


def graph_error(request: HttpRequest, status: int, message: str, **headers) -> JsonResponse:
    """Graph's error body: code, message and the innerError Graph's SDKs read."""
    inner = {
        "date": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
    }
    client_request_id = request.headers.get("client-request-id", "")[:100]
    if client_request_id:
        inner["client-request-id"] = client_request_id
    response = JsonResponse(
        {"error": {"code": _GRAPH_CODES[status], "message": message, "innerError": inner}},
        status=status,
    )
    for name, value in headers.items():
        response[name] = value
    add_never_cache_headers(response)
    return response


def graph_view(view):
    """GET only, CSRF-exempt (bearer tokens, no cookies); whatever goes wrong, a Graph
    error body (500 with the traceback logged)."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            if request.method != "GET":
                return graph_error(request, 405, gettext("Use GET."), Allow="GET")
            refusal = api_token_check(request, scope=ApiScope.READ)
            if refusal is not None:
                return graph_error(
                    request, refusal.status, refusal.message, **refusal.headers
                )
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response
        except SuspiciousOperation as error:
            logger.warning("Malformed Graph request %s: %s", request.path, error)
            return graph_error(request, 400, gettext("The request is malformed."))
        except Exception:
            logger.exception("Graph request %s failed", request.path)
            return graph_error(
                request, 500,
                gettext(
                    "Something went wrong on our side; it has been logged. Sending the same "
                    "request again is safe."
                ),
            )

    return wrapper


class CursorInvalid(ValueError):
    pass


def _cursor(tenant_id: int, wanted: PstnRange, row: dict) -> str:
    """The opaque ``$skiptoken`` after ``row``: signed, bound to the tenant and range."""
    return signing.dumps(
        [tenant_id, wanted.start.isoformat(), wanted.end.isoformat(),
         row["start_time"].astimezone(UTC).isoformat(), row["id"]],
        salt=_CURSOR_SALT, compress=True,
    )


def _cursor_read(text: str, tenant_id: int, wanted: PstnRange) -> tuple[datetime, int]:
    try:
        value = signing.loads(text, salt=_CURSOR_SALT)
    except signing.BadSignature:
        raise CursorInvalid from None
    try:
        owner, start, end, moment, pk = value
        if (owner, start, end) != (tenant_id, wanted.start.isoformat(), wanted.end.isoformat()):
            raise CursorInvalid
        after = datetime.fromisoformat(moment)
        if type(pk) is not int or after.tzinfo is None:
            raise CursorInvalid
    except (TypeError, ValueError):
        raise CursorInvalid from None
    return after, pk


def _top(request: HttpRequest) -> int:
    raw = request.GET.get("$top")
    if raw is None:
        return GRAPH_PAGE_SIZE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= GRAPH_PAGE_SIZE:
        raise ValueError(
            gettext("$top must be a whole number from 1 to %(most)s.") % {"most": GRAPH_PAGE_SIZE}
        )
    return int(raw)


@graph_view
def pstn_calls(request: HttpRequest, parameters: str) -> JsonResponse:
    tenant = request.api_tenant
    try:
        wanted = pstn_range_parse(parameters)
    except GraphRangeInvalid as error:
        return graph_error(request, 400, str(error))
    unsupported = sorted(
        name for name in request.GET if name.startswith("$") and name not in _QUERY_OPTIONS
    )
    if unsupported:
        return graph_error(
            request, 400,
            gettext(
                "The query option %(name)s is not supported here: follow @odata.nextLink "
                "to page."
            ) % {"name": unsupported[0][:40]},
        )
    try:
        size = _top(request)
    except ValueError as error:
        return graph_error(request, 400, str(error))
    after = None
    skiptoken = request.GET.get("$skiptoken")
    if skiptoken is not None:
        try:
            after = _cursor_read(skiptoken, tenant.pk, wanted)
        except CursorInvalid:
            return graph_error(
                request, 400,
                gettext(
                    "$skiptoken is not valid for this request: follow @odata.nextLink as "
                    "it was given."
                ),
            )
    rows = pstn_calls_page(
        tenant=tenant, start=wanted.start, end=wanted.end, after=after, size=size
    )
    page, more = rows[:size], len(rows) > size
    body: dict[str, object] = {
        "@odata.context": request.build_absolute_uri("/v1.0/") + GRAPH_CONTEXT,
        "@odata.count": len(page),
        "value": [graph_row(row, tenant_country=tenant.country) for row in page],
    }
    if more:
        link = request.build_absolute_uri(f"{GRAPH_PATH}({wanted.path_parameters()})")
        link += f"?$skiptoken={_cursor(tenant.pk, wanted, page[-1])}"
        if size != GRAPH_PAGE_SIZE:
            link += f"&$top={size}"
        body["@odata.nextLink"] = link
    return JsonResponse(body)
