"""Several machines, for real, on PostgreSQL: 2 web servers (gunicorn) and 3 workers
(``manage.py db_worker``), each a process of its own against the test database, sharing
only PostgreSQL and the export storage (docs/operations.md, "Several machines").

At the same moment: call records posted to the usage API of both web servers (every batch
delivered twice, once to each, as a retrying PBX would), admins adding funds (a double
submit among them), the auto-recharges those imports start paid by the workers, and an
Excel export started on one web server, written by a worker and downloaded from the other.
Afterwards everything reconciles exactly: ``ledger_verify`` clean, each balance the sum of
its funds less the sum of its charges, one gateway charge and one funds entry per order,
each call once with its one charge entry, no task failed.

The processes use ``tests/scale_settings.py``. Run with ``-s`` to print the figures.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import AdminRole, Tenant
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.orders import gateway_key, order_place
from credits.ledger.choices import CREDIT_KINDS, EntryKind
from credits.models import (
    CallRecord,
    CreditAccount,
    ExportStatus,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
    ReportExport,
    SandboxCharge,
)
from credits.usage.services.api_tokens import api_token_create
from credits.usage.services.rates import rates_import
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.credits.calls import CREDITS, GB_FIXED, TEST_RATES, person, record
from tests.credits.payments import saved_card, token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WEB_SERVERS = 2
WORKERS = 3
TENANTS = 2
BATCHES = 6  # per tenant, each posted once to each web server
CALLS_PER_BATCH = 40
TOP_UPS = 3  # per tenant, plus one double submit
TOP_UP = Decimal("50")
START_WITHIN = 90  # seconds for the processes to answer, at most (a busy CI machine)
SETTLE_WITHIN = 60  # seconds for the workers to finish after the load, at most
PASSWORD = "Scale-out-2026"  # noqa: S105 - a test account's


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_environment(exports: Path) -> dict[str, str]:
    """The test database (the test's own name) and the shared export directory."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    url = (f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
           f"{db['NAME']}")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scale_settings",
        "DATABASE_URL": url,
        "CREDITS_EXPORT_DIR": str(exports),
        "PYTHONPATH": str(django_settings.BASE_DIR),
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def processes_running(tmp_path: Path) -> Iterator[list[str]]:
    """2 gunicorn web servers and 3 db_worker processes; answers the servers' base URLs.
    Their output goes to files under ``tmp_path`` (shown when the test fails)."""
    env = process_environment(tmp_path / "exports")
    base = django_settings.BASE_DIR
    started: list[tuple[subprocess.Popen, Path]] = []
    urls = []

    def start(name: str, command: list[str]) -> None:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as output:
            started.append((subprocess.Popen(  # noqa: S603 - our own interpreter
                command, cwd=base, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            ), log))

    try:
        for n in range(WEB_SERVERS):
            port = free_port()
            start(f"web-{n}", [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                "--worker-class", "gthread", "--timeout", "60",
            ])
            urls.append(f"http://127.0.0.1:{port}")
        for n in range(WORKERS):
            start(f"worker-{n}", [
                sys.executable, "manage.py", "db_worker", "--queue-name", "*",
                "--interval", "0.1", "--no-startup-delay", "--worker-id", f"scale-worker-{n}",
            ])
        wait_for_web(urls, started)
        yield urls
    except BaseException:
        for process, log in started:
            print(f"--- {log.name} (exit {process.poll()})\n{log.read_text()[-3000:]}")
        raise
    finally:
        for process, _log in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_for_web(urls: list[str], started) -> None:
    deadline = time.monotonic() + START_WITHIN
    waiting = set(urls)
    while waiting:
        for process, log in started:
            assert process.poll() is None, f"{log.name} exited: {log.read_text()[-3000:]}"
        for url in list(waiting):
            try:
                httpx.get(f"{url}/healthz", timeout=2)
            except httpx.TransportError:
                continue
            waiting.discard(url)
        assert time.monotonic() < deadline, f"not answering after {START_WITHIN}s: {waiting}"
        time.sleep(0.2)


# --------------------------------------------------------------------------- the tenants


