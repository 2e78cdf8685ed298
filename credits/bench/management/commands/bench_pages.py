"""``manage.py bench_pages``: how the console's pages scale with the calls and the users.

It fills a throwaway tenant (slug ``bench-pages-…``: the 300 users with a mix of licenses
of ``bench_usage`` and a Global Administrator) with call records over the past year and
times, through the Django test client signed in as that admin, Home, Active users (plain
and searched), Reports > PSTN usage (7 and 28 days, searched by a caller's name, sorted
by charge), the Communications Credits page (with its funding advice and transactions)
and Bills & payments: per page the median over ``--requests`` requests (after
``WARM_UPS`` warm-ups) of the time spent in the database (every query of the request
timed by ``connection.execute_wrapper``) and of the whole request, and the page's query
count. It measures at ``--small`` calls and ``--users-small`` users, then adds calls up to
``--large`` and users up to ``--users-large`` and measures again, and prints each page's
ratios side by side (the target is at most 2 for the DB time) with the load average.

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
have kept them. The added users are written in bulk with their licenses (they make no
calls). The tables are analyzed after each fill, as autovacuum would have them. The
tenant is deleted at the end unless ``--keep``. Run it against a scratch database.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from queue import Empty

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AdminRole,
    AuditEvent,
    LicenseAssignment,
    Product,
    RoleAssignment,
    Subscription,
    Tenant,
    User,
)
from credits.bench.management.commands.bench_usage import LICENSES, bench_account
from credits.bench.management.commands.bench_usage import USERS as USERS_SMALL
from credits.bench.management.commands.bench_usage import Command as UsageBench
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
MAX_USERS = 100_000
USERS_CHUNK = 5_000
TARGET_RATIO = 2
HOSTS = ["testserver", "127.0.0.1", "localhost"]
EXPORT_TIMEOUT = 1800  # seconds


class Command(BaseCommand):
    help = (
        "Time the console's pages (DB time) at a small and a large size, and the PSTN usage "
        "exports' peak memory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--small", type=int, default=10_000,
                            help="Calls for the first measurement (default 10,000).")
        parser.add_argument("--large", type=int, default=1_000_000,
                            help="Calls for the second measurement (default 1,000,000).")
        parser.add_argument("--users-small", type=int, default=USERS_SMALL,
                            help=f"Users for the first measurement (default {USERS_SMALL:,}).")
        parser.add_argument("--users-large", type=int, default=10_000,
                            help="Users for the second measurement (default 10,000).")
        parser.add_argument("--requests", type=int, default=REQUESTS,
                            help=f"Timed requests per page (default {REQUESTS}).")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark tenant.")
        parser.add_argument("--skip-export", action="store_true",
                            help="Do not measure the CSV and Excel exports.")

    def handle(self, *args, small: int, large: int, users_small: int, users_large: int,
               requests: int, keep: bool, skip_export: bool, **options) -> None:
        if not 1 <= small < large <= MAX_CALLS:
            raise CommandError(
                f"--small and --large must satisfy 1 <= small < large <= {MAX_CALLS:,}."
            )
        if not USERS_SMALL <= users_small <= users_large <= MAX_USERS:
            raise CommandError(
                f"--users-small and --users-large must satisfy {USERS_SMALL} <= users-small "
                f"<= users-large <= {MAX_USERS:,}."
            )
        if requests < 1:
            raise CommandError("--requests must be at least 1.")
        # As in production: no DEBUG query log; the test client's host allowed.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=HOSTS):
            self._run((small, users_small), (large, users_large), requests, keep, skip_export)

    def _run(self, small: tuple[int, int], large: tuple[int, int], requests: int, keep: bool,
             skip_export: bool) -> None:
        run = uuid.uuid4().hex[:8]
        self.stdout.write(
            f"Console pages benchmark on {connection.vendor} "
            f"({connection.settings_dict['NAME']}), {small[0]:,} calls and {small[1]:,} users "
            f"then {large[0]:,} calls and {large[1]:,} users, "
            f"{multiprocessing.cpu_count()} CPU cores, load average {_load_text()}"
        )
        if not Rate.objects.filter(currency="USD").exists():
            sample_rates_load()
        tenant = Tenant.objects.create(
            name=f"Pages benchmark {run}", slug=f"{SLUG_PREFIX}{run}", country="US",
            currency="USD", require_mfa_for_admins=False,
        )
        try:
            account = bench_account(
                tenant, amount=Decimal("10000000.00"), key=f"bench-pages:{run}:seed"
            )
            UsageBench()._directory(tenant)  # the same 300 users and licenses
            admin = self._admin(tenant)
            filler = _Filler(tenant=tenant, account=account, run=run)
            figures, search = {}, ""
            for calls, users in (small, large):
                started = time.perf_counter()
                added_users = _users_fill_to(tenant, users)
                filler.fill_to(calls)
                _analyze()
                self.stdout.write(
                    f"  {calls:>9,} calls and {users:,} users ready "
                    f"({time.perf_counter() - started:.1f} s to add {filler.last_added:,} calls "
                    f"and {added_users:,} users); load average {_load_text()}"
                )
                search = search or _busiest_caller(tenant)
                figures[(calls, users)] = self._measure(admin, requests, _pages(search))
            self._ratios(figures, small, large, _pages(search))
            if not skip_export:
                self._exports(admin, large[0])
        finally:
            if not keep:
                _delete(tenant)

    # ------------------------------------------------------------------- set-up

    def _admin(self, tenant: Tenant) -> User:
        """A Global Administrator: every page below is theirs to open."""
        admin = User.objects.create(
            tenant=tenant, username=f"admin@{tenant.slug}.example",
            display_name="Bench Global Administrator", password=make_password(None),
        )
        RoleAssignment.objects.create(user=admin, role=AdminRole.GLOBAL_ADMIN)
        return admin

    # ---------------------------------------------------------------- measuring

    def _measure(self, admin: User, requests: int, pages) -> dict[str, Figure]:
        client = Client()
        client.force_login(admin)
        results = {}
        for label, name, params in pages:
            url = reverse(name)
            for _ in range(WARM_UPS):
                _get(client, url, params)
            db_times, wall_times = [], []
            for _ in range(requests):
                timer = _QueryTimer()
                started = time.perf_counter()
                with connection.execute_wrapper(timer):
                    _get(client, url, params)
                wall_times.append(time.perf_counter() - started)
                db_times.append(timer.seconds)
            with CaptureQueriesContext(connection) as queries:
                _get(client, url, params)
            figure = Figure(
                db=statistics.median(db_times), wall=statistics.median(wall_times),
                queries=len(queries),
            )
            results[label] = figure
            self.stdout.write(
                f"    {label:<30} DB {figure.db * 1000:7.1f} ms (min "
                f"{min(db_times) * 1000:.1f}, max {max(db_times) * 1000:.1f}), page "
                f"{figure.wall * 1000:7.1f} ms, {figure.queries} queries"
            )
        return results

    def _ratios(self, figures, small: tuple[int, int], large: tuple[int, int], pages) -> None:
        self.stdout.write(
            f"  {'page':<30} {'DB small':>9} {'DB large':>9} {'ratio':>6}  "
            f"{'page small':>10} {'page large':>10} {'ratio':>6}  queries"
        )
        for label, _name, _params in pages:
            low, high = figures[small][label], figures[large][label]
            db_ratio = high.db / low.db if low.db else float("inf")
            wall_ratio = high.wall / low.wall if low.wall else float("inf")
            verdict = "meets" if db_ratio <= TARGET_RATIO else "MISSES"
            self.stdout.write(
                f"  {label:<30} {low.db * 1000:7.1f}ms {high.db * 1000:7.1f}ms "
                f"{db_ratio:6.2f}  {low.wall * 1000:8.1f}ms {high.wall * 1000:8.1f}ms "
                f"{wall_ratio:6.2f}  {low.queries} -> {high.queries}  ({verdict} the DB "
                f"target of {TARGET_RATIO:g})"
            )
        self.stdout.write(f"  load average at the end {_load_text()}")

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


@dataclass(frozen=True)
class Figure:
    db: float  # median seconds spent in the database per request
    wall: float  # median seconds per request
    queries: int


class _QueryTimer:
    """``connection.execute_wrapper``: adds up the time of each query the request runs."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def _users_fill_to(tenant: Tenant, wanted: int) -> int:
    """Adds directory users up to ``wanted`` (the benchmark's admin aside), licensed as
    ``bench_usage``'s 300 are; answers how many were added."""
    have = User.objects.filter(tenant=tenant).exclude(pk__in=_admins(tenant)).count()
    if have >= wanted:
        return 0
    password = make_password(None)
    locations = ("US",) * 8 + ("CA", "GB")
    products = {p.code: p for p in Product.objects.filter(code__in=LICENSES)}
    for start in range(have, wanted, USERS_CHUNK):
        numbers = range(start, min(start + USERS_CHUNK, wanted))
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(
                    tenant=tenant, username=f"staff{n:05d}@{tenant.slug}.example",
                    display_name=f"Staff Member {n:05d}", password=password,
                    usage_location=locations[n % len(locations)],
                )
                for n in numbers
            )
            LicenseAssignment.objects.bulk_create(
                [
                    LicenseAssignment(user=user, tenant=tenant, product=products[code])
                    for n, user in zip(numbers, users, strict=True)
                    for code, (every, offset) in LICENSES.items()
                    if n % every == offset
                ],
                batch_size=2000,
            )
    Subscription.objects.filter(tenant=tenant).update(seats=wanted)
    return wanted - have


