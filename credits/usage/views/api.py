"""The usage API (README, "Calls: rates, rating and the usage API"): JSON over HTTPS
with a per-tenant bearer token.

- ``POST /api/v1/usage`` (scope ``usage:import``): call records as a JSON list (or
  ``{"records": [...]}``), as the call-record CSV (``Content-Type: text/csv``), or as
  Microsoft Graph rows: a ``getPstnCalls`` page (``{"value": [...]}``) or a list of
  ``pstnCallLogRow`` objects, told from the body or named with ``?format=graph``
  (``?format=records`` for the console's own). Answers the import summary.
- ``POST /api/v1/calls/authorize`` (scope ``calls:authorize``): ``{"upn", "call_type",
  "destination_number", "caller_id"?}``; answers whether the call may start, who pays, or
  why not.

Reading calls is Graph's ``getPstnCalls`` (``credits.usage.views.graph``, scope
``usage:read``).

``Authorization: Bearer <token>`` is required (401 without it or with an unknown or revoked
token; 403 ``insufficient_scope`` when the token lacks the endpoint's scope). A request
may name its tenant (``"tenant"`` in the JSON object, or ``?tenant=``); a token of another
tenant is then refused with 403. Malformed requests get 400 with the reason; a request is
applied entirely or not at all (one transaction).

Every answer is JSON, errors included: ``{"error": {"code", "message"}}``. Pathological
JSON is a 400 with the reason, not a crash: nesting deeper than the parser can follow, an
integer of more than ``MAX_JSON_INT_DIGITS`` digits (Python refuses to convert very long
ones), ``NaN`` and ``Infinity`` (not JSON), text that is not valid Unicode; no field takes a
number with a fraction or an exponent (``1e999999``), so one is refused by type where it
appears. Anything unexpected is a JSON 500, its traceback in the log.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from credits.exceptions import CreditsError, UsageInvalid
from credits.usage.choices import ApiScope, CallType, UsageSource
from credits.usage.services.api_tokens import api_token_authenticate
from credits.usage.services.authorize import call_authorize
from credits.usage.services.imports import (
    ChargeAt,
    usage_import,
    usage_import_csv,
    usage_import_graph,
)
from credits.usage.telephony.graph import looks_like_graph

API_MAX_BODY = 8 * 1024 * 1024
API_MAX_RECORDS = 10_000
MAX_JSON_INT_DIGITS = 100  # as long as an id given as a number may be (UsageId: 100)
# The authorization request's text fields, as long as a call record's may be.
_AUTHORIZE_LIMITS = {"upn": 254, "destination_number": 32, "caller_id": 32, "call_type": 30}

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@dataclass(frozen=True, slots=True)
class ApiRefusal:
    """Why a request's token cannot be used: each API words it in its own error format."""

    status: int
    code: str
    message: str
    headers: dict[str, str]


def api_token_check(request: HttpRequest, *, scope: str) -> ApiRefusal | None:
    """The bearer token, the per-token rate limit and the token's scope (None: all good);
    sets ``request.api_token`` and ``request.api_tenant``."""
    header = request.headers.get("Authorization", "")
    if not header:
        return _unauthorized_refusal("Send your API token: Authorization: Bearer <token>.")
    kind, _, raw = header.partition(" ")
    if kind.lower() != "bearer" or not raw.strip():
        return _unauthorized_refusal("Use the Bearer scheme: Authorization: Bearer <token>.")
    token = api_token_authenticate(raw=raw.strip())
    if token is None:
        return _unauthorized_refusal("This API token is not valid (unknown or revoked).")
    request.api_token = token
    request.api_tenant = token.tenant
    wait = _rate_limit_wait(token.pk)
    if wait:
        limit = settings.USAGE_API_RATE_LIMIT
        return ApiRefusal(
            429, "rate_limited",
            f"This API token sent more than {limit} requests this minute; try again in "
            f"{wait} seconds.",
            {"Retry-After": str(wait)},
        )
    if not token.has_scope(scope):
        return ApiRefusal(
            403, "insufficient_scope",
            gettext(
                "This API token may not %(what)s: it needs the %(scope)s scope (it has: "
                "%(scopes)s). Create a token with that scope (manage.py create_api_token "
                "--scope %(scope)s)."
            ) % {"what": ApiScope(scope).label.lower(), "scope": scope,
                 "scopes": ", ".join(token.scope_list) or "-"},
            {"WWW-Authenticate": f'Bearer realm="usage", error="insufficient_scope", '
                                 f'scope="{scope}"'},
        )
    return None


