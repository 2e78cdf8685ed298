"""Call records in and out (docs/file-formats.md): the CSV header, JSON objects, validation.

Import accepts the PSTN usage report's header; ``Charge``, ``Connection Fee``,
``Currency``, ``Capability``, ``Domestic/International`` and ``Destination Dialed`` may be
empty, because the console rates each call itself (and ignores what a file says there).
JSON objects may use the same column names or their snake_case forms (``usage_id``,
``destination_number``, ...). Times are ISO 8601, UTC when no offset is given.

Every row is checked, not trusted (README, "Calls: rates, rating and the usage API"):
End Time not before Start Time, ``Duration Seconds`` within ``DURATION_TOLERANCE_SECONDS``
of End Time − Start Time, and, against the import's clock (``RecordWindow``), a start no
more than ``FUTURE_TOLERANCE`` ahead and inside the retention window
(``CALL_RETENTION_MONTHS``).

A row's *fingerprint* hashes the facts of the call (ids, who, numbers, times, duration):
the same UsageId imported again with the same facts is a duplicate; with different facts,
a conflict.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from accounts.spreadsheets import cell_restore
from credits.common.dates import months_add
from credits.usage.choices import CallType

HEADER = (
    "UsageId", "Call ID", "Conference ID", "User Location", "AAD ObjectId", "UPN",
    "User Display Name", "Caller ID", "Call Type", "Number Type", "Domestic/International",
    "Destination Dialed", "Destination Number", "Start Time", "End Time", "Duration Seconds",
    "Connection Fee", "Charge", "Currency", "Capability",
)

# Normalized column name -> CallInput field (None: output columns, accepted and ignored).
_COLUMNS: dict[str, str | None] = {
    "usageid": "usage_id",
    "callid": "call_id",
    "conferenceid": "conference_id",
    "userlocation": "user_location",
    "aadobjectid": "aad_object_id",
    "upn": "upn",
    "userdisplayname": "user_display_name",
    "callerid": "caller_id",
    "calltype": "call_type",
    "numbertype": "number_type",
    "domesticinternational": None,
    "destinationdialed": None,
    "destinationnumber": "destination_number",
    "starttime": "start_time",
    "endtime": "end_time",
    # the Excel export's names (its date-time cells carry no zone: the header says UTC)
    "starttimeutc": "start_time",
    "endtimeutc": "end_time",
    "durationseconds": "duration_seconds",
    "connectionfee": None,
    "charge": None,
    "currency": "currency",
    "capability": None,
}
REQUIRED_COLUMNS = ("UsageId", "Call Type", "Destination Number", "Start Time", "End Time")
_LIMITS = {
    "usage_id": 100, "call_id": 100, "conference_id": 100, "aad_object_id": 64, "upn": 254,
    "user_display_name": 200, "caller_id": 32, "number_type": 30, "destination_number": 32,
    "currency": 10,
}
MAX_FIELDS = 2 * len(HEADER)  # a JSON object may mix the header's names and snake_case
MAX_DURATION_SECONDS = 2 * 24 * 3600
# Duration Seconds may differ from End Time - Start Time by rounding, not more.
DURATION_TOLERANCE_SECONDS = 2
# A call may start a little after the import's clock (clocks drift), not more.
FUTURE_TOLERANCE = timedelta(minutes=5)
# The retention window: call records are accepted for the last 13 calendar months. Reports >
# PSTN usage offers ranges of up to 366 days and a fund lot lives 12 months
# (credits/common/dates.py), so 13 months covers both, with a month's margin for records
# that arrive late (a call platform catching up, a month's file sent after it closes).
CALL_RETENTION_MONTHS = 13
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COUNTRY = re.compile(r"[A-Z]{2}")
_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")
_CALL_TYPES = frozenset(CallType.values)


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=512)
def column_key(name: str) -> str:
    return _NOT_ALNUM.sub("", str(name).lower())


@lru_cache(maxsize=256)
def _fields_of(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(given name, CallInput field) for the columns of a row that feed the record."""
    pairs = []
    for name in names:
        field = _COLUMNS.get(column_key(name)) if isinstance(name, str) else None
        if field:
            pairs.append((name, field))
    return tuple(pairs)


class RecordCode:
    """The codes of a refused row (the import's "rejected" list)."""

    INVALID = "invalid_record"
    START_IN_FUTURE = "start_in_future"
    END_IN_FUTURE = "end_in_future"
    START_TOO_OLD = "start_too_old"
    START_BEFORE_TENANT = "start_before_tenant"


