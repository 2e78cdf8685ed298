"""``manage.py simulate_calls --tenant SLUG --days D --calls-per-day N``: realistic call
traffic for a tenant, through the same import path as files and the API."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime, timedelta

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from accounts.models import Tenant
from accounts.spreadsheets import cell_neutralize
from credits.exceptions import CreditsError
from credits.management.commands.import_usage import summary_lines
from credits.usage.selectors import simulation_tenant
from credits.usage.services.imports import ChargeAt
from credits.usage.services.simulation import MAX_CALLS_PER_DAY, MAX_DAYS, calls_simulate_import
from credits.usage.telephony.records import HEADER
from credits.usage.telephony.simulator import calls_simulate

# Durations and amounts stay numbers; every other column may carry typed text.
_TEXT_COLUMNS = frozenset(HEADER) - {"Duration Seconds", "Connection Fee", "Charge"}


class Command(ConsoleCommand):
    help = _lazy(
        "Simulate a tenant's calls for the D days before --end (default: today, UTC): mixed "
        "call types, countries, durations, toll-free inbound and conference dial-out, "
        "imported like a call-record file (rated, pooled, charged). Deterministic: the same "
        "days give the same UsageIds, and days that already have simulated calls are "
        "skipped. --output writes the CSV instead of importing it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tenant", required=True, metavar="SLUG", help=_("The tenant's slug.")
        )
        parser.add_argument(
            "--days", type=int, required=True, metavar="D", help=_("How many days to simulate.")
        )
        parser.add_argument(
            "--calls-per-day", type=int, required=True, metavar="N",
            help=_("How many calls each day."),
        )
        parser.add_argument(
            "--end", type=date.fromisoformat, metavar="YYYY-MM-DD",
            help=_("The day after the last simulated day (default: today, UTC)."),
        )
        parser.add_argument("--seed", default="", help=_("Vary the traffic (default: none)."))
        parser.add_argument(
            "--charge-at", choices=[c.value for c in ChargeAt], default=ChargeAt.IMPORT,
            help=_(
                "Charges at import (default) or at each call's end, day by day (needs a "
                "ledger without later entries)."
            ),
        )
        parser.add_argument(
            "--output", metavar="FILE",
            help=_("Write the calls as a call-record CSV (- for stdout) instead of importing."),
        )

    def handle(self, *args, tenant: str, days: int, calls_per_day: int, end, seed: str,
               charge_at: str, output: str | None, **options) -> None:
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(_("No tenant with the slug %(slug)r.") % {"slug": tenant})
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(_("--days must be between 1 and %(max)s.") % {"max": MAX_DAYS})
        if not 1 <= calls_per_day <= MAX_CALLS_PER_DAY:
            raise CommandError(
                _("--calls-per-day must be between 1 and %(max)s.")
                % {"max": f"{MAX_CALLS_PER_DAY:,}"}
            )
        end = end or datetime.now(UTC).date()
        first_day = end - timedelta(days=days)
        if output:
            self._write(found, first_day, days, calls_per_day, seed, output)
            return
        try:
            result = calls_simulate_import(
                tenant=found, first_day=first_day, days=days, calls_per_day=calls_per_day,
                seed=seed, charge_at=ChargeAt(charge_at),
            )
        except CreditsError as error:
            raise CommandError(_("Stopped: %(reason)s") % {"reason": error.message}) from None
        for problem in [*result.conflicts, *result.rejected]:
            self.stderr.write(
                _("record %(line)s (%(usage_id)s): %(reason)s")
                % {"line": problem.line, "usage_id": problem.usage_id, "reason": problem.reason}
            )
        self.stdout.write(
            _("Simulated %(first)s to %(last)s for %(tenant)s:")
            % {"first": f"{first_day:%Y-%m-%d}", "last": f"{end - timedelta(days=1):%Y-%m-%d}",
               "tenant": found.name}
        )
        for line in summary_lines(result):
            self.stdout.write(line)

    def _write(self, tenant, first_day, days, calls_per_day, seed, output) -> None:
        sim = simulation_tenant(tenant=tenant)
        handle = sys.stdout if output == "-" else open(output, "w", newline="", encoding="utf-8")  # noqa: SIM115
        try:
            writer = csv.DictWriter(handle, fieldnames=HEADER)
            writer.writeheader()
            count = 0
            for n in range(days):
                for row in calls_simulate(
                    tenant=sim, day=first_day + timedelta(days=n), calls=calls_per_day,
                    seed=seed,
                ):
                    writer.writerow(
                        {
                            name: cell_neutralize(value) if name in _TEXT_COLUMNS else value
                            for name, value in row.items()
                        }
                    )
                    count += 1
        finally:
            if handle is not sys.stdout:
                handle.close()
        if output != "-":
            self.stdout.write(
                _("Wrote %(count)s call records to %(file)s.") % {"count": count, "file": output}
            )