def _unauthorized_refusal(message: str) -> ApiRefusal:
    return ApiRefusal(
        401, "unauthorized", message,
        {"WWW-Authenticate": 'Bearer realm="usage", error="invalid_token"'},
    )


def api_view(*, scope: str):
    """POST only, CSRF-exempt (no cookies: bearer tokens), token-authenticated with
    ``scope``; the view gets ``request.api_token`` and ``request.api_tenant``. Whatever
    goes wrong, the answer is JSON: a malformed request (Django's ``SuspiciousOperation``)
    400, anything else 500 with the traceback logged."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                return _authenticated(view, scope, request, *args, **kwargs)
            except SuspiciousOperation as error:  # e.g. a query string with too many fields
                logger.warning("Malformed API request %s %s: %s", request.method,
                               request.path, error)
                return _error(400, "bad_request", "The request is malformed.")
            except Exception:
                logger.exception("API request %s %s failed", request.method, request.path)
                return _error(
                    500, "server_error",
                    "Something went wrong on our side; it has been logged. Sending the same "
                    "request again is safe.",
                )

        return wrapper

    return decorator


def _authenticated(view, scope: str, request: HttpRequest, *args, **kwargs):
    """The method, the token and its scope, the body's size and the tenant named in the
    query."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Use POST.")
        response["Allow"] = "POST"
        return response
    refusal = api_token_check(request, scope=scope)
    if refusal is not None:
        response = _error(refusal.status, refusal.code, refusal.message)
        for name, value in refusal.headers.items():
            response[name] = value
        return response
    body = request.read(API_MAX_BODY + 1)
    if len(body) > API_MAX_BODY:
        return _error(
            413, "too_large", f"The request body is over {API_MAX_BODY // (1024 * 1024)} MB."
        )
    request.api_body = body
    named = request.GET.get("tenant", "")
    if named and named != request.api_tenant.slug:
        return _forbidden()
    return view(request, *args, **kwargs)


def _rate_limit_wait(token_id: int) -> int:
    """Seconds until the token may send again (0: now). A fixed one-minute window per
    token, counted in the cache (shared by the server's processes when CACHES is)."""
    limit = settings.USAGE_API_RATE_LIMIT
    if not limit:
        return 0
    now = time.time()
    window = int(now // 60)
    key = f"usage-api-rate:{token_id}:{window}"
    if cache.add(key, 1, timeout=61):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=61)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * 60 - now))


def _forbidden() -> JsonResponse:
    return _error(403, "forbidden", "This API token belongs to another organization.")


@dataclass(frozen=True, slots=True)
class JsonFraction:
    """A JSON number with a fraction or an exponent, as written: no field takes one, so it
    is refused by type where it appears (never converted: ``1e999999`` has no float)."""

    text: str


def _json_int(text: str) -> int:
    if len(text) > MAX_JSON_INT_DIGITS + 1:  # + 1: the sign
        raise UsageInvalid(
            f"The body holds a number of more than {MAX_JSON_INT_DIGITS} digits: no field "
            "takes one."
        )
    return int(text)


def _json_constant(name: str) -> object:
    raise UsageInvalid(f"The body is not valid JSON: {name} is not a JSON value.")