def _admins(tenant: Tenant):
    return RoleAssignment.objects.filter(user__tenant=tenant).values("user_id")


def _busiest_caller(tenant: Tenant) -> str:
    """The display name of the user with the most calls in the last 7 days (then of all
    time): what the searches look for, chosen at the small size so that the searched
    pages show calls at both sizes (a page with calls reads more than an empty one)."""
    calls = CallRecord.objects.filter(tenant=tenant).exclude(user_display_name="")
    recent = calls.filter(start_time__gte=timezone.now() - timedelta(days=7))
    for rows in (recent, calls):
        row = (
            rows.values("user_display_name").annotate(n=Count("pk"))
            .order_by("-n", "user_display_name").first()
        )
        if row:
            return row["user_display_name"]
    return "Bench User"


def _analyze() -> None:
    """Fresh planner statistics (and visibility maps) after the bulk inserts, as
    autovacuum would have them on a database that grew over time."""
    if connection.vendor == "postgresql":
        # VACUUM (the visibility map of index-only scans) can't run inside a transaction.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        tables = (CallRecord, CallDaySummary, User, LicenseAssignment, RoleAssignment,
                  LedgerEntry)
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
            # Write the fill's dirty pages out now rather than during the measurements (a
            # checkpoint the fill's WAL would start): the pages are timed in a steady
            # state, not in the aftermath of a bulk load. Needs a superuser or the
            # pg_checkpoint role; without them the measurements simply go on.
            if not connection.in_atomic_block:
                try:
                    with transaction.atomic():
                        cursor.execute("CHECKPOINT")
                except DatabaseError:
                    pass
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _load_text() -> str:
    return ", ".join(f"{value:.2f}" for value in _load_average())


