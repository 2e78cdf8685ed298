from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import MAX_EXTRA_USERS, seed_demo
from accounts.models import Tenant, User
from credits.demo.bulk_calls import (
    BULK_TENANT,
    MAX_CALLS,
    BulkCallsRefused,
    bulk_calls_check,
    bulk_calls_prepare,
)
from credits.demo.calls import call_history_prepare
from credits.demo.history import seed_credit_history
from credits.demo.payments import seed_payment_demo
from credits.demo.recharge import demo_recharge_crossing
from credits.usage.services.rates import sample_rates_load

DEFAULT_PASSWORD = "demo-Credits-2026"  # noqa: S105 - the documented demo sign-in password


class Command(BaseCommand):
    help = (
        "Create or refresh the demo tenants Contoso, Fabrikam and Northwind Traders, one "
        "admin per role in each, and the platform superuser. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"Password for every demo sign-in (default: {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--users",
            type=int,
            default=0,
            metavar="N",
            help=(
                "Also give Contoso N generated users (person00001@contoso.example, ...), to "
                f"try Active users at scale; at most {MAX_EXTRA_USERS:,}. Safe to run again."
            ),
        )

        parser.add_argument(
            "--calls",
            type=int,
            default=0,
            metavar="N",
            help=(
                "Also give Contoso N call records over the past year, through the usage import "
                f"(charged, paid by monthly demo purchases); at most {MAX_CALLS:,}. Needs a "
                "fresh database; again with the same N adds nothing."
            ),
        )

    def handle(self, *args, password: str, users: int = 0, calls: int = 0, **options):
        if len(password) < 8:
            raise CommandError("The demo password must be at least 8 characters long.")
        if not 0 <= users <= MAX_EXTRA_USERS:
            raise CommandError(f"--users must be between 0 and {MAX_EXTRA_USERS:,}.")
        now = timezone.now()
        try:  # before anything is written
            bulk_calls_check(
                tenant=Tenant.objects.filter(slug=BULK_TENANT).first(), calls=calls, now=now
            )
        except BulkCallsRefused as refusal:
            raise CommandError(str(refusal)) from None
        result = seed_demo(password=password, extra_users=users)
        balances = []
        calls_done = []
        recharges = []
        sample_rates_load()
        for tenant in result.tenants:
            billing = User.objects.filter(tenant=tenant, username__startswith="billing@").first()
            history = call_history_prepare(tenant=tenant, scenario=tenant.slug, now=now)
            bulk = None
            if calls and tenant.slug == BULK_TENANT:
                bulk = bulk_calls_prepare(
                    tenant=tenant, calls=calls, now=now, history=history, acting_user=billing,
                    progress=self._progress,
                )
                if bulk is None:
                    self.stdout.write(f"{tenant.name} has its {calls:,} seeded calls already.")
            started = time.perf_counter()
            account = seed_credit_history(
                tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing,
                before_posting=bulk or history,
            )
            if bulk is not None:
                self._bulk_report(tenant, bulk, time.perf_counter() - started)
            seed_payment_demo(tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing)
            recharge = demo_recharge_crossing(tenant=tenant, now=now)
            if recharge is not None:
                status = recharge.get_status_display()
                recharges.append(f"{tenant.name} {recharge.number} ({status})")
            if account is not None:
                account.refresh_from_db()
                balances.append(f"{tenant.name} {account.balance:.2f} {account.currency}")
            if history is not None:
                calls_done.append(f"{tenant.name} {history.result.imported}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(result.tenants)} tenants, {result.created_users} users created."
            )
        )
        if balances:
            self.stdout.write("Credits balances: " + ", ".join(balances))
        if calls_done:
            self.stdout.write("Calls imported (simulated history): " + ", ".join(calls_done))
        if recharges:
            self.stdout.write(
                "Auto-recharge started by today's calls: " + ", ".join(recharges)
                + " (the background worker pays it; then see the subscription's transactions"
                " and the Message center)"
            )
        self.stdout.write(f"\nSign in at /accounts/login/ with password: {password}\n")
        highlights = {
            "Global Administrator",
            "Billing Administrator",
            "License Administrator",
            "Reports Reader",
            "Global Reader",
            "Platform staff",
        }
        width = max(len(u) for _, u, _ in result.sign_ins)
        for tenant, username, role in result.sign_ins:
            if role in highlights:
                self.stdout.write(f"  {username:<{width}}  {role:<24} {tenant}")
        self.stdout.write(
            "  (every tenant also has one admin per other role, e.g. teams@, helpdesk@, useradmin@)"
        )

    def _progress(self, done: int, total: int, day) -> None:
        self.stdout.write(f"  seeded calls: {done:,} of {total:,} (up to {day:%Y-%m-%d})")
        self.stdout.flush()

    def _bulk_report(self, tenant, bulk, seconds: float) -> None:
        rate = bulk.imported / seconds if seconds else 0
        self.stdout.write(
            f"Seeded calls (--calls): {tenant.name} {bulk.imported:,} in {seconds:.1f} s "
            f"({rate:,.0f} calls/s, with the demo history); {bulk.result.calls_charged:,} "
            f"charged calls, {bulk.funded:,.2f} {tenant.currency} of monthly demo purchases "
            "to pay for them"
        )
        if bulk.result.rejected:
            first = bulk.result.rejected[0]
            self.stderr.write(
                f"{len(bulk.result.rejected):,} seeded calls were not imported, e.g. "
                f"{first.usage_id}: {first.reason}"
            )
