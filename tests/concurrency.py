"""One helper for the tests that prove concurrency guarantees on PostgreSQL.

``in_parallel(work, count)`` runs ``work(0)``, ..., ``work(count - 1)`` at the same moment,
each in its own thread (or forked process) with its own database connection, released
together by a barrier, and returns what each returned or the exception it raised, in
order. The tests commit for real (a transactional database): the other workers see
only committed data.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

BARRIER_TIMEOUT = 30  # seconds for every worker to be ready
RESULT_TIMEOUT = 120  # seconds for a forked process to report


class WorkerError(Exception):
    """An exception raised in a forked process, as its ``repr`` (it may not pickle)."""


def in_parallel(work: Callable[[int], object], count: int, *, processes: bool = False) -> list:
    """Run ``work(n)`` for each ``n`` in ``range(count)``, all released together.

    Threads by default; ``processes=True`` forks processes instead (``work``'s result must
    pickle; an exception comes back as a ``WorkerError`` with its ``repr``).
    """
    if processes:
        return _in_processes(work, count)
    barrier = threading.Barrier(count)

    def run(n: int):
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            return work(n)
        except Exception as exc:  # collected and asserted on by the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _in_processes(work: Callable[[int], object], count: int) -> list:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(count), context.Queue()

    def run(n: int) -> None:
        connections.close_all()  # the parent's connections are not the child's to use
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            results.put((n, True, work(n)))
        except Exception as exc:  # reported to the parent
            results.put((n, False, repr(exc)))
        finally:
            connections.close_all()

    connections.close_all()  # forked with no open connection
    workers = [context.Process(target=run, args=(n,)) for n in range(count)]
    for worker in workers:
        worker.start()
    outcomes: list = [None] * count
    for _ in workers:
        n, ok, value = results.get(timeout=RESULT_TIMEOUT)
        outcomes[n] = value if ok else WorkerError(value)
    for worker in workers:
        worker.join(timeout=60)
    return outcomes