def _pages(search: str) -> list[tuple[str, str, dict[str, str]]]:
    """What is timed: (label, URL name, query)."""
    return [
        ("Home", "accounts:home", {}),
        ("Active users", "accounts:active_users", {}),
        ("Active users, search", "accounts:active_users", {"q": search}),
        ("PSTN usage, 7 days", "credits:pstn_usage", {}),
        ("PSTN usage, 28 days", "credits:pstn_usage", {"range": "28"}),
        ("PSTN usage, search", "credits:pstn_usage", {"q": search}),
        ("PSTN usage, search 28 days", "credits:pstn_usage", {"q": search, "range": "28"}),
        ("PSTN usage, by charge", "credits:pstn_usage", {"sort": "-charge"}),
        ("PSTN usage, by charge 28 d", "credits:pstn_usage", {"sort": "-charge", "range": "28"}),
        ("Communications Credits", "credits:credits_subscription", {}),
        ("Bills & payments", "credits:bills", {}),
    ]


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
    LicenseAssignment.objects.filter(tenant__in=ids).delete()
    Subscription.objects.filter(tenant__in=ids).delete()
    AuditEvent.objects.filter(tenant__in=ids).delete()
    RoleAssignment.objects.filter(user__tenant__in=ids).delete()
    User.objects.filter(tenant__in=ids).delete()
    Tenant.objects.filter(pk__in=ids).delete()
