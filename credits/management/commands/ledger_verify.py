"""``manage.py ledger_verify``: recompute every credit account from its entries and lots."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts.commands import ConsoleCommand
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.verification import account_label, account_verify


class Command(ConsoleCommand):
    help = _lazy(
        "Recompute every credit account from its ledger entries and fund lots. Prints each "
        "mismatch with the account it belongs to and exits non-zero if there is any."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tenant", metavar="SLUG", action="append", default=[],
            help=_("Only check this tenant's account (repeatable)."),
        )

    def handle(self, *args, tenant: list[str], **options) -> None:
        accounts = CreditAccount.objects.select_related("tenant").order_by("pk")
        if tenant:
            accounts = accounts.filter(tenant__slug__in=tenant)
            missing = set(tenant) - set(accounts.values_list("tenant__slug", flat=True))
            if missing:
                raise CommandError(
                    _("No credit account for tenant(s): %(slugs)s")
                    % {"slugs": ", ".join(sorted(missing))}
                )
        failed: list[str] = []
        checked = 0
        for account in accounts.iterator(chunk_size=200):
            checked += 1
            problems = account_verify(account)
            if problems:
                label = account_label(account)
                failed.append(label)
                for problem in problems:
                    self.stderr.write(
                        _("MISMATCH %(account)s: %(problem)s")
                        % {"account": label, "problem": problem}
                    )
        if failed:
            raise CommandError(
                ngettext(
                    "%(failed)s of %(checked)s credit account does not reconcile: %(accounts)s",
                    "%(failed)s of %(checked)s credit accounts do not reconcile: %(accounts)s",
                    checked,
                ) % {"failed": len(failed), "checked": checked, "accounts": "; ".join(failed)}
            )
        self.stdout.write(self.style.SUCCESS(
            ngettext(
                "%(checked)s credit account reconciles.",
                "%(checked)s credit accounts reconcile.",
                checked,
            ) % {"checked": checked}
        ))
