"""Bulk work, shared by every app: long ``IN (...)`` lists, and Python's collector.

A lookup of many values (usernames, user ids, UsageIds, idempotency keys) runs one query
per batch of ``IN_LIST_SIZE`` values: well under every supported database's limit of
query parameters, few enough queries at the scale of a year of calls.

An import builds tens of thousands of objects it keeps until the end (the parsed
records, their ratings, the rows to write). Python's cyclic garbage collector runs
every 700 new objects and, every few runs, walks *all* of them again: a fifth to a
quarter of the call import's CPU went there (rating alone ran 2.5 times slower), finding
nothing, because the import's objects hold no reference cycles and are freed by
reference counting as usual. ``collector_paused``
switches the collector off for such a load (docs/benchmarks.md, "Usage import").
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

IN_LIST_SIZE = 2000

T = TypeVar("T")


def in_batches(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size`` (default ``IN_LIST_SIZE``;
    none when empty)."""
    size = size or IN_LIST_SIZE
    for start in range(0, len(values), size):
        yield values[start : start + size]


_pauses = 0  # loads running with the collector paused, in any thread
_was_enabled = False  # the collector's state when the first of them started
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run a bulk load with Python's cyclic garbage collector off; it is switched back
    on (if it was on) when the last load running in the process ends, by an error too.
    Loads in several threads of one process (a web server's) share the pause."""
    global _pauses, _was_enabled
    with _pauses_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
