from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.demo import MAX_EXTRA_USERS, DemoRefused, demo_seeders, seed_demo

DEFAULT_PASSWORD = "demo-Credits-2026"  # noqa: S105 - the documented demo sign-in password


class Command(BaseCommand):
    help = (
        "Create or refresh the demo tenants Contoso, Fabrikam and Northwind Traders, one "
        "admin per role in each, and the platform superuser, then what every app adds to "
        "the demo (credits: rates, balances, calls, payment methods). Safe to run again."
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
        for seeder in demo_seeders():
            seeder.add_arguments(parser)

    def handle(self, *args, password: str, users: int = 0, **options):
        if len(password) < 8:
            raise CommandError("The demo password must be at least 8 characters long.")
        if not 0 <= users <= MAX_EXTRA_USERS:
            raise CommandError(f"--users must be between 0 and {MAX_EXTRA_USERS:,}.")
        now = timezone.now()
        seeders = demo_seeders()
        try:  # before anything is written
            for seeder in seeders:
                seeder.check(options=options, now=now)
        except DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        result = seed_demo(password=password, extra_users=users)
        summary: list[str] = []
        for seeder in seeders:
            summary += seeder.seed(
                result=result, options=options, now=now, write=self._write,
                warn=self.stderr.write,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(result.tenants)} tenants, {result.created_users} users created."
            )
        )
        for line in summary:
            self.stdout.write(line)
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

    def _write(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
