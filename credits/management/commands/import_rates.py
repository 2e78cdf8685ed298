"""``manage.py import_rates FILE``: load per-minute rates (docs/file-formats.md), all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from credits.exceptions import RatesInvalid
from credits.usage.services.rates import SAMPLE_RATES, rates_import


class Command(ConsoleCommand):
    help = _lazy(
        "Import rates from a CSV (country,number_type,per_minute,connection_fee,currency"
        "[,effective_from]). Every line is checked first; if any is bad, nothing is "
        "imported and each bad line is reported with its number. Use --sample for the "
        "shipped sample rates."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help=_("The rate CSV (UTF-8)."))
        parser.add_argument(
            "--sample", action="store_true",
            help=_("Import the shipped sample rates (%(file)s): not real prices.")
            % {"file": SAMPLE_RATES.name},
        )
        parser.add_argument(
            "--effective-from", type=date.fromisoformat, metavar="YYYY-MM-DD",
            help=_(
                "Date the rates take effect when the file has no effective_from column "
                "(default: today, UTC)."
            ),
        )

    def handle(self, *args, file: str | None, sample: bool, effective_from, **options) -> None:
        if bool(file) == bool(sample):
            raise CommandError(_("Give a rate file, or --sample for the shipped sample rates."))
        path = SAMPLE_RATES if sample else Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(_("%(file)s: no such file.") % {"file": path}) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(file)s: not UTF-8 text.") % {"file": path}) from None
        try:
            result = rates_import(text=text, effective_from=effective_from)
        except RatesInvalid as error:
            for line, reason in error.problems:
                self.stderr.write(f"{path}:{line}: {reason}")
            raise CommandError(f"{path}: {error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(
                _("%(total)s rates: %(created)s new, %(updated)s changed, %(unchanged)s "
                  "unchanged.")
                % {"total": result.total, "created": result.created,
                   "updated": result.updated, "unchanged": result.unchanged}
            )
        )
