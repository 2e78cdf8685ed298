"""``manage.py bench_usage --calls N``: call records per second through the usage import.

It times the whole import path (parse and validate the records, batch-read what rating
needs, rate, draw the pools, post one ledger charge per charged call, insert the call
records, refresh the planner statistics it made stale) on simulated traffic, and, in the
same run, a plain ``bulk_create`` of the same rows into the call records table and (on
PostgreSQL) a plain ``COPY`` of them, the database's own pace; then prints the rates side
by side, the import's ratio to each, the import's client CPU time per call, and the
machine's load average before and after (the figures mean little on a busy machine).

``--repeat N`` runs N rounds, each an import and a ``COPY`` of its own traffic into new
tenants that are deleted before the next round (the tables as the first round found
them), and ends with the median of the rounds' rates and of their ratios, with their
range: on a shared machine a single COPY of 20,000 rows varied from 0.6 to 1.0 s between
consecutive runs, so one pair of timings says little. The plain ``bulk_create`` runs in
the first round only.

The benchmark works in throwaway tenants (slug ``bench-usage-…``) with 300 users holding a
mix of licenses, a toll-free number and a large balance; loads the sample rates if they
are missing; checks the ledger of the tenant it charged; and deletes its tenants at the
end unless ``--keep`` is given. Run it against a scratch database.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import override_settings

from accounts.models import AuditEvent, LicenseAssignment, Product, Subscription, Tenant, User
from credits.billing.services.accounts import credit_account_open
from credits.common.bulk import analyze_sql, copy_available, rows_insert
from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.ledger.verification import account_label, account_verify
from credits.usage.choices import UsageSource
from credits.usage.models.calls import CallDaySummary, CallRecord, MinutePool, TollFreeNumber
from credits.usage.models.rates import Rate
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import (
    CALL_COLUMNS,
    CALL_PLANNER_FIELDS,
    CHUNK_SIZE,
    usage_import,
)
from credits.usage.services.rates import sample_rates_load
from credits.usage.services.summaries import call_summaries_rebuild
from credits.usage.telephony.simulator import calls_simulate, sample_numbers

USERS = 300
FIRST_DAY = date(2025, 3, 3)
# product code -> every how many users hold it (user n holds it when n % every == 0...)
LICENSES = {
    Product.COMMUNICATIONS_CREDITS: (2, 0),  # half of the users
    Product.DOMESTIC_CALLING_PLAN: (5, 1),  # users 1, 6, 11, ...: 20%
    Product.DOMESTIC_INTERNATIONAL_CALLING_PLAN: (10, 3),  # 10%
    Product.MICROSOFT_365_E5: (3, 0),  # a third (Audio Conferencing and Phone System)
    Product.PHONE_SYSTEM: (1, 0),  # everyone can call
}


class Command(BaseCommand):
    help = "Measure usage import + rating + charging in calls per second, against a plain insert."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--calls", type=int, default=20_000, help="Calls (default 20,000).")
        parser.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE,
            help=f"Records per transaction (default {CHUNK_SIZE}).",
        )
        parser.add_argument(
            "--repeat", type=int, default=1,
            help="Rounds of import and COPY, summed up by their medians (default 1).",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark tenants.")

    def handle(
        self, *args, calls: int, chunk_size: int, repeat: int, keep: bool, **options
    ) -> None:
        if not 1 <= calls <= 100_000:
            raise CommandError("--calls must be between 1 and 100,000.")
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        if not 1 <= repeat <= 50:
            raise CommandError("--repeat must be between 1 and 50.")
        # As in production: no DEBUG query log (it would weigh on every insert).
        with override_settings(DEBUG=False):
            self._run(calls, chunk_size, repeat, keep)

    def _run(self, calls: int, chunk_size: int, repeat: int, keep: bool) -> None:
        self.stdout.write(
            f"Usage benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), "
            f"{calls:,} calls, chunks of {chunk_size:,}, {multiprocessing.cpu_count()} CPU cores"
        )
        if not Rate.objects.filter(currency="USD").exists():
            sample_rates_load()
        rounds = []
        for number in range(1, repeat + 1):
            if repeat > 1:
                self.stdout.write(f"Round {number} of {repeat}")
            rounds.append(self._round(calls, chunk_size, keep, plain_insert=number == 1))
        if repeat > 1:
            self._summary(rounds)

    def _round(
        self, calls: int, chunk_size: int, keep: bool, *, plain_insert: bool
    ) -> tuple[float, float | None]:
        """One import and one COPY (and the plain insert); returns the import's rate
        and the COPY's (None without COPY)."""
        run = uuid.uuid4().hex[:8]
        tenants: list[Tenant] = []
        try:
            tenant = self._tenant(run, "import", tenants)
            account = bench_account(
                tenant, amount=Decimal("1000000.00"), key=f"bench-usage:{run}:seed"
            )
            self._directory(tenant)
            rows = self._traffic(tenant, calls)
            # The traffic's days are fixed (comparable figures): the import's clock is the
            # end of its last call, so the records fall inside the window it accepts.
            as_of = max(datetime.fromisoformat(row["End Time"]) for row in rows)
            _settle()
            load_before = _load()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = usage_import(
                tenant=tenant, records=list(enumerate(rows, start=1)), source=UsageSource.FILE,
                chunk_size=chunk_size, now=as_of,
            )
            imported = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            if result.rejected or result.conflicts or result.imported != len(rows):
                first = (result.rejected or result.conflicts)[0].reason if (
                    result.rejected or result.conflicts) else "count mismatch"
                raise CommandError(f"The import refused records: {first}")
            plain = None
            if plain_insert:
                _settle()
                plain = self._plain_insert(
                    tenant, self._tenant(run, "plain", tenants), chunk_size
                )
            copied = None
            if copy_available():
                _settle()
                copied = self._plain_copy(tenant, self._tenant(run, "copy", tenants), chunk_size)
            self._report(len(rows), imported, plain, copied, result)
            if result.analyzed:
                self.stdout.write(
                    f"  planner statistics: the import analyzed {', '.join(result.analyzed)} "
                    f"(included above; ANALYZE of them again now: "
                    f"{_analyze_seconds(result.analyzed):.2f} s)"
                )
            self.stdout.write(
                f"  import client CPU {cpu:.2f} s = {cpu / len(rows) * 1e6:,.0f} µs per call "
                "(the Python side; the rest is the database and waiting)"
            )
            self.stdout.write(
                f"  load average {load_before} before, {_load()} after (1, 5, 15 min; "
                f"{multiprocessing.cpu_count()} cores): other work on the machine slows "
                "every figure"
            )
            problems = account_verify(account)
            if problems:
                raise CommandError(f"{account_label(account)} does not reconcile: {problems[0]}")
            self.stdout.write("  the benchmark account reconciles (ledger verification clean)")
        finally:
            if not keep:
                self._delete(tenants)
        return len(rows) / imported, (len(rows) / copied if copied else None)

    def _summary(self, rounds: list[tuple[float, float | None]]) -> None:
        imports = [rate for rate, _copy in rounds]
        self.stdout.write(
            f"Over {len(rounds)} rounds: import {_spread(imports, '{:,.0f}')} calls/s"
        )
        copies = [(rate, copy) for rate, copy in rounds if copy]
        if copies:
            self.stdout.write(
                f"  COPY {_spread([copy for _rate, copy in copies], '{:,.0f}')} rows/s; "
                f"import / COPY {_spread([rate / copy for rate, copy in copies], '{:.2f}')}"
            )

    # ------------------------------------------------------------------- set-up

    def _tenant(self, run: str, label: str, tenants: list[Tenant]) -> Tenant:
        tenant = Tenant.objects.create(
            name=f"Usage benchmark {run} {label}", slug=f"bench-usage-{run}-{label}",
            country="US", currency="USD",
        )
        tenants.append(tenant)
        return tenant

    def _directory(self, tenant: Tenant) -> None:
        password = make_password(None)
        locations = ("US",) * 8 + ("CA", "GB")
        User.objects.bulk_create(
            [
                User(
                    tenant=tenant, username=f"user{n:04d}@{tenant.slug}.example",
                    display_name=f"Bench User {n:04d}", password=password,
                    usage_location=locations[n % len(locations)],
                )
                for n in range(USERS)
            ]
        )
        users = list(User.objects.filter(tenant=tenant).order_by("username"))
        products = {p.code: p for p in Product.objects.filter(code__in=LICENSES)}
        for code in LICENSES:
            Subscription.objects.create(tenant=tenant, product=products[code], seats=USERS)
        LicenseAssignment.objects.bulk_create(
            [
                LicenseAssignment(user=user, tenant=tenant, product=products[code])
                for n, user in enumerate(users)
                for code, (every, offset) in LICENSES.items()
                if n % every == offset
            ],
            batch_size=2000,
        )

    def _traffic(self, tenant: Tenant, calls: int) -> list[dict[str, str]]:
        sim = simulation_tenant(tenant=tenant)
        rows: list[dict[str, str]] = []
        day = FIRST_DAY
        while len(rows) < calls:
            rows += calls_simulate(tenant=sim, day=day, calls=2000, seed="bench")
            day += timedelta(days=1)
        return rows[:calls]

    # ---------------------------------------------------------------- measuring

    def _plain_insert(self, source: Tenant, target: Tenant, chunk_size: int) -> float:
        """The same rows, inserted with a plain bulk_create (no rating, no ledger)."""
        skip = {"id", "tenant", "entry"}
        names = [f.attname for f in CallRecord._meta.concrete_fields if f.name not in skip]
        rows = list(CallRecord.objects.filter(tenant=source).order_by("id").values(*names))
        for row in rows:  # a record without a ledger entry charges nothing
            row["charge"] = row["connection_fee"] = Decimal("0")
        started = time.perf_counter()
        for start in range(0, len(rows), chunk_size):
            with transaction.atomic():
                CallRecord.objects.bulk_create(
                    [CallRecord(tenant=target, **row) for row in rows[start : start + chunk_size]],
                    batch_size=1000,
                )
        elapsed = time.perf_counter() - started
        call_summaries_rebuild(tenant=target)  # untimed: the rows bypassed the import
        return elapsed

    def _plain_copy(self, source: Tenant, target: Tenant, chunk_size: int) -> float:
        """The same rows streamed with COPY (PostgreSQL), the way the import writes them."""
        columns = [c for c in CALL_COLUMNS if c != "tenant_id"]
        rows = list(CallRecord.objects.filter(tenant=source).order_by("id").values_list(*columns))
        charge, fee, entry = (columns.index(n) for n in ("charge", "connection_fee", "entry_id"))
        prepared = []
        for row in rows:
            row = list(row)
            row[charge] = row[fee] = Decimal("0")
            row[entry] = None
            prepared.append(row)
        started = time.perf_counter()
        for start in range(0, len(prepared), chunk_size):
            with transaction.atomic():
                rows_insert(
                    CallRecord, ["tenant_id", *columns],
                    [(target.pk, *row) for row in prepared[start : start + chunk_size]],
                )
        elapsed = time.perf_counter() - started
        call_summaries_rebuild(tenant=target)  # untimed: the rows bypassed the import
        return elapsed

    def _report(self, count: int, imported: float, plain, copied, result) -> None:
        rate = count / imported
        self.stdout.write(
            f"  import + rating + charging {count:>7,} calls in {imported:7.2f} s = "
            f"{rate:8,.0f} calls/s"
        )
        if plain is not None:
            self.stdout.write(
                f"  plain bulk insert          {count:>7,} rows  in {plain:7.2f} s = "
                f"{count / plain:8,.0f} rows/s  (bulk_create)"
            )
        if copied is not None:
            self.stdout.write(
                f"  plain COPY                 {count:>7,} rows  in {copied:7.2f} s = "
                f"{count / copied:8,.0f} rows/s  (the database's pace: COPY, no checks)"
            )
            self.stdout.write(
                f"  import {rate:,.0f} calls/s | COPY {count / copied:,.0f} rows/s | "
                f"import / COPY = {rate / (count / copied):.2f}"
            )
        if plain is not None:
            self.stdout.write(f"  ratio {rate * plain / count:.2f} of the plain bulk insert rate")
        if copied is not None:
            self.stdout.write(f"  ratio {rate / (count / copied):.2f} of the plain COPY rate")
        self.stdout.write(
            f"  {result.calls_charged:,} calls charged to credits "
            f"({result.calls_charged / count:.0%}), one ledger entry each; "
            f"{result.pool_minutes:,} pool minutes; {result.amount_charged} USD"
        )

    def _delete(self, tenants: list[Tenant]) -> None:
        """Remove the benchmark's own throwaway tenants; touches nothing else."""
        ids = [t.pk for t in tenants if t.slug.startswith("bench-usage-")]
        if not ids:
            return
        CallRecord.objects.filter(tenant__in=ids).delete()
        CallDaySummary.objects.filter(tenant__in=ids).delete()
        MinutePool.objects.filter(tenant__in=ids).delete()
        TollFreeNumber.objects.filter(tenant__in=ids).delete()
        LotMovement.objects.filter(entry__account__tenant__in=ids).delete()
        LedgerEntry.objects.filter(account__tenant__in=ids).delete()
        FundLot.objects.filter(account__tenant__in=ids).delete()
        CreditAccount.objects.filter(tenant__in=ids).delete()
        LicenseAssignment.objects.filter(tenant__in=ids).delete()
        Subscription.objects.filter(tenant__in=ids).delete()
        AuditEvent.objects.filter(tenant__in=ids).delete()
        User.objects.filter(tenant__in=ids).delete()
        Tenant.objects.filter(pk__in=ids).delete()
        if copy_available() and not connection.in_atomic_block:
            # Leave the tables as the run found them: without a VACUUM the next run's
            # import would ANALYZE (and read) every row deleted here, a cost the
            # benchmark made itself (autovacuum would get there later).
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {', '.join(SETTLED_TABLES)}")


