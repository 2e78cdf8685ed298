from __future__ import annotations

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts.choices import AdminRole
from accounts.commands import ConsoleCommand
from accounts.demo import MAX_EXTRA_USERS, DemoRefused, demo_seeders, seed_demo

DEFAULT_PASSWORD = "demo-Credits-2026"  # noqa: S105 - the documented demo sign-in password


class Command(ConsoleCommand):
    help = _lazy(
        "Create or refresh the demo tenants Contoso, Fabrikam and Northwind Traders, one "
        "admin per role in each, and the platform superuser, then what every app adds to "
        "the demo (credits: rates, balances, calls, payment methods). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("Password for every demo sign-in (default: %(password)s).")
            % {"password": DEFAULT_PASSWORD},
        )
        parser.add_argument(
            "--users",
            type=int,
            default=0,
            metavar="N",
            help=_(
                "Also give Contoso N generated users (person00001@contoso.example, ...), to "
                "try Active users at scale; at most %(max)s. Safe to run again."
            ) % {"max": f"{MAX_EXTRA_USERS:,}"},
        )
        for seeder in demo_seeders():
            seeder.add_arguments(parser)

    def handle(self, *args, password: str, users: int = 0, **options):
        if len(password) < 8:
            raise CommandError(_("The demo password must be at least 8 characters long."))
        if not 0 <= users <= MAX_EXTRA_USERS:
            raise CommandError(
                _("--users must be between 0 and %(max)s.") % {"max": f"{MAX_EXTRA_USERS:,}"}
            )
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
                ngettext(
                    "Demo ready: %(tenants)s tenants, %(users)s user created.",
                    "Demo ready: %(tenants)s tenants, %(users)s users created.",
                    result.created_users,
                ) % {"tenants": len(result.tenants), "users": result.created_users}
            )
        )
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(
            "\n" + _("Sign in at /accounts/login/ with password: %(password)s")
            % {"password": password} + "\n"
        )
        # The roles are compared and shown in the terminal's language (their labels are
        # translated when read).
        highlights = {
            str(role.label)
            for role in (AdminRole.GLOBAL_ADMIN, AdminRole.BILLING_ADMIN,
                         AdminRole.LICENSE_ADMIN, AdminRole.REPORTS_READER,
                         AdminRole.GLOBAL_READER)
        } | {_("Platform staff")}
        width = max(len(u) for _t, u, _r in result.sign_ins)
        for tenant, username, role in result.sign_ins:
            if str(role) in highlights:
                self.stdout.write(f"  {username:<{width}}  {str(role):<24} {tenant!s}")
        self.stdout.write(
            "  " + _(
                "(every tenant also has one admin per other role, e.g. teams@, helpdesk@, "
                "useradmin@)"
            )
        )

    def _write(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
