"""The usage import: one path for files (``manage.py import_usage``), the usage API and
the simulator. Every call record is validated, rated and, when credits pay part of it,
charged through the ledger (docs/architecture.md, "How a call record flows").

- **Idempotent by UsageId.** A record whose UsageId was imported before with the same
  facts is a duplicate and changes nothing; with different facts it is a *conflict*,
  reported and not imported. The same holds inside one input.
- **Bad rows are reported by line** (a Graph page's by index: ``value[3].duration``)
  with the reason and a code; good rows go in. Rows are
  checked, not trusted (``credits.usage.telephony.records``): End Time after Start Time,
  Duration Seconds within 2 seconds of End Time − Start Time, a start no more than 5
  minutes after the import's clock (``now``) nor older than the retention window
  (``CALL_RETENTION_MONTHS``). Records from the usage API must also start after the
  organization was set up in the console (``Tenant.created_at``): the API is the call
  platform's live feed. Files may bring earlier history (an export re-imported into a new
  organization), and simulated traffic (the simulator, the demo) is backdated by design.
- **Batched.** Calls are rated in time order (pools are drawn first come, first
  served) in chunks of ``CHUNK_SIZE``; each chunk is one transaction that first locks
  the tenant's row, so imports of one tenant are serialized (two processes importing the
  same file at once charge once). Everything rating needs is read in batches: no query
  per row. Each charged call posts **one** usage entry keyed ``usage:<UsageId>`` through
  ``ledger.usage_charge_many``; the record points at it. The chunk's new records are
  added to the report's per-day rollup (``call_summaries_add_rows``) in the same
  transaction.
- **Set-based on PostgreSQL.** A chunk's UsageIds are staged with COPY in a temporary
  table joined to the call records in one statement (the duplicates and conflicts), the
  records are written with COPY, the rollup by one ``INSERT ... ON CONFLICT DO UPDATE``;
  elsewhere (SQLite) ``IN`` look-ups in batches and bulk inserts, with the same results.
  After the import, the tables it grew past ``credits.common.bulk.statistics_refresh``'s
  threshold are analyzed (``UsageImported.analyzed``).
- **Negative balance policy.** A record is a call that was allowed when it started, so
  it is charged in full, even when that takes the balance below zero (the deficit);
  ``credits.usage.services.authorize.call_authorize`` is what refuses new paid calls at a balance
  of zero or below.
- After each chunk with charges commits, the auto-recharge engine's ``recharge_check`` runs,
  then the spend controls' ``spend_check`` (the unusual-spend alert, the daily cap).
- **Calling restrictions.** A call the organization's restrictions block is still rated
  and charged (the record is a fact), and flagged with the restriction's code
  (``CallRecord.restriction``).

Charges take effect at import time, or at each call's end time with
``charge_at=ChargeAt.CALL_END`` (replaying history in time order: the simulator and the
demo). A request to the API is a single chunk: it applies entirely or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.db import connection, transaction
from django.utils import timezone

from accounts.batching import collector_paused, in_batches
from accounts.models import Tenant
from credits.billing.services.auto_recharge import recharge_check
from credits.common.bulk import copy_available, rows_insert, staging_copy, statistics_refresh
from credits.common.dates import month_of
from credits.common.money import ZERO
from credits.exceptions import UsageInvalid
from credits.ledger import services as ledger
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.selectors import credit_account_for_tenant
from credits.usage.choices import CallType, UsageSource
from credits.usage.models.calls import CallRecord, MinutePool
from credits.usage.selectors import pool_used_load, rating_context_load
from credits.usage.services.controls import spend_check
from credits.usage.services.summaries import call_summaries_add_rows
from credits.usage.telephony.graph import GraphMalformed, graph_reason, graph_record, graph_rows
from credits.usage.telephony.rating import Rating, RatingContext, RatingRefused, call_rate
from credits.usage.telephony.records import (
    FUTURE_TOLERANCE,
    CallInput,
    RecordCode,
    RecordError,
    RecordsMalformed,
    RecordWindow,
    calls_kept_since,
    csv_records,
    record_parse,
)

CHUNK_SIZE = 5000
MAX_RECORDS = 100_000
USAGE_KEY_PREFIX = "usage:"
STAGING_TABLE = "credits_import_keys"  # a chunk's UsageIds, for the duplicate look-up


class ChargeAt(StrEnum):
    IMPORT = "import"  # the charge takes effect when the record is imported
    CALL_END = "call-end"  # at the call's end time (history replays, in time order)


class ProblemCode:
    INVALID_RECORD = RecordCode.INVALID  # and the other RecordCode values
    CURRENCY = "currency_mismatch"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class RowProblem:
    line: int
    usage_id: str
    code: str
    reason: str
    position: str = "line"  # what ``line`` is: a CSV line or API position, a Graph "index"

    def as_dict(self) -> dict[str, object]:
        return {self.position: self.line, "usage_id": self.usage_id, "code": self.code,
                "reason": self.reason}


@dataclass(frozen=True)
class Positions:
    """How an input names where a record is in its problems: ``line 3`` for files and the
    API's records (their position from 1); Graph pages override it (``GRAPH_POSITIONS``)."""

    key: str = "line"

    def at(self, line: int) -> str:
        return f"line {line}"

    def reason(self, line: int, reason: str) -> str:
        return reason

    def problem(self, line: int, usage_id: str, code: str, reason: str) -> RowProblem:
        return RowProblem(line, usage_id, code, self.reason(line, reason), self.key)


