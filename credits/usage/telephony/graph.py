"""Call records as Microsoft Graph's ``pstnCallLogRow`` (docs/file-formats.md, "Microsoft
Graph: pstnCallLogRow"): the rows ``getPstnCalls`` answers, the rows the usage import
reads from a Graph page, and the function's time range.

Each property maps to one column of the call-record CSV (``GRAPH_COLUMNS``), so a call
reads the same through Graph, the CSV export and the report. On import, the properties
that describe a call's facts feed the same record checks as a CSV row; the charges,
``licenseCapability``, ``destinationContext``, ``destinationName``,
``tenantCountryCode``, ``operator`` and ``callDurationSource`` are ignored (the console
rates every call itself), and so are properties Graph may add later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils.translation import gettext

# Graph's limits for getPstnCalls: a page holds at most 1,000 rows, a request spans at most
# 90 days.
GRAPH_PAGE_SIZE = 1000
GRAPH_MAX_RANGE = timedelta(days=90)
GRAPH_CONTEXT = "$metadata#Collection(microsoft.graph.callRecords.pstnCallLogRow)"

# What the console reports for the properties it has no column for: its records are
# Calling Plans and Communications Credits calls, which Microsoft carries and times.
OPERATOR = "Microsoft"
CALL_DURATION_SOURCE = "microsoft"

# pstnCallLogRow property -> the call-record CSV column it is (docs/file-formats.md).
GRAPH_COLUMNS: dict[str, str] = {
    "id": "UsageId",
    "callId": "Call ID",
    "userId": "AAD ObjectId",
    "userPrincipalName": "UPN",
    "userDisplayName": "User Display Name",
    "startDateTime": "Start Time",
    "endDateTime": "End Time",
    "duration": "Duration Seconds",
    "charge": "Charge",
    "callType": "Call Type",
    "currency": "Currency",
    "calleeNumber": "Destination Number",
    "callerNumber": "Caller ID",
    "usageCountryCode": "User Location",
    "connectionCharge": "Connection Fee",
    "destinationContext": "Domestic/International",
    "destinationName": "Destination Dialed",
    "conferenceId": "Conference ID",
    "licenseCapability": "Capability",
    "inventoryType": "Number Type",
}
# Properties without a column: tenantCountryCode (the organization's country), operator
# and callDurationSource (constants above).
GRAPH_PROPERTIES = (
    *GRAPH_COLUMNS, "tenantCountryCode", "operator", "callDurationSource",
)
# Read on import: the call's facts. The others are the console's own results.
IMPORTED_PROPERTIES = (
    "id", "callId", "conferenceId", "userId", "userPrincipalName", "userDisplayName",
    "callerNumber", "calleeNumber", "callType", "inventoryType", "usageCountryCode",
    "startDateTime", "endDateTime", "duration", "currency",
)
_NUMBER_PROPERTIES = frozenset({"duration"})


# ------------------------------------------------------------------------- export


def _moment(value: datetime) -> str:
    """``2026-11-01T10:00:00Z`` (microseconds kept when the record has them)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text_or_null(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _amount(value: Decimal | None) -> float | None:
    """A JSON number (Graph's Double): the ledger's 4 decimals written as they are
    (``0.0575``), since a float's shortest form gives them back exactly."""
    return None if value is None else float(value)


def graph_row(call: Mapping[str, object], *, tenant_country: str) -> dict[str, object]:
    """One ``pstnCallLogRow`` of a call read by ``credits.usage.selectors.pstn_calls_page``."""
    return {
        "id": call["usage_id"],
        "callId": _text_or_null(call["call_id"]),
        "userId": _text_or_null(call["aad_object_id"] or call["user_object_id"]),
        "userPrincipalName": _text_or_null(call["upn"]),
        "userDisplayName": _text_or_null(call["user_display_name"]),
        "startDateTime": _moment(call["start_time"]),
        "endDateTime": _moment(call["end_time"]),
        "duration": call["duration_seconds"],
        "charge": _amount(call["charge"]),
        "callType": call["call_type"],
        "currency": call["currency"],
        "calleeNumber": _text_or_null(call["destination_number"]),
        "callerNumber": _text_or_null(call["caller_id"]),
        "usageCountryCode": _text_or_null(call["user_location"]),
        "tenantCountryCode": tenant_country or None,
        "connectionCharge": _amount(call["connection_fee"]),
        "destinationContext": _text_or_null(call["reach"]),
        "destinationName": _text_or_null(call["destination_dialed"]),
        "conferenceId": _text_or_null(call["conference_id"]),
        "licenseCapability": _text_or_null(call["capability"]),
        "inventoryType": _text_or_null(call["number_type"]),
        "operator": OPERATOR,
        "callDurationSource": CALL_DURATION_SOURCE,
    }


# ------------------------------------------------------------------------- import


class GraphMalformed(ValueError):
    """The input is not a Graph page (``{"value": [...]}``) nor a list of rows."""


def graph_rows(payload: object) -> list[object]:
    """The rows of a Graph response page (its ``@odata`` annotations ignored) or of a list
    of ``pstnCallLogRow`` objects; ``GraphMalformed`` for anything else."""
    if isinstance(payload, Mapping):
        unknown = sorted(
            str(key) for key in payload if key != "value" and not str(key).startswith("@")
        )
        if unknown:
            raise GraphMalformed(
                gettext(
                    "Unknown property %(name)s: a Graph page has value (and @odata "
                    "annotations)."
                ) % {"name": repr(unknown[0][:40])}
            )
        if "value" not in payload:
            raise GraphMalformed(gettext("A Graph page needs its value list."))
        payload = payload["value"]
    if not isinstance(payload, list):
        raise GraphMalformed(
            gettext("Send a Graph page ({\"value\": [...]}) or a list of pstnCallLogRow objects.")
        )
    return payload


def looks_like_graph(payload: object) -> bool:
    """Whether a JSON body is Graph's: a page with ``value``, or a list whose first row
    has ``startDateTime`` (call-record JSON says ``Start Time`` or ``start_time``)."""
    if isinstance(payload, Mapping):
        return "value" in payload
    return (
        isinstance(payload, list) and bool(payload) and isinstance(payload[0], Mapping)
        and "startDateTime" in payload[0]
    )


def graph_record(row: object, *, index: int) -> dict[str, object]:
    """The call record (CSV column names) of one ``pstnCallLogRow``, for
    ``credits.usage.telephony.records.record_parse``; a row of the wrong shape becomes a
    row it refuses, with the property and the reason."""
    where = f"value[{index}]"
    if not isinstance(row, Mapping):
        return {"__error__": gettext("%(where)s: each row must be a pstnCallLogRow object.")
                % {"where": where}}
    record: dict[str, object] = {}
    usage_id = row.get("id")
    if isinstance(usage_id, str):
        record["UsageId"] = usage_id
    for name in IMPORTED_PROPERTIES:
        value = row.get(name)
        if value is None:
            continue
        if name in _NUMBER_PROPERTIES:
            if isinstance(value, bool) or not isinstance(value, int):
                return {
                    "__error__": gettext(
                        "%(where)s.%(name)s: must be a whole number of seconds."
                    ) % {"where": where, "name": name},
                    **record,
                }
        elif not isinstance(value, str):
            return {
                "__error__": gettext("%(where)s.%(name)s: must be text.")
                % {"where": where, "name": name},
                **record,
            }
        record[GRAPH_COLUMNS[name]] = value
    return record


# The record checks' words for a column (docs/file-formats.md) -> the Graph property, so a
# refused Graph row is reported with Graph's names.
_LABELS = {
    "Duration Seconds": "duration",
    "Destination Number": "calleeNumber",
    "destination number": "calleeNumber",
    "Start Time": "startDateTime",
    "End Time": "endDateTime",
    "UsageId": "id",
    "usage id": "id",
    "Call Type": "callType",
    "call type": "callType",
    "User Location": "usageCountryCode",
    "user location": "usageCountryCode",
    "aad object id": "userId",
    "upn": "userPrincipalName",
    "user display name": "userDisplayName",
    "caller id": "callerNumber",
    "call id": "callId",
    "conference id": "conferenceId",
    "number type": "inventoryType",
    "Currency": "currency",
    "currency": "currency",
}
_LABEL = re.compile(r"\b(" + "|".join(re.escape(label) for label in _LABELS) + r")\b")


def graph_reason(index: int, reason: str) -> str:
    """``value[3].duration: ...``: a record check's reason in Graph's names, prefixed with
    the row and the property it is about."""
    where = f"value[{index}]"
    if reason.startswith(where):  # graph_record's own
        return reason
    first = _LABEL.search(reason)
    worded = _LABEL.sub(lambda match: _LABELS[match.group(1)], reason)
    if first is None:
        return f"{where}: {worded}"
    return f"{where}.{_LABELS[first.group(1)]}: {worded}"


# ------------------------------------------------------------------------- the range


class GraphRangeInvalid(ValueError):
    """The function's parameters are missing, malformed or span more than 90 days."""


@dataclass(frozen=True, slots=True)
class PstnRange:
    """Calls that started from ``start`` to ``end``, both included (UTC)."""

    start: datetime
    end: datetime

    def path_parameters(self) -> str:
        return f"fromDateTime={_moment(self.start)},toDateTime={_moment(self.end)}"


# fromDateTime=...,toDateTime=... in either order, a value optionally in quotes. Microsoft's
# Python SDK (msgraph-sdk 1.65, whose URI templates std-uritemplate 2.0 expands) sends no
# comma between the two: fromDateTime=2026-01-01T00%3A00%3A00%2B00%3A00toDateTime=...
_PARAMETERS = re.compile(
    r"\s*(?P<first>fromDateTime|toDateTime)\s*=\s*'?(?P<first_value>[^,']*?)'?\s*,?"
    r"\s*(?P<second>fromDateTime|toDateTime)\s*=\s*'?(?P<second_value>[^,']*)'?\s*",
    re.IGNORECASE,
)


def _bound(name: str, text: str) -> datetime:
    """A DateTimeOffset (``2026-11-01T10:00:00Z``, ``...+02:00``; without an offset: UTC)
    or a date (midnight UTC)."""
    if not text or len(text) > 40:
        raise GraphRangeInvalid(
            gettext("%(name)s is missing or malformed.") % {"name": name}
        )
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
        if "T" not in text.upper():
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraphRangeInvalid(
            gettext(
                "%(name)s %(value)s is not a date and time such as 2026-11-01T00:00:00Z."
            ) % {"name": name, "value": repr(text)}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise GraphRangeInvalid(
            gettext("%(name)s is out of range.") % {"name": name}
        ) from None


def pstn_range_parse(parameters: str) -> PstnRange:
    """``fromDateTime=...,toDateTime=...`` (either order, the comma optional as the Python
    SDK leaves it out) as a range of at most 90 days; ``GraphRangeInvalid`` with the reason
    otherwise."""
    match = _PARAMETERS.fullmatch(parameters)
    if match is None:
        if not re.search(r"(?i)todatetime", parameters) or not re.search(
            r"(?i)fromdatetime", parameters
        ):
            raise GraphRangeInvalid(gettext("Both fromDateTime and toDateTime are required."))
        raise GraphRangeInvalid(
            gettext(
                "The parameters must be fromDateTime=...,toDateTime=... (got %(value)s)."
            ) % {"value": repr(parameters[:80])}
        )
    names = (match.group("first").lower(), match.group("second").lower())
    if names[0] == names[1]:
        raise GraphRangeInvalid(gettext("Both fromDateTime and toDateTime are required."))
    values = {
        ("fromDateTime" if name == "fromdatetime" else "toDateTime"): match.group(group).strip()
        for name, group in zip(names, ("first_value", "second_value"), strict=True)
    }
    start = _bound("fromDateTime", values["fromDateTime"])
    end = _bound("toDateTime", values["toDateTime"])
    if end < start:
        raise GraphRangeInvalid(gettext("toDateTime is before fromDateTime."))
    if end - start > GRAPH_MAX_RANGE:
        raise GraphRangeInvalid(
            gettext(
                "fromDateTime and toDateTime are %(days)s days apart: a request may span at "
                "most 90 days."
            ) % {"days": f"{(end - start).total_seconds() / 86400:.1f}".removesuffix(".0")}
        )
    return PstnRange(start=start, end=end)
