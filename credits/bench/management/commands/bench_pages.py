"""``manage.py bench_pages``: how Reports > PSTN usage scales with the number of calls.

It fills a throwaway tenant (slug ``bench-pages-…``: 300 users with a mix of licenses and
a reports reader, as in ``bench_usage``) with call records over the past year, and times
the report's first page (``credits:pstn_usage``, the default 7 days and ``?range=28``)
through the Django test client signed in as the reports reader: the median of
``REQUESTS`` requests after ``WARM_UPS`` warm-ups, and the page's query count. It does
that at ``--small`` calls, then adds calls up to ``--large`` and measures again, and
prints the ratio of the two medians (the target is at most 3).

Then, unless ``--skip-export``, it exports the whole year at the large size, each in a
fresh child process: the CSV download read chunk by chunk and thrown away, and the Excel
workbook written as the background export's task writes it; it reports the time and
the child's peak memory (its ``ru_maxrss``; the target is under 200 MB).

The data: a sample of simulated calls (at most ``TEMPLATE_CALLS``) goes through the real
usage import (rated, pools drawn, credits-paid calls charged); the rest are copies of
those rated rows on other days, written with ``credits.common.bulk.rows_insert`` (``COPY`` on
PostgreSQL, ``bulk_create`` on SQLite), each credits-paid copy charged through
``ledger.usage_charge_many`` so it has its ledger entry like any charged call; then the
tenant's per-day summaries are rebuilt (``call_summaries_rebuild``) as the import would
have kept them. The
tenant is deleted at the end unless ``--keep``. Run it against a scratch database.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from queue import Empty

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AdminRole,
    AuditEvent,
    LicenseAssignment,
    RoleAssignment,
    Subscription,
    Tenant,
    User,
)
from credits.bench.management.commands.bench_usage import Command as UsageBench
from credits.bench.management.commands.bench_usage import bench_account
from credits.bench.pages_export import export_child
from credits.common.bulk import rows_insert
from credits.ledger import services as ledger
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry, LotMovement
from credits.ledger.models.lots import FundLot
from credits.usage.choices import UsageSource
from credits.usage.models.calls import CallDaySummary, CallRecord, MinutePool, TollFreeNumber
from credits.usage.models.rates import Rate
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import CALL_COLUMNS, usage_import, usage_key
from credits.usage.services.rates import sample_rates_load
from credits.usage.services.summaries import call_summaries_rebuild
from credits.usage.telephony.simulator import calls_simulate

SLUG_PREFIX = "bench-pages-"
TEMPLATE_CALLS = 5_000
YEAR_DAYS = 365
CHUNK = 20_000
REQUESTS = 15
WARM_UPS = 3
MAX_CALLS = 5_000_000
RANGES = (("7 days (default)", {}), ("28 days", {"range": "28"}))
HOSTS = ["testserver", "127.0.0.1", "localhost"]
EXPORT_TIMEOUT = 1800  # seconds


class Command(BaseCommand):
    help = "Time Reports > PSTN usage at two numbers of calls, and the exports' peak memory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--small", type=int, default=10_000,
                            help="Calls for the first measurement (default 10,000).")
        parser.add_argument("--large", type=int, default=1_000_000,
                            help="Calls for the second measurement (default 1,000,000).")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark tenant.")
        parser.add_argument("--skip-export", action="store_true",
                            help="Do not measure the CSV and Excel exports.")

    def handle(self, *args, small: int, large: int, keep: bool, skip_export: bool,
               **options) -> None:
        if not 1 <= small < large <= MAX_CALLS:
            raise CommandError(
                f"--small and --large must satisfy 1 <= small < large <= {MAX_CALLS:,}."
            )
        # As in production: no DEBUG query log; the test client's host allowed.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=HOSTS):
            self._run(small, large, keep, skip_export)

    def _run(self, small: int, large: int, keep: bool, skip_export: bool) -> None:
        run = uuid.uuid4().hex[:8]
        load = ", ".join(f"{value:.2f}" for value in _load_average())
        self.stdout.write(
            f"PSTN usage report benchmark on {connection.vendor} "
            f"({connection.settings_dict['NAME']}), {small:,} then {large:,} calls, "
            f"{multiprocessing.cpu_count()} CPU cores, load average {load}"
        )
        if not Rate.objects.filter(currency="USD").exists():
            sample_rates_load()
        tenant = Tenant.objects.create(
            name=f"Pages benchmark {run}", slug=f"{SLUG_PREFIX}{run}", country="US",
            currency="USD",
        )
        try:
            account = bench_account(
                tenant, amount=Decimal("10000000.00"), key=f"bench-pages:{run}:seed"
            )
            UsageBench()._directory(tenant)  # the same 300 users and licenses
            reader = self._reader(tenant)
            filler = _Filler(tenant=tenant, account=account, run=run)
            figures = {}
            for size in (small, large):
                started = time.perf_counter()
                filler.fill_to(size)
                self.stdout.write(
                    f"  {size:>9,} calls ready ({time.perf_counter() - started:.1f} s to add "
                    f"{filler.last_added:,})"
                )
                figures[size] = self._measure(reader, size)
            self._ratios(figures, small, large)
            if not skip_export:
                self._exports(reader, large)
        finally:
            if not keep:
                _delete(tenant)

    # ------------------------------------------------------------------- set-up

    def _reader(self, tenant: Tenant) -> User:
        reader = User.objects.create(
            tenant=tenant, username=f"reports@{tenant.slug}.example",
            display_name="Bench Reports Reader", password=make_password(None),
        )
        RoleAssignment.objects.create(user=reader, role=AdminRole.REPORTS_READER)
        return reader

    # ---------------------------------------------------------------- measuring

    def _measure(self, reader: User, size: int) -> dict[str, tuple[float, int, int]]:
        client = Client()
        client.force_login(reader)
        url = reverse("credits:pstn_usage")
        results = {}
        for label, params in RANGES:
            for _ in range(WARM_UPS):
                _get(client, url, params)
            times = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                _get(client, url, params)
                times.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                _get(client, url, params)
            median = statistics.median(times)
            results[label] = (median, len(queries), len(times))
            self.stdout.write(
                f"    {label:<17} median {median * 1000:8.1f} ms "
                f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, "
                f"{len(times)} requests), {len(queries)} queries"
            )
        return results

    def _ratios(self, figures, small: int, large: int) -> None:
        for label, _params in RANGES:
            low, high = figures[small][label][0], figures[large][label][0]
            ratio = high / low if low else float("inf")
            verdict = "meets" if ratio <= 3 else "misses"
            self.stdout.write(
                f"  ratio {label}: {ratio:.2f} ({large:,} vs {small:,} calls; {verdict} the "
                f"target of 3), queries {figures[small][label][1]} -> "
                f"{figures[large][label][1]}"
            )

    def _exports(self, reader: User, size: int) -> None:
        today = timezone.now().date()
        params = {
            "range": "custom",
            "start": (today - timedelta(days=YEAR_DAYS)).isoformat(),
            "end": today.isoformat(),
        }
        context = multiprocessing.get_context("spawn")  # a clean process: its own peak
        for label, name in (("csv", "pstn_usage_csv"), ("xlsx", "report_export")):
            queue = context.Queue()
            child = context.Process(
                target=export_child, args=(reader.pk, name, params, HOSTS, queue)
            )
            child.start()
            try:
                result = queue.get(timeout=EXPORT_TIMEOUT)
            except Empty:
                result = {"error": f"no answer from the child (exit code {child.exitcode})"}
            child.join(timeout=10)
            if "error" in result:
                raise CommandError(f"The {name} export failed: {result['error']}")
            verdict = "meets" if result["peak_mb"] < 200 else "misses"
            self.stdout.write(
                f"  export {label} of the year ({size:,} calls): "
                f"{result['bytes'] / 1e6:,.1f} MB in {result['seconds']:.1f} s, status "
                f"{result['status']}, peak RSS {result['peak_mb']:.0f} MB (at start "
                f"{result['start_mb']:.0f} MB; {verdict} the target of 200 MB)"
            )


def _get(client: Client, url: str, params: dict[str, str]):
    response = client.get(url, params)
    if response.status_code != 200:
        raise CommandError(f"GET {url} answered {response.status_code}")
    return response


def _load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


class _Filler:
    """Adds call records to the benchmark tenant: rated template calls through the import,
    then copies of them spread over the year (see the module docstring)."""

    def __init__(self, *, tenant: Tenant, account: CreditAccount, run: str) -> None:
        self.tenant = tenant
        self.account = account
        self.run = run
        self.count = 0
        self.last_added = 0
        self.template: list[tuple] = []
        self.columns = [c for c in CALL_COLUMNS if c != "tenant_id"]
        self.now = timezone.now().astimezone(UTC).replace(microsecond=0)

    def fill_to(self, size: int) -> None:
        before = self.count
        if not self.template:
            self._template(min(size, TEMPLATE_CALLS))
        if self.count < size:
            self._copies(size - self.count)
            # The copies bypass the import: sum the report's per-day rollup again.
            call_summaries_rebuild(tenant=self.tenant)
        self.last_added = self.count - before

    def _template(self, calls: int) -> None:
        sim = simulation_tenant(tenant=self.tenant)
        today = self.now.date()
        days = [today - timedelta(days=n) for n in range(YEAR_DAYS - 1, -1, -1)]
        per_day = max(1, -(-calls * 5 // (YEAR_DAYS * 4)))  # weekends make a quarter
        rows = []
        for day in days:
            rows += [
                row for row in calls_simulate(tenant=sim, day=day, calls=per_day, seed="pages")
                if datetime.fromisoformat(row["End Time"]) <= self.now
            ]
        if len(rows) > calls:  # an even sample over the year
            rows = [rows[i * len(rows) // calls] for i in range(calls)]
        result = usage_import(
            tenant=self.tenant, records=list(enumerate(rows, start=1)),
            source=UsageSource.FILE,
        )
        if result.rejected or result.conflicts:
            problem = (result.rejected or result.conflicts)[0]
            raise CommandError(f"The import refused a benchmark call: {problem.reason}")
        self.template = list(
            CallRecord.objects.filter(tenant=self.tenant).order_by("start_time", "id")
            .values_list(*self.columns)
        )
        self.count = len(self.template)

    def _copies(self, wanted: int) -> None:
        col = {name: i for i, name in enumerate(self.columns)}
        first_day = self.now - timedelta(days=YEAR_DAYS - 1)
        done = 0
        while done < wanted:
            batch = min(CHUNK, wanted - done)
            rows, charges = [], []
            for k in range(batch):
                n = self.count + k
                row = list(self.template[n % len(self.template)])
                # Spread the copies evenly over the year, keeping each call's time of day.
                day = first_day + timedelta(days=(done + k) * YEAR_DAYS // wanted)
                start, end = row[col["start_time"]], row[col["end_time"]]
                moved = datetime.combine(day.date(), start.astimezone(UTC).time(), tzinfo=UTC)
                if moved + (end - start) > self.now:
                    moved -= timedelta(days=1)
                usage_id = f"bench-{self.run}-{n}"
                row[col["usage_id"]] = usage_id
                row[col["call_id"]] = usage_id
                row[col["fingerprint"]] = usage_id
                row[col["start_time"]] = moved
                row[col["end_time"]] = moved + (end - start)
                row[col["entry_id"]] = None
                if row[col["charge"]]:
                    charges.append(ledger.UsageCharge(
                        amount=row[col["charge"]], currency="USD",
                        idempotency_key=usage_key(usage_id), reference_type="call",
                        reference_id=usage_id, memo="Benchmark call",
                    ))
                rows.append(row)
            with transaction.atomic():
                if charges:
                    posted = ledger.usage_charge_many(account=self.account, charges=charges)
                    for row in rows:
                        if row[col["charge"]]:
                            entry = posted.entries[usage_key(row[col["usage_id"]])]
                            row[col["entry_id"]] = entry.pk
                rows_insert(
                    CallRecord, ["tenant_id", *self.columns],
                    [(self.tenant.pk, *row) for row in rows],
                )
            done += batch
            self.count += batch


def _delete(tenant: Tenant) -> None:
    """Remove the benchmark's own throwaway tenant; touches nothing else."""
    if not tenant.slug.startswith(SLUG_PREFIX):
        return
    ids = [tenant.pk]
    CallRecord.objects.filter(tenant__in=ids).delete()
    CallDaySummary.objects.filter(tenant__in=ids).delete()
    MinutePool.objects.filter(tenant__in=ids).delete()
    TollFreeNumber.objects.filter(tenant__in=ids).delete()
    LotMovement.objects.filter(entry__account__tenant__in=ids).delete()
    LedgerEntry.objects.filter(account__tenant__in=ids).delete()
    FundLot.objects.filter(account__tenant__in=ids).delete()
    CreditAccount.objects.filter(tenant__in=ids).delete()
    LicenseAssignment.objects.filter(user__tenant__in=ids).delete()
    Subscription.objects.filter(tenant__in=ids).delete()
    AuditEvent.objects.filter(tenant__in=ids).delete()
    RoleAssignment.objects.filter(user__tenant__in=ids).delete()
    User.objects.filter(tenant__in=ids).delete()
    Tenant.objects.filter(pk__in=ids).delete()