@dataclass(frozen=True)
class GraphPositions(Positions):
    """A Graph page's rows, by their index in ``value`` (from 0), each reason in Graph's
    property names: ``value[3].duration: ...``."""

    key: str = "index"

    def at(self, line: int) -> str:
        return f"value[{line}]"

    def reason(self, line: int, reason: str) -> str:
        return graph_reason(line, reason)


LINES = Positions()
GRAPH_POSITIONS = GraphPositions()


@dataclass
class UsageImported:
    """What an import did: the summary the command prints and the API returns."""

    currency: str
    received: int = 0
    imported: int = 0
    duplicates: int = 0
    conflicts: list[RowProblem] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    pool_minutes: int = 0
    charged_minutes: int = 0
    calls_charged: int = 0
    amount_charged: Decimal = ZERO
    analyzed: list[str] = field(default_factory=list)  # tables whose statistics it refreshed

    def as_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "conflicts": [problem.as_dict() for problem in self.conflicts],
            "rejected": [problem.as_dict() for problem in self.rejected],
            "pool_minutes": self.pool_minutes,
            "charged_minutes": self.charged_minutes,
            "calls_charged": self.calls_charged,
            "amount_charged": str(self.amount_charged),
            "currency": self.currency,
        }


def usage_key(usage_id: str) -> str:
    """The ledger idempotency key of a call's charge."""
    return f"{USAGE_KEY_PREFIX}{usage_id}"


@collector_paused()  # the import's objects live to its end (accounts/batching.py)
def usage_import(
    *,
    tenant: Tenant,
    records: Iterable[tuple[int, Mapping[str, object]]],
    source: str,
    charge_at: ChargeAt = ChargeAt.IMPORT,
    chunk_size: int | None = CHUNK_SIZE,
    max_records: int = MAX_RECORDS,
    now: datetime | None = None,
    positions: Positions = LINES,
    context: RatingContext | None = None,
) -> UsageImported:
    """Import ``(line, record)`` pairs for ``tenant``; see the module docstring.

    ``chunk_size=None`` imports everything in one transaction (the API). ``now`` is the
    import's clock the rows' times are checked against (default: the current time; a
    replay of history as of another moment, such as the demo's, passes its own).
    ``context`` is the rating context of the calls' users when the caller holds it
    already (the demo's history, day after day: ``credits.demo.calls``); by default it
    is loaded. The minutes used of the pools are read afresh either way. Raises
    ``UsageInvalid`` (nothing imported) when there are more than ``max_records``; a
    ledger error (a closed account, ...) stops the import with the chunks before it
    committed, which a rerun skips as duplicates.
    """
    result = UsageImported(currency=tenant.currency)
    window = RecordWindow(
        now=now or timezone.now(),
        tenant_since=tenant.created_at if source == UsageSource.API else None,
    )
    calls = _validated(tenant, records, result, max_records, window, positions)
    if not calls:
        return result
    calls.sort(key=lambda call: (call.start_time, call.end_time, call.usage_id))
    account = credit_account_for_tenant(tenant)
    if context is None:
        context = rating_context_load(
            tenant=tenant, upns={call.upn for call in calls}, account=account
        )
    else:  # the caller's: its pools' minutes are not this import's
        context = replace(context, pool_used={}, pool_touched=set())
    size = chunk_size or len(calls)
    for start in range(0, len(calls), size):
        _import_chunk(
            tenant=tenant, account=account, calls=calls[start : start + size],
            context=context, source=source, charge_at=charge_at, result=result,
            positions=positions,
        )
    result.rejected.sort(key=lambda problem: problem.line)
    result.conflicts.sort(key=lambda problem: problem.line)
    if not connection.in_atomic_block:  # the API's request may be one transaction
        result.analyzed = usage_statistics_refresh(
            calls=result.imported, charged=result.calls_charged
        )
    return result