SETTLED_TABLES = (
    "credits_callrecord", "credits_calldaysummary", "credits_ledgerentry",
    "credits_lotmovement", "credits_fundlot",
)


def _settle() -> None:
    """Before each timed phase on PostgreSQL, leave nothing of the phase before to the
    background: a VACUUM ANALYZE of the tables the phases write (so autovacuum has no
    reason to analyze the rows the phase before wrote while the next one runs on the
    same cores) and a CHECKPOINT (so no phase pays for writing out another's pages).
    Untimed. The CHECKPOINT needs a superuser or the pg_checkpoint role; without it the
    measurement goes on."""
    if not copy_available() or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(SETTLED_TABLES)}")
        try:
            with transaction.atomic():
                cursor.execute("CHECKPOINT")
        except DatabaseError:
            pass


def _analyze_seconds(tables: list[str]) -> float:
    """How long the import's ANALYZE of ``tables`` takes now (PostgreSQL): the call
    records' planner columns, the other tables whole."""
    planned = {CallRecord: CALL_PLANNER_FIELDS}
    models_of = {model._meta.db_table: model for model in (CallRecord, LedgerEntry, LotMovement)}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            model = models_of[table]
            cursor.execute(analyze_sql(model, planned.get(model)))
    return time.perf_counter() - started


def _spread(values: list[float], shape: str) -> str:
    """``median (min–max)`` of ``values``, each written with ``shape``."""
    return (
        f"median {shape.format(statistics.median(values))} "
        f"({shape.format(min(values))}–{shape.format(max(values))})"
    )


def _load() -> str:
    """The 1, 5 and 15-minute load averages (``n/a`` where the system has none)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def bench_account(tenant: Tenant, *, amount: Decimal, key: str) -> CreditAccount:
    """A benchmark tenant's credit account, funded with ``amount``, and a toll-free number
    of its own (numbers are unique across tenants), as the benchmarks' traffic expects."""
    account = credit_account_open(tenant=tenant)
    ledger.funds_add(
        account=account, amount=amount, currency="USD", source=FundSource.PURCHASE,
        idempotency_key=key,
    )
    taken = set(TollFreeNumber.objects.values_list("number", flat=True))
    free = [n for n in sample_numbers("US", "toll_free", 200) if n not in taken]
    if free:
        TollFreeNumber.objects.create(tenant=tenant, number=free[-1], country="US")
    return account
