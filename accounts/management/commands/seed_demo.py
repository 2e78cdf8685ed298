from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import MAX_EXTRA_USERS, seed_demo
from accounts.models import User
from credits.demo import seed_credit_history
from credits.demo_calls import call_history_prepare
from credits.demo_payments import seed_payment_demo
from credits.services.rates import sample_rates_load

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

    def handle(self, *args, password: str, users: int = 0, **options):
        if len(password) < 8:
            raise CommandError("The demo password must be at least 8 characters long.")
        if not 0 <= users <= MAX_EXTRA_USERS:
            raise CommandError(f"--users must be between 0 and {MAX_EXTRA_USERS:,}.")
        result = seed_demo(password=password, extra_users=users)
        now = timezone.now()
        balances = []
        calls = []
        sample_rates_load()
        for tenant in result.tenants:
            billing = User.objects.filter(tenant=tenant, username__startswith="billing@").first()
            history = call_history_prepare(tenant=tenant, scenario=tenant.slug, now=now)
            account = seed_credit_history(
                tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing,
                before_posting=history,
            )
            seed_payment_demo(tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing)
            if account is not None:
                balances.append(f"{tenant.name} {account.balance:.2f} {account.currency}")
            if history is not None:
                calls.append(f"{tenant.name} {history.result.imported}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(result.tenants)} tenants, {result.created_users} users created."
            )
        )
        if balances:
            self.stdout.write("Credits balances: " + ", ".join(balances))
        if calls:
            self.stdout.write("Calls imported (simulated history): " + ", ".join(calls))
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
