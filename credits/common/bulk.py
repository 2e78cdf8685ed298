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

from collections.abc import Iterable, Mapping, Sequence
from functools import cache

from django.conf import settings
from django.db import connection, models

BATCH = 1000
# A table is analyzed again once this share of its rows, or this many rows, changed since
# its planner statistics were last gathered (docs/operations.md, "Planner statistics").
ANALYZE_GROWTH = 0.10
ANALYZE_ROWS = 10_000


def copy_available() -> bool:
    return connection.vendor == "postgresql"


def prepared_cursor():
    """A cursor whose statements PostgreSQL plans once per connection and then reuses
    (a server-side prepared statement, parameters bound by the server), for the few
    statements run thousands of times with the same text: a ledger posting's lock, read
    and write (docs/benchmarks.md, "How a posting is written"). Django's own cursors bind
    on the client and prepare nothing (so that transaction-mode poolers work). Elsewhere
    (SQLite), with ``CREDITS_PREPARED_STATEMENTS`` off (docs/operations.md, "The
    ledger"), or while queries are logged (``DEBUG``, a test counting them: the log shows
    each statement as typed), it is the ordinary cursor. ``execute_wrapper`` sees its
    statements as any other's."""
    if (
        not copy_available()
        or not settings.CREDITS_PREPARED_STATEMENTS
        or connection.queries_logged
    ):
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparation off for the connection; only server-binding
        # cursors prepare (Django's own bind on the client and never do), and this one
        # asks for it on every statement.
        connection.connection.prepare_threshold = 5
    return connection.make_cursor(_prepared_cursor_class()(connection.connection))


@cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


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


def staging_copy(
    table: str, columns: Mapping[str, str], rows: Iterable[tuple]
) -> int:
    """Stage ``rows`` in the temporary ``table`` (PostgreSQL only) and return their number:
    ``columns`` maps each column to its SQL type. The caller joins the table in SQL
    (set-based look-ups and inserts).

    The table is the session's, created on first use and emptied at every commit (``ON
    COMMIT DELETE ROWS``) and before each use: creating and dropping a table per use
    would hold a lock per table until the transaction ends, and a long transaction (a
    test, an outer ``atomic``) would run out of the server's shared lock table.
    """
    quote = connection.ops.quote_name
    definition = ", ".join(f"{quote(name)} {kind}" for name, kind in columns.items())
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {quote(table)} ({definition}) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - our own table's name
        names = ", ".join(quote(name) for name in columns)
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def statistics_refresh(
    grown: Mapping[type[models.Model], int],
    *,
    columns: Mapping[type[models.Model], Sequence[str]] | None = None,
) -> list[str]:
    """ANALYZE the tables of ``grown`` (model -> rows just added) whose planner statistics
    are stale: they grew by more than ``ANALYZE_GROWTH`` of their rows or by
    ``ANALYZE_ROWS`` rows since their size was last measured (an ANALYZE or a VACUUM,
    automatic or not). PostgreSQL only; elsewhere nothing. Returns the tables analyzed.
    Call it outside a transaction, after the rows committed.

    ``columns`` (model -> field names) limits a table's ANALYZE to the columns its
    queries filter, join, group or sort on: the table's size (what the planner needs
    first) is counted all the same, and each column left out is one sort of the sample
    saved (a wide table's free-text columns are most of an ANALYZE's time). Autovacuum's
    own ANALYZE still covers every column: PostgreSQL keeps counting the table's changes
    for it after an ANALYZE of some columns.

    The growth is PostgreSQL's live rows less the table's size as of its last statistics
    (``pg_stat_user_tables.n_live_tup - pg_class.reltuples``; -1 when never analyzed),
    or the caller's own count when that is larger (a session reports its changes to the
    statistics a moment after they commit). Not ``n_mod_since_analyze``: an ANALYZE of
    some columns leaves that count as it was, so every import after it would analyze
    again.
    """
    if not copy_available():
        return []
    tables = {model._meta.db_table: added for model, added in grown.items() if added > 0}
    if not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples, COALESCE(s.n_live_tup, 0) "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = ANY(%s::regclass[])",
            [list(tables)],
        )
        stale = [
            name for name, tuples, live in cursor.fetchall()
            if statistics_stale(tuples=tuples, changed=max(live - max(tuples, 0), tables[name]))
        ]
        models_of = {model._meta.db_table: model for model in grown}
        for name in stale:
            model = models_of[name]
            cursor.execute(analyze_sql(model, (columns or {}).get(model)))
    return stale


def analyze_sql(model: type[models.Model], fields: Sequence[str] | None = None) -> str:
    """The ``ANALYZE`` of ``model``'s table, of ``fields`` only when given."""
    quote = connection.ops.quote_name
    listed = ""
    if fields:
        listed = f" ({', '.join(quote(model._meta.get_field(f).column) for f in fields)})"
    return f"ANALYZE {quote(model._meta.db_table)}{listed}"


def statistics_stale(*, tuples: float, changed: int) -> bool:
    """Whether a table of ``tuples`` rows at its last ANALYZE (-1: never) with ``changed``
    rows changed since needs new statistics."""
    if changed <= 0:
        return False
    return tuples <= 0 or changed >= ANALYZE_ROWS or changed > ANALYZE_GROWTH * tuples


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