def tenant_set_up(n: int) -> dict:
    """A tenant set up through the order services: 100 USD bought by card with
    auto-recharge on (50 when the balance falls below 20), 5 people with credits, a
    usage API token, and a Reports Reader."""
    tenant = TenantFactory(name=f"Scale {n}", slug=f"scale-{n}", country="US", currency="USD")
    Tenant.objects.filter(pk=tenant.pk).update(created_at=datetime.now(UTC) - timedelta(days=30))
    admin = AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN])
    card = saved_card(tenant)
    order_place(
        tenant=tenant, acting_user=admin, kind=OrderKind.PURCHASE, amount=Decimal("100"),
        payment=Payment(type=PaymentType.CARD, card=card), idempotency_key=token(),
        recharge=RechargeSettings(enabled=True, amount=Decimal("50"), trigger=Decimal("20")),
    )
    people = [person(tenant, f"caller{k}", CREDITS) for k in range(5)]
    reader = AdminFactory(tenant=tenant, roles=[AdminRole.REPORTS_READER],
                          username=f"reader@scale-{n}.example")
    reader.set_password(PASSWORD)
    reader.save(update_fields=["password"])
    return {
        "tenant": tenant, "admin": admin, "card": card, "people": people, "reader": reader,
        "token": api_token_create(tenant=tenant, name="PBX")[1],
    }


def batches_of(shop: dict, n: int) -> list[list[dict]]:
    """Calls of the last days, 20 to 59 minutes each (GB fixed: 0.04 a minute + 0.01)."""
    now = datetime.now(UTC).replace(microsecond=0)
    people = shop["people"]
    return [
        [
            record(
                upn=people[(b + c) % len(people)].username, destination=GB_FIXED,
                start=now - timedelta(hours=2 + b * CALLS_PER_BATCH + c),
                seconds=60 * (20 + (b * 7 + c) % 40),
                uid=f"scale-{n}-{b:02d}-{c:03d}",
            )
            for c in range(CALLS_PER_BATCH)
        ]
        for b in range(BATCHES)
    ]


# --------------------------------------------------------------------------- the load


