"""``manage.py ledger_verify``: recompute every credit account from its entries and lots."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from credits.ledger.models.accounts import CreditAccount
from credits.ledger.verification import account_label, account_verify


class Command(BaseCommand):
    help = (
        "Recompute every credit account from its ledger entries and fund lots. Prints each "
        "mismatch with the account it belongs to and exits non-zero if there is any."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tenant", metavar="SLUG", action="append", default=[],
            help="Only check this tenant's account (repeatable).",
        )

    def handle(self, *args, tenant: list[str], **options) -> None:
        accounts = CreditAccount.objects.select_related("tenant").order_by("pk")
        if tenant:
            accounts = accounts.filter(tenant__slug__in=tenant)
            missing = set(tenant) - set(accounts.values_list("tenant__slug", flat=True))
            if missing:
                raise CommandError(f"No credit account for tenant(s): {', '.join(sorted(missing))}")
        failed: list[str] = []
        checked = 0
        for account in accounts.iterator(chunk_size=200):
            checked += 1
            problems = account_verify(account)
            if problems:
                label = account_label(account)
                failed.append(label)
                for problem in problems:
                    self.stderr.write(f"MISMATCH {label}: {problem}")
        if failed:
            raise CommandError(
                f"{len(failed)} of {checked} credit account(s) do not reconcile: "
                + "; ".join(failed)
            )
        self.stdout.write(self.style.SUCCESS(f"{checked} credit account(s) reconcile."))