def usage_statistics_refresh(*, calls: int, charged: int) -> list[str]:
    """ANALYZE the call records and ledger tables when an import (or a bulk load) grew
    them past ``credits.common.bulk.statistics_refresh``'s threshold; PostgreSQL only.
    The duplicate look-up and the reports plan from these statistics."""
    return statistics_refresh(
        {CallRecord: calls, LedgerEntry: charged, LotMovement: charged},
        columns={CallRecord: CALL_PLANNER_FIELDS},
    )


# The call records' columns the console's queries filter, join, group or sort on: the
# import's ANALYZE reads only these (the other twenty, free text most of them, doubled
# its time); autovacuum's ANALYZE covers them all.
CALL_PLANNER_FIELDS = (
    "id", "tenant", "usage_id", "user", "start_time", "call_type", "capability",
    "pool_capability", "rated_country", "charge", "restriction", "entry", "upn",
    "user_display_name",
)


@collector_paused()  # the rows read too
def usage_import_csv(
    *,
    tenant: Tenant,
    text: str,
    source: str,
    charge_at: ChargeAt = ChargeAt.IMPORT,
    chunk_size: int | None = CHUNK_SIZE,
    max_records: int = MAX_RECORDS,
    now: datetime | None = None,
) -> UsageImported:
    """Import a call-record CSV (the header of docs/file-formats.md); ``UsageInvalid``
    when it is not one."""
    try:
        rows = list(_bounded(csv_records(text), max_records))
    except RecordsMalformed as error:
        raise UsageInvalid(str(error)) from None
    return usage_import(
        tenant=tenant, records=rows, source=source, charge_at=charge_at,
        chunk_size=chunk_size, max_records=max_records, now=now,
    )


@collector_paused()  # the rows read too
def usage_import_graph(
    *,
    tenant: Tenant,
    payload: object,
    source: str,
    charge_at: ChargeAt = ChargeAt.IMPORT,
    chunk_size: int | None = CHUNK_SIZE,
    max_records: int = MAX_RECORDS,
    now: datetime | None = None,
) -> UsageImported:
    """Import a Microsoft Graph ``getPstnCalls`` page (``{"value": [...]}``) or a list of
    ``pstnCallLogRow`` objects (docs/file-formats.md): each row is mapped to a call record
    and checked as a CSV row is, idempotent by ``id`` (the UsageId), its problems reported
    by index (``value[3].duration: ...``). ``UsageInvalid`` when it is neither."""
    try:
        rows = graph_rows(payload)
    except GraphMalformed as error:
        raise UsageInvalid(str(error)) from None
    if len(rows) > max_records:
        raise UsageInvalid(
            f"More than {max_records:,} call records in one import: split the input."
        )
    return usage_import(
        tenant=tenant,
        records=[(index, graph_record(row, index=index)) for index, row in enumerate(rows)],
        source=source, charge_at=charge_at, chunk_size=chunk_size, max_records=max_records,
        now=now, positions=GRAPH_POSITIONS,
    )


# ------------------------------------------------------------------------------ internals


def _bounded(rows, limit: int):
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise UsageInvalid(
                f"More than {limit:,} call records in one import: split the input."
            )
        yield row


def _usage_id_of(raw: object) -> str:
    if isinstance(raw, Mapping):
        for key in ("UsageId", "usage_id", "usageId", "usageid"):
            value = raw.get(key)
            if isinstance(value, str):
                return value.strip()[:100]
    return ""


