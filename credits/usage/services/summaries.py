"""The per-day rollup of call records (``CallDaySummary``) that Reports > PSTN usage sums its
totals, daily chart and top destinations from.

A read model: it moves no money and the ledger never reads it. Two ways to keep it right:

- ``call_summaries_add`` adds records that were just inserted: on PostgreSQL their sums
  are staged with COPY and added by one ``INSERT ... ON CONFLICT DO UPDATE``; elsewhere
  one read of the summaries they touch, one upsert of the new totals. The usage import
  calls it for each chunk's new records, inside the chunk's transaction and under the
  tenant's row lock, so the summaries commit with the calls or not at all, and two
  imports of one tenant never add to the same summary at once.
- ``call_summaries_rebuild`` deletes a tenant's summaries and sums them again from its
  call records in SQL: for writers that insert call records directly (the benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date

from django.db import connection, transaction
from django.db.models import Count, Sum

from accounts.models import Tenant
from credits.common.bulk import copy_available, staging_copy
from credits.common.dates import UTCDate
from credits.common.money import ZERO, sum_quantize
from credits.usage.models.calls import CallDaySummary, CallRecord

BATCH = 1000
KEY_FIELDS = ("day", "call_type", "capability", "pool_capability", "rated_country")
SUM_FIELDS = ("calls", "billed_minutes", "pool_minutes", "charge")
STAGING_TABLE = "credits_import_day_sums"  # a chunk's sums, staged for the upsert

SummaryKey = tuple[date, str, str, str, str]


def call_summaries_add(*, tenant: Tenant, records: Iterable[Mapping[str, object]]) -> int:
    """Add new call records of ``tenant`` to its summaries; returns the summaries written.

    Each record is a mapping with the ``CallRecord`` fields ``start_time``, ``call_type``,
    ``capability``, ``pool_capability``, ``rated_country``, ``billed_minutes``,
    ``pool_minutes`` and ``charge``. The caller must hold the tenant's row lock inside a
    transaction (as the usage import does) and give each record once.
    """
    added: dict[SummaryKey, list] = {}
    for record in records:
        _summary_add(
            added, record["start_time"], record["call_type"], record["capability"],
            record["pool_capability"], record["rated_country"], record["billed_minutes"],
            record["pool_minutes"], record["charge"],
        )
    return _summaries_write(tenant, added)


def call_summaries_add_rows(
    *, tenant: Tenant, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    """``call_summaries_add`` for records given as value tuples in ``columns`` order (the
    usage import's rows, as it inserts them): no mapping built per record."""
    where = [columns.index(name) for name in ("start_time", *KEY_FIELDS[1:], *SUM_FIELDS[1:])]
    added: dict[SummaryKey, list] = {}
    for row in rows:
        _summary_add(added, *(row[index] for index in where))
    return _summaries_write(tenant, added)


def _summary_add(
    added: dict[SummaryKey, list], start_time, call_type, capability, pool_capability,
    rated_country, billed_minutes, pool_minutes, charge,
) -> None:
    key = (start_time.astimezone(UTC).date(), call_type, capability, pool_capability,
           rated_country)
    sums = added.get(key)
    if sums is None:
        sums = added[key] = [0, 0, 0, ZERO]
    sums[0] += 1
    sums[1] += billed_minutes
    sums[2] += pool_minutes
    sums[3] += charge


def _summaries_write(tenant: Tenant, added: dict[SummaryKey, list]) -> int:
    if not added:
        return 0
    if copy_available():
        return _summaries_upsert(tenant, added)
    # One query: a superset of the keys (their days, call types and countries), matched here.
    candidates = CallDaySummary.objects.filter(
        tenant=tenant,
        day__in={key[0] for key in added},
        call_type__in={key[1] for key in added},
        rated_country__in={key[4] for key in added},
    ).values_list(*KEY_FIELDS, *SUM_FIELDS)
    for *key, calls, billed, pool, charge in candidates:
        sums = added.get(tuple(key))
        if sums is not None:
            sums[0] += calls
            sums[1] += billed
            sums[2] += pool
            sums[3] += charge
    # One upsert writes the new totals, whether the summary existed or not.
    CallDaySummary.objects.bulk_create(
        [
            CallDaySummary(
                tenant=tenant, **dict(zip(KEY_FIELDS, key, strict=True)),
                calls=calls, billed_minutes=billed, pool_minutes=pool, charge=charge,
            )
            for key, (calls, billed, pool, charge) in added.items()
        ],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["tenant", *KEY_FIELDS],
        update_fields=list(SUM_FIELDS),
    )
    return len(added)


def _summaries_upsert(tenant: Tenant, added: dict[SummaryKey, list]) -> int:
    """PostgreSQL: the sums staged with COPY, then one ``INSERT ... ON CONFLICT DO
    UPDATE`` adds them to the summaries that exist and creates the others (no read)."""
    staging_copy(
        STAGING_TABLE,
        {"day": "date", "call_type": "text", "capability": "text", "pool_capability": "text",
         "rated_country": "text", "calls": "integer", "billed_minutes": "integer",
         "pool_minutes": "integer", "charge": "numeric"},
        ((*key, *sums) for key, sums in added.items()),
    )
    quote = connection.ops.quote_name
    table = quote(CallDaySummary._meta.db_table)
    keys = ", ".join(quote(name) for name in KEY_FIELDS)
    sums = ", ".join(quote(name) for name in SUM_FIELDS)
    adds = ", ".join(f"{quote(name)} = {table}.{quote(name)} + EXCLUDED.{quote(name)}"
                     for name in SUM_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, {keys}, {sums}) "  # noqa: S608
            f"SELECT %s, {keys}, {sums} FROM {quote(STAGING_TABLE)} "
            f"ON CONFLICT (tenant_id, {keys}) DO UPDATE SET {adds}",
            [tenant.pk],
        )
    return len(added)


def call_summaries_rebuild(*, tenant: Tenant) -> int:
    """Replace ``tenant``'s summaries by the sums of its call records (one GROUP BY);
    returns the number of summaries. Atomic, under the tenant's row lock."""
    with transaction.atomic():
        Tenant.objects.lock(tenant)
        CallDaySummary.objects.filter(tenant=tenant).delete()
        rows = (
            CallRecord.objects.filter(tenant=tenant)
            .annotate(utc_day=UTCDate("start_time"))
            .values("utc_day", "call_type", "capability", "pool_capability", "rated_country")
            .annotate(
                n=Count("*"), billed=Sum("billed_minutes"), pool=Sum("pool_minutes"),
                charged=Sum("charge"),
            )
            # In day order, as imports add them: a range of days is then a few table
            # pages, not one page per summary.
            .order_by("utc_day", "call_type", "capability", "pool_capability", "rated_country")
        )
        summaries = [
            CallDaySummary(
                tenant=tenant, day=row["utc_day"], call_type=row["call_type"],
                capability=row["capability"], pool_capability=row["pool_capability"],
                rated_country=row["rated_country"], calls=row["n"],
                billed_minutes=row["billed"] or 0, pool_minutes=row["pool"] or 0,
                charge=sum_quantize(row["charged"]),
            )
            for row in rows
        ]
        CallDaySummary.objects.bulk_create(summaries, batch_size=BATCH)
    return len(summaries)


__all__ = ["call_summaries_add", "call_summaries_add_rows", "call_summaries_rebuild"]