def all_at_once(jobs: list[Callable[[], object]]) -> list:
    """Run every job in its own thread, released together; answers results or errors."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def usage_post(url: str, secret: str, rows: list[dict]) -> dict:
    response = httpx.post(f"{url}/api/v1/usage", json=rows, timeout=60,
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return response.json()


def top_up(shop: dict, key: str) -> Order:
    return order_place(
        tenant=shop["tenant"], acting_user=shop["admin"], kind=OrderKind.TOP_UP, amount=TOP_UP,
        payment=Payment(type=PaymentType.CARD, card=shop["card"]), idempotency_key=key,
    )


def signed_in(url: str, username: str) -> httpx.Client:
    """A browser session of a Reports Reader on the web server at ``url``."""
    browser = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
    browser.get("/accounts/login/")
    csrf = browser.cookies["csrftoken"]
    response = browser.post("/accounts/login/", data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf,
    }, headers={"Referer": f"{url}/accounts/login/"})
    assert response.status_code == 302, response.text[:500]
    return browser


def export_on_one_download_on_the_other(urls: list[str], shop: dict) -> bytes:
    """Start an Excel export on the first web server; a worker writes it to the shared
    storage; the second web server streams it."""
    first, second = signed_in(urls[0], shop["reader"].username), None
    try:
        started = first.post("/reports/pstn-usage/exports/", data={
            "query": urlencode({"range": "28"}),
            "csrfmiddlewaretoken": first.cookies["csrftoken"],
        }, headers={"Referer": f"{urls[0]}/reports/pstn-usage/"})
        assert started.status_code == 302, started.text[:500]
        export_id = int(re.search(r"/exports/(\d+)/", started.headers["Location"])[1])
        deadline = time.monotonic() + SETTLE_WITHIN
        while ReportExport.objects.get(pk=export_id).in_progress:
            assert time.monotonic() < deadline, "the export was not written in time"
            time.sleep(0.2)
        second = signed_in(urls[1], shop["reader"].username)
        download = second.get(f"/reports/pstn-usage/exports/{export_id}/download/")
        assert download.status_code == 200, download.status_code
        return download.content
    finally:
        first.close()
        if second is not None:
            second.close()


# --------------------------------------------------------------------------- settling


def work_waiting() -> bool:
    now = datetime.now(UTC)
    return (
        Order.objects.filter(status=OrderStatus.PENDING).exists()
        or DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
        or DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
        .exists()
    )


def settle() -> float:
    started = time.monotonic()
    while work_waiting():
        assert time.monotonic() - started < SETTLE_WITHIN, "the workers did not settle"
        time.sleep(0.2)
    return time.monotonic() - started


# --------------------------------------------------------------------------- the test


def test_two_web_servers_and_three_workers_reconcile_exactly(tmp_path, settings):
    assert connection.vendor == "postgresql"
    began = time.monotonic()
    # This process enqueues as the web servers do: onto the database queue.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"
    rates_import(text=TEST_RATES)
    shops = [tenant_set_up(n) for n in range(TENANTS)]
    batches = {n: batches_of(shop, n) for n, shop in enumerate(shops)}
    double_submit = {n: token() for n in range(TENANTS)}

    with processes_running(tmp_path) as urls:
        ready = time.monotonic()
        jobs: list[Callable[[], object]] = []
        for n, shop in enumerate(shops):
            for rows in batches[n]:
                for url in urls:  # the same batch to each web server: charged once
                    jobs.append(lambda url=url, shop=shop, rows=rows: usage_post(
                        url, shop["token"], rows))
            for _ in range(TOP_UPS):
                jobs.append(lambda shop=shop: top_up(shop, token()))
            for _ in range(2):  # Add funds pressed twice: one order
                jobs.append(lambda shop=shop, n=n: top_up(shop, double_submit[n]))
        jobs.append(lambda: export_on_one_download_on_the_other(urls, shops[0]))
        results = all_at_once(jobs)
        loaded = time.monotonic()
        errors = [r for r in results if isinstance(r, Exception)]
        assert errors == [], errors
        settle_seconds = settle()
        workbook = results[-1]

    # Calls: each once, whichever web server got it first, with one charge entry each.
    summaries = [r for r in results if isinstance(r, dict)]
    assert len(summaries) == TENANTS * BATCHES * WEB_SERVERS
    calls_sent = TENANTS * BATCHES * CALLS_PER_BATCH
    assert sum(s["imported"] for s in summaries) == calls_sent
    assert sum(s["duplicates"] for s in summaries) == calls_sent * (WEB_SERVERS - 1)
    assert all(s["conflicts"] == [] and s["rejected"] == [] for s in summaries)
    assert CallRecord.objects.count() == calls_sent
    assert CallRecord.objects.values("usage_id").distinct().count() == calls_sent
    charged = CallRecord.objects.filter(charge__gt=0)
    assert LedgerEntry.objects.filter(kind=EntryKind.USAGE).count() == charged.count()
    assert -LedgerEntry.objects.filter(kind=EntryKind.USAGE).aggregate(s=Sum("amount"))["s"] \
        == charged.aggregate(s=Sum("charge"))["s"]

    # Orders: set-up, Add funds (the double submit once), auto-recharges paid by workers.
    orders = list(Order.objects.all())
    for order in orders:
        assert order.status == OrderStatus.SUCCEEDED, (order, order.reconcile_note)
        assert SandboxCharge.objects.filter(idempotency_key=gateway_key(order)).count() == 1
        assert LedgerEntry.objects.filter(
            reference_type="order", reference_id=str(order.pk)
        ).count() == 1
    assert SandboxCharge.objects.count() == len(orders)
    for shop in shops:
        mine = Order.objects.filter(tenant=shop["tenant"])
        assert mine.filter(kind=OrderKind.PURCHASE).count() == 1
        assert mine.filter(kind=OrderKind.TOP_UP).count() == TOP_UPS + 1
        assert mine.filter(kind=OrderKind.AUTO_RECHARGE).count() >= 1
    recharges = DBTaskResult.objects.filter(task_path="credits.tasks.recharge_pay_task")
    assert recharges.count() == Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).count()
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
    workers_used = {w for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
                    for w in ids}
    assert workers_used and workers_used <= {f"scale-worker-{n}" for n in range(WORKERS)}

    # Balances: the funds less the charges, and the ledger's own check.
    for account in CreditAccount.objects.all():
        entries = LedgerEntry.objects.filter(account=account)
        funds = entries.filter(kind__in=CREDIT_KINDS).aggregate(s=Sum("amount"))["s"]
        spent = -entries.filter(kind=EntryKind.USAGE).aggregate(s=Sum("amount"))["s"]
        assert entries.exclude(kind__in=[*CREDIT_KINDS, EntryKind.USAGE]).count() == 0
        assert account.balance == funds - spent, account
        assert funds == Order.objects.filter(tenant=account.tenant).aggregate(
            s=Sum("amount"))["s"]
    out = StringIO()
    call_command("ledger_verify", stdout=out, stderr=StringIO())
    assert f"{TENANTS} credit accounts reconcile." in out.getvalue()

    # The export: written by a worker into the shared storage, streamed by the other server.
    export = ReportExport.objects.get()
    assert export.status == ExportStatus.SUCCEEDED, export.error
    assert workbook[:2] == b"PK" and (tmp_path / "exports" / export.file.name).is_file()

    print(
        f"\nscale-out: {WEB_SERVERS} web servers, {WORKERS} workers; processes answered in "
        f"{ready - began:.1f}s; load ({len(jobs)} requests and orders at once) in "
        f"{loaded - ready:.1f}s; settled {settle_seconds:.1f}s later; "
        f"{calls_sent} calls ({charged.count()} charged), {len(orders)} orders "
        f"({Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).count()} auto-recharges), "
        f"tasks run by {sorted(workers_used)}; {time.monotonic() - began:.1f}s in all"
    )
