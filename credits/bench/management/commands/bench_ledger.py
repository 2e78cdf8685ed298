"""``manage.py bench_ledger``: ledger postings per second on the configured database.

Three runs, each a mix of usage charges (24 of 25 postings) and fundings through
``credits.ledger.services``:

1. one process posting to one account;
2. ``--processes`` processes posting to one shared account (they queue on its row lock:
   the worst case for one busy tenant);
3. ``--processes`` processes, each posting to its own account (many tenants at once).

Each worker process is forked with no database connection and opens its own. The
benchmark works in throwaway tenants (slug ``bench-ledger-…``), checks every account it
used with the ledger verification, and deletes those tenants' rows at the end unless
``--keep`` is given. Run it against a scratch database.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from accounts.models import AuditEvent, Tenant
from credits.billing.services.accounts import credit_account_open
from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.verification import account_label, account_verify

CHARGE = Decimal("0.0123")
FUNDING = Decimal("50.00")
FUND_EVERY = 25


def _post_many(account_id: int, count: int, prefix: str) -> tuple[float, float]:
    """Post ``count`` entries; return the wall-clock start and end (seconds)."""
    account = CreditAccount.objects.get(pk=account_id)
    started = time.time()
    for index in range(count):
        key = f"{prefix}:{index}"
        if index % FUND_EVERY == FUND_EVERY - 1:
            ledger.funds_add(
                account=account, amount=FUNDING, currency=account.currency,
                source=FundSource.TOP_UP, idempotency_key=key,
            )
        else:
            ledger.usage_charge(
                account=account, amount=CHARGE, currency=account.currency, idempotency_key=key,
            )
    return started, time.time()


def _worker(account_id: int, count: int, prefix: str, barrier, results) -> None:
    connections.close_all()  # never reuse a connection inherited from the parent
    try:
        barrier.wait()
        results.put(_post_many(account_id, count, prefix))
    except Exception as exc:  # reported by the parent
        results.put(exc)
    finally:
        connections.close_all()


class Command(BaseCommand):
    help = "Measure ledger postings per second for one process and for concurrent processes."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--postings", type=int, default=500, help="Postings per process (default 500)."
        )
        parser.add_argument(
            "--processes", type=int, default=4,
            help="Concurrent processes for runs 2 and 3 (default 4; 0 skips them).",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the benchmark tenants and their ledger."
        )

    def handle(self, *args, postings: int, processes: int, keep: bool, **options) -> None:
        if postings < 1 or processes < 0:
            raise CommandError("--postings must be at least 1 and --processes at least 0.")
        if processes and self._in_memory():
            raise CommandError(
                "The database is an in-memory SQLite database that other processes cannot "
                "open; use a file or PostgreSQL, or --processes 0."
            )
        run = uuid.uuid4().hex[:8]
        self.stdout.write(
            f"Ledger benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), "
            f"{postings} postings per process, "
            f"{multiprocessing.cpu_count()} CPU cores"
        )
        tenants: list[Tenant] = []
        try:
            single = self._accounts(run, "single", 1, tenants)
            started, ended = _post_many(single[0].pk, postings, f"bench:{run}:single")
            self._report("1 process, 1 account", postings, ended - started)
            if processes:
                shared = self._accounts(run, "shared", 1, tenants)
                self._report(
                    f"{processes} processes, 1 shared account", postings * processes,
                    self._concurrent([shared[0].pk] * processes, postings, f"bench:{run}:shared"),
                )
                own = self._accounts(run, "own", processes, tenants)
                self._report(
                    f"{processes} processes, 1 account each", postings * processes,
                    self._concurrent([a.pk for a in own], postings, f"bench:{run}:own"),
                )
            self._verify(tenants)
        finally:
            if not keep:
                self._delete(tenants)

    def _in_memory(self) -> bool:
        name = str(connection.settings_dict["NAME"])
        return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)

    def _accounts(self, run: str, label: str, count: int, tenants: list[Tenant]):
        accounts = []
        for index in range(count):
            tenant = Tenant.objects.create(
                name=f"Ledger benchmark {run} {label} {index}",
                slug=f"bench-ledger-{run}-{label}-{index}", country="US", currency="USD",
            )
            tenants.append(tenant)
            account = credit_account_open(tenant=tenant)
            ledger.funds_add(
                account=account, amount=Decimal("1000.00"), currency="USD",
                source=FundSource.PURCHASE, idempotency_key=f"bench:{run}:{label}:{index}:seed",
            )
            accounts.append(account)
        return accounts

    def _concurrent(self, account_ids: list[int], postings: int, prefix: str) -> float:
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(len(account_ids))
        results = context.Queue()
        connections.close_all()  # children must not inherit an open connection
        workers = [
            context.Process(
                target=_worker, args=(account_id, postings, f"{prefix}:{n}", barrier, results)
            )
            for n, account_id in enumerate(account_ids)
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get() for _ in workers]
        for worker in workers:
            worker.join()
        failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
        if failures:
            raise CommandError(f"A benchmark worker failed: {failures[0]!r}")
        return max(end for _, end in outcomes) - min(start for start, _ in outcomes)

    def _report(self, label: str, count: int, seconds: float) -> None:
        rate = count / seconds if seconds else float("inf")
        self.stdout.write(f"  {label:<32} {count:>6} postings in {seconds:7.2f} s = {rate:8.0f}/s")

    def _verify(self, tenants: list[Tenant]) -> None:
        for account in CreditAccount.objects.filter(tenant__in=tenants).select_related("tenant"):
            problems = account_verify(account)
            if problems:
                raise CommandError(f"{account_label(account)} does not reconcile: {problems[0]}")
        self.stdout.write("  every benchmark account reconciles (ledger verification clean)")

    def _delete(self, tenants: list[Tenant]) -> None:
        """Remove the benchmark's own throwaway tenants; touches nothing else."""
        ids = [t.pk for t in tenants if t.slug.startswith("bench-ledger-")]
        if not ids:
            return
        LotMovement.objects.filter(entry__account__tenant__in=ids).delete()
        LedgerEntry.objects.filter(account__tenant__in=ids).delete()
        FundLot.objects.filter(account__tenant__in=ids).delete()
        CreditAccount.objects.filter(tenant__in=ids).delete()
        AuditEvent.objects.filter(tenant__in=ids).delete()
        Tenant.objects.filter(pk__in=ids).delete()
