"""Folding the directory tallies (accounts/models/tallies.py): each statement that
changes the directory adds a row, so the daily jobs fold each tenant's rows into one and
drop the rows of tenants that no longer exist. PostgreSQL only (elsewhere there are no
tallies to fold)."""

from __future__ import annotations

from django.db import connection, transaction

from accounts.models import DirectoryTally, LicenseTally

# One statement per table: the rows it deletes are those committed when it starts, and
# the sums it inserts replace exactly them; a tally a concurrent transaction adds
# meanwhile is left as it is, so no change is lost or counted twice.
_FOLD = """
WITH folded AS (DELETE FROM {table} RETURNING {keys}, {values}),
kept AS (
    INSERT INTO {table} ({keys}, {values})
    SELECT {keys}, {sums} FROM folded
    WHERE EXISTS (SELECT 1 FROM accounts_tenant t WHERE t.id = folded.tenant_id)
    GROUP BY {keys} HAVING {nonzero}
    RETURNING 1
)
SELECT (SELECT count(*) FROM folded) - (SELECT count(*) FROM kept)
"""

_TALLIES = (
    (DirectoryTally, ("tenant_id",), ("users", "enabled_users", "licensed_users")),
    (LicenseTally, ("tenant_id", "product_id"), ("assigned",)),
)


def tallies_compact() -> int:
    """Fold every tenant's tally rows into one per tenant (and product), dropping those
    of deleted tenants and those that sum to nothing; returns how many rows fewer there
    are."""
    if connection.vendor != "postgresql":
        return 0
    removed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for model, keys, values in _TALLIES:
            cursor.execute(
                _FOLD.format(
                    table=model._meta.db_table,
                    keys=", ".join(keys),
                    values=", ".join(values),
                    sums=", ".join(f"sum({value})" for value in values),
                    nonzero=" OR ".join(f"sum({value}) <> 0" for value in values),
                )
            )
            removed += cursor.fetchone()[0]
    return removed