class RecordError(ValueError):
    """One row cannot be imported; ``reason`` says why, ``code`` is stable."""

    def __init__(self, reason: str, *, code: str = RecordCode.INVALID) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RecordsMalformed(ValueError):
    """The whole input is unusable (not CSV with the header, not a JSON list...)."""


class CallInput(NamedTuple):
    """One call record as given, validated; ``line`` is where it was in the input.

    A named tuple, as the other values built once per call (``rating.Payment``, the
    ledger's ``UsageCharge``): as immutable as a frozen dataclass and built seven times
    faster (0.6 against 4.1 µs), which an import of 100,000 calls feels
    (docs/benchmarks.md, "Usage import")."""

    line: int
    usage_id: str
    call_id: str
    conference_id: str
    user_location: str
    aad_object_id: str
    upn: str
    user_display_name: str
    caller_id: str
    call_type: str
    number_type: str
    destination_number: str
    start_time: datetime
    end_time: datetime
    duration_seconds: int
    currency: str
    fingerprint: str


def _shown(raw: object, limit: int = 40) -> str:
    """``raw`` quoted for a reason, cut to ``limit`` characters (inputs can be huge)."""
    text = raw if isinstance(raw, str) else str(raw)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(values: dict[str, object], field: str) -> str:
    value = values.get(field)
    if value is None:
        return ""
    if type(value) is not str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise RecordError(f"{field.replace('_', ' ')} must be text")
        value = str(value)
    value = value.strip()
    limit = _LIMITS.get(field)
    if limit and len(value) > limit:
        raise RecordError(f"{field.replace('_', ' ')} is longer than {limit} characters")
    if not value.isprintable():
        if _CONTROL.search(value):
            raise RecordError(f"{field.replace('_', ' ')} contains control characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON)
            raise RecordError(f"{field.replace('_', ' ')} is not valid Unicode text") from None
    return value


def _time(values: dict[str, object], field: str) -> datetime:
    raw = _text(values, field)
    label = "Start Time" if field == "start_time" else "End Time"
    if not raw:
        raise RecordError(f"{label} is missing")
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00+01:00 in UTC
        raise RecordError(f"{label} {_shown(raw)} is not an ISO 8601 date and time") from None


def _duration(values: dict[str, object], start: datetime, end: datetime) -> int:
    raw = values.get("duration_seconds")
    span = (end - start).total_seconds()
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return int(span)
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise RecordError("Duration Seconds must be a whole number of seconds")
    text = str(raw).strip()
    if not _WHOLE.fullmatch(text):
        raise RecordError(f"Duration Seconds {_shown(raw)} is not a whole number of seconds")
    seconds = int(text)
    if seconds < 0:
        raise RecordError("Duration Seconds cannot be negative")
    if abs(seconds - span) > DURATION_TOLERANCE_SECONDS:
        longer = "longer" if seconds > span else "shorter"
        raise RecordError(
            f"Duration Seconds ({seconds}) is {longer} than the time between Start Time and "
            f"End Time ({_number(span)} s) by more than {DURATION_TOLERANCE_SECONDS} seconds"
        )
    return seconds


def record_parse(raw: Mapping[str, object], *, line: int) -> CallInput:
    """Validate one row (column names as in the CSV header or snake_case).

    A row of plain, valid text (a CSV row, the simulator's) takes ``_valid_parse``: the
    same record, fingerprint included, without a function call per field. Anything else
    (a missing, long or odd value, a number, a bad time) goes through the field-by-field
    checks below, which find the first problem and say what it is.
    """
    call = _valid_parse(raw, line)
    if call is not None:
        return call
    return _checked_parse(raw, line=line)


# The fields the fast path reads, by position: a row gives every field of ``CallInput``
# but its line and fingerprint. ``_names_of`` gives, for a row's column names, the name
# that feeds each of them (None: the row has no such column).
_READ = CallInput._fields[1:-1]
_READ_LIMITS = tuple(
    (index, _LIMITS[field]) for index, field in enumerate(_READ) if field in _LIMITS
)


@lru_cache(maxsize=256)
def _names_of(names: tuple[str, ...]) -> tuple[str | None, ...]:
    """For each of ``_READ``, the column of ``names`` that gives it (the last one when
    two do, as ``_checked_parse`` reads them), or None."""
    given = {field: name for name, field in _fields_of(names)}
    return tuple(given.get(field) for field in _READ)


def _valid_parse(raw: object, line: int) -> CallInput | None:
    """``raw`` as a ``CallInput`` when every value is a string that passes the checks,
    else None (the caller then runs the checks that explain why)."""
    if type(raw) is not dict or len(raw) > MAX_FIELDS or "__error__" in raw:
        return None
    try:
        # A str subclass (an enum member) strips to its text, as the checks take it;
        # anything else (a number, None, bytes...) is theirs to explain.
        texts = [raw[name].strip() if name is not None else "" for name in _names_of(tuple(raw))]
        printable = "".join(texts).isprintable()
    except (AttributeError, TypeError):
        return None
    if not printable:
        return None
    for index, limit in _READ_LIMITS:
        if len(texts[index]) > limit:
            return None
    (
        usage_id, call_id, conference_id, location, aad_object_id, upn, display_name,
        caller_id, call_type, number_type, destination, start_text, end_text, given, currency,
    ) = texts
    call_type = call_type.lower()
    location = location.upper()
    if (
        not usage_id or call_type not in _CALL_TYPES or not destination
        or (location and not _COUNTRY.fullmatch(location))
    ):
        return None
    try:
        start = datetime.fromisoformat(start_text)
        end = datetime.fromisoformat(end_text)
        if start.tzinfo is not UTC:
            start = (start.replace(tzinfo=UTC) if start.tzinfo is None else start).astimezone(UTC)
        if end.tzinfo is not UTC:
            end = (end.replace(tzinfo=UTC) if end.tzinfo is None else end).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    span = (end - start).total_seconds()
    if span < 0 or span > MAX_DURATION_SECONDS:
        return None
    if not given:
        duration = int(span)
    elif _WHOLE.fullmatch(given):
        duration = int(given)
        if duration < 0 or abs(duration - span) > DURATION_TOLERANCE_SECONDS:
            return None
    else:
        return None
    upn = upn.lower()
    facts = "\x1f".join(
        (
            usage_id, call_id, conference_id, upn, caller_id, call_type, destination,
            start.isoformat(), end.isoformat(), str(duration),
        )
    )
    return CallInput(
        line, usage_id, call_id, conference_id, location, aad_object_id, upn, display_name,
        caller_id, call_type, number_type, destination, start, end, duration,
        currency.upper(), hashlib.sha256(facts.encode()).hexdigest(),
    )


def _checked_parse(raw: Mapping[str, object], *, line: int) -> CallInput:
    """Validate one row field by field: the first problem found is the one reported."""
    if not isinstance(raw, Mapping):
        raise RecordError("each record must be an object with the call record's columns")
    if "__error__" in raw:  # a CSV row csv_records could not read
        error = raw["__error__"]
        raise RecordError(error[:200] if isinstance(error, str) else "is not a call record")
    if len(raw) > MAX_FIELDS:
        raise RecordError(f"has {len(raw)} fields; a call record has {len(HEADER)}")
    values = {field: raw[name] for name, field in _fields_of(tuple(raw))}
    usage_id = _text(values, "usage_id")
    if not usage_id:
        raise RecordError("UsageId is missing")
    call_type = _text(values, "call_type").lower()
    if not call_type:
        raise RecordError("Call Type is missing")
    if call_type not in _CALL_TYPES:
        raise RecordError(
            f"Call Type {_shown(call_type)} is not one of {', '.join(sorted(_CALL_TYPES))}"
        )
    destination = _text(values, "destination_number")
    if not destination:
        raise RecordError("Destination Number is missing")
    start, end = _time(values, "start_time"), _time(values, "end_time")
    if end < start:
        raise RecordError("End Time is before Start Time")
    if (end - start).total_seconds() > MAX_DURATION_SECONDS:
        raise RecordError("the call lasts more than 48 hours")
    duration = _duration(values, start, end)
    location = _text(values, "user_location").upper()
    if location and not _COUNTRY.fullmatch(location):
        raise RecordError(
            f"User Location {_shown(location)} is not a two-letter country code"
        )
    currency = _text(values, "currency").upper()
    upn = _text(values, "upn").lower()
    call_id = _text(values, "call_id")
    conference_id = _text(values, "conference_id")
    caller_id = _text(values, "caller_id")
    facts = "\x1f".join(
        (
            usage_id, call_id, conference_id, upn, caller_id, call_type, destination,
            start.isoformat(), end.isoformat(), str(duration),
        )
    )
    return CallInput(
        line=line,
        usage_id=usage_id,
        call_id=call_id,
        conference_id=conference_id,
        user_location=location,
        aad_object_id=_text(values, "aad_object_id"),
        upn=upn,
        user_display_name=_text(values, "user_display_name"),
        caller_id=caller_id,
        call_type=call_type,
        number_type=_text(values, "number_type"),
        destination_number=destination,
        start_time=start,
        end_time=end,
        duration_seconds=duration,
        currency=currency,
        fingerprint=hashlib.sha256(facts.encode()).hexdigest(),
    )


def calls_kept_since(now: datetime) -> datetime:
    """The start of the retention window at ``now``: ``CALL_RETENTION_MONTHS`` earlier."""
    return months_add(now.astimezone(UTC), -CALL_RETENTION_MONTHS)


@dataclass(frozen=True, slots=True)
class RecordWindow:
    """When the calls of one import may have started: from the retention window's start
    (and, when ``tenant_since`` is set, from the organization's creation) to
    ``FUTURE_TOLERANCE`` after ``now``, the import's clock."""

    now: datetime
    tenant_since: datetime | None = None

    def check(self, call: CallInput) -> None:
        """Raise ``RecordError`` (with its code) when ``call`` falls outside the window."""
        start = call.start_time
        if start > self.now + FUTURE_TOLERANCE:
            raise RecordError(
                f"Start Time {_stamp(start)} is in the future: more than "
                f"{FUTURE_TOLERANCE.seconds // 60} minutes after the import's time "
                f"({_stamp(self.now)})",
                code=RecordCode.START_IN_FUTURE,
            )
        if call.end_time > self.now + FUTURE_TOLERANCE:  # a record is of a finished call
            raise RecordError(
                f"End Time {_stamp(call.end_time)} is in the future: more than "
                f"{FUTURE_TOLERANCE.seconds // 60} minutes after the import's time "
                f"({_stamp(self.now)})",
                code=RecordCode.END_IN_FUTURE,
            )
        kept_since = calls_kept_since(self.now)
        if start < kept_since:
            raise RecordError(
                f"Start Time {_stamp(start)} is older than the {CALL_RETENTION_MONTHS} months "
                f"of call records the console accepts (from {_stamp(kept_since)})",
                code=RecordCode.START_TOO_OLD,
            )
        if self.tenant_since is not None and start < self.tenant_since:
            raise RecordError(
                f"Start Time {_stamp(start)} is before the organization was set up in the "
                f"console ({_stamp(self.tenant_since)})",
                code=RecordCode.START_BEFORE_TENANT,
            )


def csv_records(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a call-record CSV; the header is line 1.

    A cell the console's exports neutralized (``'=...``, docs/file-formats.md) reads back
    as the value it was written from. Raises ``RecordsMalformed`` when the header lacks a
    required column or names one the format does not have.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RecordsMalformed("The file is empty: expected the call-record header.") from None
    except csv.Error as error:
        raise RecordsMalformed(f"Line 1 is not valid CSV: {error}.") from None
    header = [name.strip() for name in header]
    unknown = [name for name in header if name and column_key(name) not in _COLUMNS]
    if unknown:
        raise RecordsMalformed(
            f"Line 1: unknown column {unknown[0]!r}; the header is: {','.join(HEADER)}"
        )
    present = {_COLUMNS.get(column_key(name)) for name in header}  # "Start Time (UTC)" too
    missing = [
        name for name in REQUIRED_COLUMNS if _COLUMNS[column_key(name)] not in present
    ]
    if missing:
        raise RecordsMalformed(
            f"Line 1: the header lacks {', '.join(missing)}; the header is: {','.join(HEADER)}"
        )
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RecordsMalformed(f"Line {reader.line_num} is not valid CSV: {error}.") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield line, {"__error__": f"has {len(row)} fields, the header has {len(header)}"}
            continue
        # The console's own exports quote text a spreadsheet would run as a formula
        # (accounts.spreadsheets); the quote is theirs, not the value's.
        yield line, dict(zip(header, map(cell_restore, row), strict=True))


def csv_write_header() -> str:
    return ",".join(HEADER) + "\r\n"
