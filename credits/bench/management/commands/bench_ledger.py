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

It also prints the round trips of one posting (statements counted with
``CaptureQueriesContext``, ``BEGIN`` and ``COMMIT`` included) and the client CPU time per
posting of run 1, and the load average before and after (on a shared machine the other
processes' load changes every figure).

``--advice N`` also times the Funding advice of an account with N usage entries spread
over the last 120 days (posted with ``usage_charge_many``): the median of 20 reads and
the queries of one.

``--hordak`` runs the same three runs with django-hordak's ``Account.transfer_to`` (a
charge moves the amount from the customer's credits account to a usage account, a
funding from a bank account to the credits account), each transfer in a transaction that
first takes the same row lock on the customer's account as a ledger posting (``SELECT …
FOR NO KEY UPDATE``), and one run of bare transfers for reference. It needs the ``bench``
extra and ``DJANGO_SETTINGS_MODULE=config.settings.bench`` (docs/benchmarks.md).
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import AuditEvent, Tenant
from credits.billing.selectors.funding_advice import funding_advice
from credits.billing.services.accounts import credit_account_open
from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.models.rollup import LedgerDaySummary
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


def _hordak_post_many(
    accounts: tuple[int, int, int], count: int, prefix: str, lock: bool = True
) -> tuple[float, float]:
    """The same mix through django-hordak: ``accounts`` are (customer credits, usage,
    bank); with ``lock`` each transfer first locks the customer's account row."""
    hordak_account = apps.get_model("hordak", "Account")
    money = _money()
    credits, usage, bank = (hordak_account.objects.get(pk=pk) for pk in accounts)
    charge, funding = money(CHARGE, "USD"), money(FUNDING, "USD")
    started = time.time()
    for index in range(count):
        with transaction.atomic():
            if lock:
                hordak_account.objects.select_for_update(no_key=True).only("pk").get(
                    pk=credits.pk
                )
            if index % FUND_EVERY == FUND_EVERY - 1:
                bank.transfer_to(credits, funding, description=f"{prefix}:{index}")
            else:
                credits.transfer_to(usage, charge, description=f"{prefix}:{index}")
    return started, time.time()


def _money():
    """djmoney's ``Money`` (hordak's amounts), found through the installed apps so the
    console never imports the benchmark-only packages."""
    return apps.get_app_config("djmoney").module.money.Money


