"""Fast inserts of many rows: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

The usage import writes one call record per call and the ledger one entry (and its lot
movements) per charged call; at thousands of calls a second, building a model instance
and an ``INSERT`` parameter list per row costs more than everything else together. On
PostgreSQL these rows are streamed with ``COPY ... FROM STDIN`` (psycopg adapts the
Python values: ``Decimal``, aware ``datetime``, ``date``, ``str``, ``int``, ``None``);
on other databases (SQLite) they go through ``bulk_create`` as usual.

Callers give plain values in the order of ``columns`` (model attribute names such as
``tenant_id``); nothing here runs model ``save()``, signals or field defaults, so every
column must be given. Database constraints (checks, uniques, foreign keys) apply as for
any insert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

BATCH = 1000


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def rows_insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]
) -> int:
    """Insert ``rows`` (tuples of values in ``columns`` order) into ``model``'s table.

    Returns the number of rows. Ids are taken from the table's sequence unless ``id`` is
    one of the columns (see ``ids_allocate``).
    """
    meta = model._meta
    if not copy_available():
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        return len(objects)
    db_columns = [meta.get_field(_field_name(meta, name)).column for name in columns]
    quote = connection.ops.quote_name
    sql = (
        f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in db_columns)}) FROM STDIN"
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def ids_allocate(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys from the table's sequence, in increasing order
    (PostgreSQL only: elsewhere ``bulk_create`` returns the ids it inserted)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _field_name(meta, attname: str) -> str:
    for field in meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise ValueError(f"{meta.label} has no column {attname!r}.")