def _validated(
    tenant: Tenant, records, result: UsageImported, max_records: int, window: RecordWindow,
    positions: Positions,
) -> list[CallInput]:
    """Parse and check every record; report bad ones and repeats inside the input."""
    first: dict[str, CallInput] = {}
    calls: list[CallInput] = []
    # The window's bounds once (``window.check`` explains a call outside them).
    latest = window.now + FUTURE_TOLERANCE
    earliest = calls_kept_since(window.now)
    if window.tenant_since is not None:
        earliest = max(earliest, window.tenant_since)
    for line, raw in _bounded(records, max_records):
        result.received += 1
        try:
            call = record_parse(raw, line=line)
            if not (earliest <= call.start_time and call.end_time <= latest):
                window.check(call)
        except RecordError as error:
            result.rejected.append(
                positions.problem(line, _usage_id_of(raw), error.code, error.reason)
            )
            continue
        if call.currency and call.currency != tenant.currency:
            result.rejected.append(
                positions.problem(
                    line, call.usage_id, ProblemCode.CURRENCY,
                    f"Currency is {call.currency}, but {tenant.name} is billed in "
                    f"{tenant.currency}",
                )
            )
            continue
        earlier = first.get(call.usage_id)
        if earlier is not None:
            if earlier.fingerprint == call.fingerprint:
                result.duplicates += 1
            else:
                result.conflicts.append(
                    positions.problem(
                        line, call.usage_id, ProblemCode.CONFLICT,
                        f"UsageId {call.usage_id} is also on {positions.at(earlier.line)} "
                        "with different content",
                    )
                )
            continue
        first[call.usage_id] = call
        calls.append(call)
    return calls


def _import_chunk(
    *,
    tenant: Tenant,
    account: CreditAccount | None,
    calls: list[CallInput],
    context: RatingContext,
    source: str,
    charge_at: ChargeAt,
    result: UsageImported,
    positions: Positions,
) -> None:
    with transaction.atomic(durable=True):
        Tenant.objects.lock(tenant)  # one import of a tenant at a time
        known = _known(tenant, calls)
        new: list[CallInput] = []
        duplicates = 0
        conflicts: list[RowProblem] = []
        for call in calls:
            fingerprint = known.get(call.usage_id)
            if fingerprint is None:
                new.append(call)
            elif fingerprint == call.fingerprint:
                duplicates += 1
            else:
                conflicts.append(
                    positions.problem(
                        call.line, call.usage_id, ProblemCode.CONFLICT,
                        f"UsageId {call.usage_id} was already imported with different content",
                    )
                )
        context.pool_used = pool_used_load(
            tenant=tenant, months={month_of(call.start_time) for call in new}
        )
        context.pool_touched = set()
        rated: list[tuple[CallInput, Rating]] = []
        rejected: list[RowProblem] = []
        for call in new:
            try:
                rated.append((call, call_rate(call=call, context=context)))
            except RatingRefused as refusal:
                rejected.append(
                    positions.problem(call.line, call.usage_id, refusal.code, refusal.reason)
                )
        entries = {}
        dialed = _DialedNames()
        charged = [(call, rating) for call, rating in rated if rating.charge]
        if charged:
            posted = ledger.usage_charge_many(
                account=account,
                charges=[
                    ledger.UsageCharge(
                        amount=rating.charge, currency=tenant.currency,
                        idempotency_key=usage_key(call.usage_id), reference_type="call",
                        reference_id=call.usage_id, memo=_memo(call, rating, dialed.of(rating)),
                        at=call.end_time if charge_at == ChargeAt.CALL_END else None,
                    )
                    for call, rating in charged
                ],
            )
            entries = posted.entries
        imported_at = timezone.now()
        rows = [
            _record(tenant, call, rating, source, entries.get(usage_key(call.usage_id)),
                    imported_at, dialed.of(rating))
            for call, rating in rated
        ]
        rows_insert(CallRecord, CALL_COLUMNS, rows)
        # The report's per-day rollup, in this transaction: only the records just inserted.
        call_summaries_add_rows(tenant=tenant, columns=CALL_COLUMNS, rows=rows)
        if context.pool_touched:
            MinutePool.objects.bulk_create(
                [
                    MinutePool(
                        tenant=tenant, month=month, country=country, capability=capability,
                        minutes_used=context.pool_used[(month, country, capability)],
                    )
                    for month, country, capability in sorted(context.pool_touched)
                ],
                update_conflicts=True,
                unique_fields=["tenant", "month", "country", "capability"],
                update_fields=["minutes_used", "updated_at"],
            )
        if charged:
            transaction.on_commit(functools.partial(recharge_check, account=account))
            starts = [call.start_time for call, _rating in charged]
            transaction.on_commit(
                functools.partial(spend_check, tenant=tenant, first=min(starts), last=max(starts))
            )
    # Counted once the chunk has committed.
    result.imported += len(rated)
    result.duplicates += duplicates
    result.conflicts += conflicts
    result.rejected += rejected
    for _call, rating in rated:
        result.pool_minutes += rating.pool_minutes
        if rating.charge:
            result.calls_charged += 1
            result.charged_minutes += rating.charged_minutes
            result.amount_charged += rating.charge