def _worker(target, account, count: int, prefix: str, barrier, results) -> None:
    connections.close_all()  # never reuse a connection inherited from the parent
    try:
        barrier.wait()
        results.put(target(account, count, prefix))
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
        parser.add_argument(
            "--advice", type=int, default=0, metavar="N",
            help="Also time the Funding advice of an account with N usage entries.",
        )
        parser.add_argument(
            "--hordak", action="store_true",
            help="Also run django-hordak's transfers, with the same account row lock "
            "(needs the bench extra and DJANGO_SETTINGS_MODULE=config.settings.bench).",
        )

    def handle(
        self, *args, postings: int, processes: int, keep: bool, hordak: bool, advice: int,
        **options,
    ) -> None:
        if postings < 1 or processes < 0:
            raise CommandError("--postings must be at least 1 and --processes at least 0.")
        if hordak and not apps.is_installed("hordak"):
            raise CommandError(
                "--hordak needs django-hordak installed (pip install -e '.[bench]') and "
                "DJANGO_SETTINGS_MODULE=config.settings.bench, after `manage.py migrate`."
            )
        if processes and self._in_memory():
            raise CommandError(
                "The database is an in-memory SQLite database that other processes cannot "
                "open; use a file or PostgreSQL, or --processes 0."
            )
        # As in production: no DEBUG query log (it would weigh on every posting, and the
        # statements run unprepared while queries are logged: credits.common.bulk).
        with override_settings(DEBUG=False):
            self._run(postings, processes, keep, hordak, advice)

    def _run(self, postings: int, processes: int, keep: bool, hordak: bool, advice: int):
        run = uuid.uuid4().hex[:8]
        self.stdout.write(
            f"Ledger benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), "
            f"{postings} postings per process, "
            f"{multiprocessing.cpu_count()} CPU cores, load average {self._load()}"
        )
        tenants: list[Tenant] = []
        hordak_accounts: list[int] = []
        try:
            single = self._accounts(run, "single", 1, tenants)
            cpu = time.process_time()
            started, ended = _post_many(single[0].pk, postings, f"bench:{run}:single")
            cpu = time.process_time() - cpu
            self._report("1 process, 1 account", postings, ended - started, cpu=cpu)
            if processes:
                shared = self._accounts(run, "shared", 1, tenants)
                self._report(
                    f"{processes} processes, 1 shared account", postings * processes,
                    self._concurrent(
                        _post_many, [shared[0].pk] * processes, postings, f"bench:{run}:shared"
                    ),
                )
                own = self._accounts(run, "own", processes, tenants)
                self._report(
                    f"{processes} processes, 1 account each", postings * processes,
                    self._concurrent(
                        _post_many, [a.pk for a in own], postings, f"bench:{run}:own"
                    ),
                )
            self._round_trips(single[0], run)
            if advice > 0:
                self._advice(run, advice, tenants)
            self._verify(tenants)
            if hordak:
                self._hordak(run, postings, processes, hordak_accounts)
            self.stdout.write(f"  load average after: {self._load()}")
        finally:
            if not keep:
                self._delete(tenants)
                self._hordak_delete(hordak_accounts)

    def _in_memory(self) -> bool:
        name = str(connection.settings_dict["NAME"])
        return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)

    def _accounts(self, run: str, label: str, count: int, tenants: list[Tenant], at=None):
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
                at=at,
            )
            accounts.append(account)
        return accounts

    def _concurrent(self, target, accounts: list, postings: int, prefix: str) -> float:
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(len(accounts))
        results = context.Queue()
        connections.close_all()  # children must not inherit an open connection
        workers = [
            context.Process(
                target=_worker,
                args=(target, account, postings, f"{prefix}:{n}", barrier, results),
            )
            for n, account in enumerate(accounts)
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

    def _report(self, label: str, count: int, seconds: float, cpu: float | None = None) -> None:
        rate = count / seconds if seconds else float("inf")
        line = f"  {label:<40} {count:>6} postings in {seconds:7.2f} s = {rate:8.0f}/s"
        if cpu is not None:
            line += f", client CPU {cpu / count * 1000:.1f} ms/posting"
        self.stdout.write(line)

    def _load(self) -> str:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())

    def _round_trips(self, account: CreditAccount, run: str) -> None:
        """Statements sent for one usage charge and one funding (BEGIN and COMMIT
        included: each is a round trip), averaged over a few postings. They run inside a
        transaction rolled back at the end (its savepoints stand for BEGIN and COMMIT,
        one round trip each), so they leave nothing behind."""
        with transaction.atomic():
            self._round_trips_count(account, run)
            transaction.set_rollback(True)

    def _round_trips_count(self, account: CreditAccount, run: str) -> None:
        samples = {"usage charge": [], "funding": []}
        for index in range(10):
            with CaptureQueriesContext(connection) as charged:
                ledger.usage_charge(
                    account=account, amount=CHARGE, currency=account.currency,
                    idempotency_key=f"bench:{run}:trips:charge:{index}",
                )
            samples["usage charge"].append(len(charged.captured_queries))
            with CaptureQueriesContext(connection) as funded:
                ledger.funds_add(
                    account=account, amount=FUNDING, currency=account.currency,
                    source=FundSource.TOP_UP, idempotency_key=f"bench:{run}:trips:fund:{index}",
                )
            samples["funding"].append(len(funded.captured_queries))
        figures = ", ".join(
            f"{label} {sum(counts) / len(counts):.1f}" for label, counts in samples.items()
        )
        self.stdout.write(f"  round trips per posting: {figures}")

    def _advice(self, run: str, entries: int, tenants: list[Tenant]) -> None:
        now = timezone.now()
        account = self._accounts(run, "advice", 1, tenants, at=now - timedelta(days=121))[0]
        step = timedelta(days=120) / entries
        start = now - timedelta(days=120)
        for first in range(0, entries, 5000):
            ledger.usage_charge_many(account=account, charges=[
                ledger.UsageCharge(
                    amount=CHARGE, currency="USD", idempotency_key=f"bench:{run}:advice:{n}",
                    at=start + step * n,
                )
                for n in range(first, min(first + 5000, entries))
            ])
        account.refresh_from_db()
        tenant = account.tenant
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            funding_advice(tenant=tenant, account=account)
            timings.append(time.perf_counter() - started)
        with CaptureQueriesContext(connection) as captured:
            funding_advice(tenant=tenant, account=account)
        timings.sort()
        self.stdout.write(
            f"  Funding advice at {entries:,} entries: median {timings[10] * 1000:.1f} ms, "
            f"{len(captured.captured_queries)} query"
        )

    def _hordak(self, run: str, postings: int, processes: int, created: list[int]) -> None:
        hordak_account = apps.get_model("hordak", "Account")
        types = hordak_account.TYPES

        def trio(label: str) -> tuple[int, int, int]:
            made = [
                hordak_account.objects.create(
                    name=f"bench-ledger-{run}-{label}-{name}", type=kind, currencies=["USD"]
                )
                for name, kind in (
                    ("credits", types.liability), ("usage", types.income), ("bank", types.asset)
                )
            ]
            created.extend(account.pk for account in made)
            return tuple(account.pk for account in made)

        self.stdout.write("django-hordak transfer_to, the same mix:")
        cpu = time.process_time()
        started, ended = _hordak_post_many(trio("bare"), postings, f"{run}:bare", lock=False)
        cpu = time.process_time() - cpu
        self._report("1 process, no lock", postings, ended - started, cpu=cpu)
        cpu = time.process_time()
        started, ended = _hordak_post_many(trio("single"), postings, f"{run}:single")
        cpu = time.process_time() - cpu
        self._report("1 process, account row lock", postings, ended - started, cpu=cpu)
        if processes:
            shared = trio("shared")
            self._report(
                f"{processes} processes, 1 shared account, lock", postings * processes,
                self._concurrent(_hordak_post_many, [shared] * processes, postings,
                                 f"{run}:shared"),
            )
            own = [trio(f"own-{n}") for n in range(processes)]
            self._report(
                f"{processes} processes, 1 account each, lock", postings * processes,
                self._concurrent(_hordak_post_many, own, postings, f"{run}:own"),
            )
        trips = []
        account = hordak_account.objects.get(pk=created[-3])
        usage = hordak_account.objects.get(pk=created[-2])
        for _ in range(10):
            with CaptureQueriesContext(connection) as captured, transaction.atomic():
                hordak_account.objects.select_for_update(no_key=True).only("pk").get(
                    pk=account.pk
                )
                account.transfer_to(usage, _money()(CHARGE, "USD"))
            trips.append(len(captured.captured_queries))
        self.stdout.write(
            f"  round trips per transfer with the lock: {sum(trips) / len(trips):.1f}"
        )

    def _hordak_delete(self, account_ids: list[int]) -> None:
        if not account_ids or not apps.is_installed("hordak"):
            return
        transfer = apps.get_model("hordak", "Transaction")
        transfer.objects.filter(legs__account__in=account_ids).distinct().delete()
        apps.get_model("hordak", "Account").objects.filter(pk__in=account_ids).delete()

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
        LedgerDaySummary.objects.filter(account__tenant__in=ids).delete()
        LedgerEntry.objects.filter(account__tenant__in=ids).delete()
        FundLot.objects.filter(account__tenant__in=ids).delete()
        CreditAccount.objects.filter(tenant__in=ids).delete()
        AuditEvent.objects.filter(tenant__in=ids).delete()
        Tenant.objects.filter(pk__in=ids).delete()
