"""Long ``IN (...)`` lists, split once for every app.

A lookup of many values (usernames, user ids, UsageIds, idempotency keys) runs one query
per batch of ``IN_LIST_SIZE`` values: well under every supported database's limit of
query parameters, few enough queries at the scale of a year of calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

IN_LIST_SIZE = 2000

T = TypeVar("T")


def in_batches(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size`` (default ``IN_LIST_SIZE``;
    none when empty)."""
    size = size or IN_LIST_SIZE
    for start in range(0, len(values), size):
        yield values[start : start + size]