def _json_body(request: HttpRequest) -> object:
    try:
        text = request.api_body.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageInvalid("The body is not UTF-8 text.") from None
    try:
        payload = json.loads(
            text, parse_int=_json_int, parse_float=JsonFraction, parse_constant=_json_constant
        )
    except json.JSONDecodeError as error:
        raise UsageInvalid(
            f"The body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except RecursionError:  # the parser follows nesting with the interpreter's stack
        raise UsageInvalid("The body nests arrays or objects too deeply.") from None
    return payload


def _named_tenant(payload: dict) -> str | None:
    """The tenant a JSON object names (None when it names none)."""
    named = payload.get("tenant")
    if named is not None and not isinstance(named, str):
        raise UsageInvalid("tenant must be text (the organization's slug).")
    return named


def _shown(name: str, limit: int = 40) -> str:
    return repr(name if len(name) <= limit else name[:limit] + "…")


def _content_type(request: HttpRequest) -> str:
    return (request.content_type or "").split(";")[0].strip().lower()


@api_view(scope=ApiScope.IMPORT)
def usage_post(request: HttpRequest) -> JsonResponse:
    tenant = request.api_tenant
    if not request.api_body.strip():
        return _error(400, "usage_invalid", "The body is empty: send call records.")
    try:
        kind = _content_type(request)
        if kind in ("text/csv", "application/csv"):
            try:
                text = request.api_body.decode("utf-8")
            except UnicodeDecodeError:
                raise UsageInvalid("The CSV is not UTF-8 text.") from None
            result = usage_import_csv(
                tenant=tenant, text=text, source=UsageSource.API, chunk_size=None,
                max_records=API_MAX_RECORDS,
            )
        elif kind == "application/json":
            payload = _json_body(request)
            shape = request.GET.get("format", "")
            if shape not in ("", "graph", "records"):
                raise UsageInvalid(
                    gettext("format must be graph or records (default: told from the body).")
                )
            if shape == "graph" or (not shape and looks_like_graph(payload)):
                result = usage_import_graph(
                    tenant=tenant, payload=payload, source=UsageSource.API, chunk_size=None,
                    max_records=API_MAX_RECORDS,
                )
                return JsonResponse(result.as_dict(), status=200)
            if isinstance(payload, dict):
                named = _named_tenant(payload)
                if named is not None and named != tenant.slug:
                    return _forbidden()
                unknown = sorted(set(payload) - {"tenant", "records"})
                if unknown:
                    raise UsageInvalid(
                        f"Unknown field {_shown(unknown[0])}: send records (and tenant)."
                    )
                payload = payload.get("records")
            if not isinstance(payload, list):
                raise UsageInvalid(
                    "Send a JSON list of call records, or an object with a records list."
                )
            if len(payload) > API_MAX_RECORDS:
                raise UsageInvalid(
                    f"{len(payload):,} records is more than {API_MAX_RECORDS:,} per request."
                )
            result = usage_import(
                tenant=tenant, records=list(enumerate(payload, start=1)),
                source=UsageSource.API, charge_at=ChargeAt.IMPORT, chunk_size=None,
                max_records=API_MAX_RECORDS,
            )
        else:
            return _error(
                415, "unsupported_media_type",
                "Send application/json (a list of call records) or text/csv (the "
                "call-record header and rows).",
            )
    except UsageInvalid as error:
        return _error(400, error.code, error.message)
    except CreditsError as error:  # the ledger refused the charges: nothing was applied
        return _error(409, error.code, error.message)
    return JsonResponse(result.as_dict(), status=200)


_AUTHORIZE_FIELDS = {"upn", "call_type", "destination_number", "caller_id", "tenant"}


def _is_unicode(text: str) -> bool:
    """False for text with lone surrogates (``"\\ud800"`` in JSON), which no database stores."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@api_view(scope=ApiScope.AUTHORIZE)
def calls_authorize(request: HttpRequest) -> JsonResponse:
    tenant = request.api_tenant
    if _content_type(request) != "application/json":
        return _error(415, "unsupported_media_type", "Send application/json.")
    try:
        payload = _json_body(request)
        if not isinstance(payload, dict):
            raise UsageInvalid("Send a JSON object.")
        named = _named_tenant(payload)
    except UsageInvalid as error:
        return _error(400, "invalid_request", error.message)
    if named is not None and named != tenant.slug:
        return _forbidden()
    unknown = sorted(set(payload) - _AUTHORIZE_FIELDS)
    if unknown:
        return _error(400, "invalid_request", f"Unknown field {_shown(unknown[0])}.")
    problems = []
    for name in ("call_type", "destination_number"):
        if not isinstance(payload.get(name), str) or not payload[name].strip():
            problems.append(f"{name} is required (text)")
    for name in ("upn", "caller_id"):
        if payload.get(name) is not None and not isinstance(payload[name], str):
            problems.append(f"{name} must be text")
    for name, limit in _AUTHORIZE_LIMITS.items():
        value = payload.get(name)
        if isinstance(value, str) and len(value.strip()) > limit:
            problems.append(f"{name} is longer than {limit} characters")
        elif isinstance(value, str) and not _is_unicode(value):
            problems.append(f"{name} is not valid Unicode text")
    call_type = str(payload.get("call_type") or "").strip().lower()
    if not problems and call_type not in CallType.values:
        problems.append(f"call_type must be one of {', '.join(CallType.values)}")
    if problems:
        return _error(400, "invalid_request", "; ".join(problems) + ".")
    decision = call_authorize(
        tenant=tenant, upn=payload.get("upn") or "", call_type=call_type,
        destination_number=payload["destination_number"].strip(),
        caller_id=(payload.get("caller_id") or "").strip(),
    )
    return JsonResponse(decision.as_dict(), status=200)