def _known(tenant: Tenant, calls: list[CallInput]) -> dict[str, str]:
    """UsageId -> fingerprint of the chunk's calls that were imported before. On
    PostgreSQL the UsageIds are staged with COPY in a temporary table joined to the call
    records' unique (tenant, UsageId) index: one statement, whatever the chunk's size;
    elsewhere ``IN`` look-ups in batches."""
    if not copy_available():
        known: dict[str, str] = {}
        for batch in in_batches([call.usage_id for call in calls]):
            known.update(
                CallRecord.objects.filter(tenant=tenant, usage_id__in=batch).values_list(
                    "usage_id", "fingerprint"
                )
            )
        return known
    staging_copy(STAGING_TABLE, {"usage_id": "text"}, ((call.usage_id,) for call in calls))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.usage_id, c.fingerprint FROM {quote(CallRecord._meta.db_table)} c "  # noqa: S608
            f"JOIN {quote(STAGING_TABLE)} s ON c.usage_id = s.usage_id WHERE c.tenant_id = %s",
            [tenant.pk],
        )
        known = dict(cursor.fetchall())
    return known


class _DialedNames(dict):
    """Destination Dialed (the rated country's name in the active language) per rated
    country, asked of the rating once per chunk rather than once per call."""

    def of(self, rating: Rating) -> str:
        country = rating.payment.rated_country
        name = self.get(country)
        if name is None:
            name = self[country] = rating.destination_dialed
        return name


def _memo(call: CallInput, rating: Rating, dialed: str) -> str:
    where = dialed or rating.payment.rated_country
    minutes = rating.charged_minutes
    if not rating.payment.needs_license:
        return f"Toll-free call from {where}, {minutes} min"
    return f"Call to {where}, {rating.payment.rated_number_type}, {minutes} min"


def _number_type(call: CallInput, rating: Rating) -> str:
    if call.number_type:
        return call.number_type
    if not rating.payment.needs_license and rating.payment.rate_type:
        return "toll_free"
    if call.call_type in (CallType.CONF_IN, CallType.CONF_OUT):
        return "service"
    if call.call_type in (CallType.UCAP_IN, CallType.UCAP_OUT):
        return "service"
    return "user"


CALL_COLUMNS = (
    "tenant_id", "usage_id", "call_id", "conference_id", "user_id", "user_location",
    "aad_object_id", "upn", "user_display_name", "caller_id", "call_type", "number_type",
    "reach", "destination_dialed", "destination_number", "rated_country", "rated_number_type",
    "start_time", "end_time", "duration_seconds", "billed_minutes", "pool_minutes",
    "pool_capability", "per_minute", "connection_fee", "charge", "currency", "capability",
    "entry_id", "fingerprint", "source", "imported_at", "restriction",
)


def _record(
    tenant: Tenant, call: CallInput, rating: Rating, source: str, entry, imported_at,
    dialed: str,
) -> tuple:
    """The call record's values in ``CALL_COLUMNS`` order."""
    subscriber = rating.subscriber
    payment = rating.payment
    return (
        tenant.pk,
        call.usage_id,
        call.call_id,
        call.conference_id,
        subscriber.pk if subscriber is not None else None,
        rating.home_country,
        call.aad_object_id,
        call.upn,
        call.user_display_name or (subscriber.display_name if subscriber is not None else ""),
        call.caller_id,
        call.call_type,
        _number_type(call, rating),
        payment.reach,
        dialed,
        call.destination_number,
        payment.rated_country,
        payment.rated_number_type,
        call.start_time,
        call.end_time,
        call.duration_seconds,
        rating.billed_minutes,
        rating.pool_minutes,
        payment.pool_capability if rating.pool_minutes else "",
        rating.rate.per_minute if rating.rate is not None else None,
        rating.connection_fee,
        rating.charge,
        tenant.currency,
        rating.capability,
        entry.pk if entry is not None else None,
        call.fingerprint,
        source,
        imported_at,
        rating.restriction,
    )


__all__ = [
    "CHUNK_SIZE",
    "MAX_RECORDS",
    "ChargeAt",
    "RowProblem",
    "UsageImported",
    "usage_import",
    "usage_import_csv",
    "usage_import_graph",
    "usage_key",
]
