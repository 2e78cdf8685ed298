"""``manage.py import_usage --tenant SLUG FILE.csv``: import call records (docs/file-formats.md).

``--format graph`` reads a Microsoft Graph ``getPstnCalls`` page (``{"value": [...]}``) or
a list of ``pstnCallLogRow`` objects (JSON) instead of the CSV."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from accounts.models import Tenant
from credits.exceptions import CreditsError, UsageInvalid
from credits.usage.choices import UsageSource
from credits.usage.services.imports import (
    CHUNK_SIZE,
    ChargeAt,
    UsageImported,
    usage_import_csv,
    usage_import_graph,
)


def summary_lines(result: UsageImported) -> list[str]:
    return [
        gettext(
            "%(imported)s imported, %(duplicates)s duplicates, %(conflicts)s conflicts, "
            "%(rejected)s rejected (of %(received)s records)"
        ) % {"imported": result.imported, "duplicates": result.duplicates,
             "conflicts": len(result.conflicts), "rejected": len(result.rejected),
             "received": result.received},
        gettext(
            "%(pool_minutes)s minutes from pools; %(calls)s calls charged to credits: "
            "%(minutes)s minutes, %(amount)s %(currency)s"
        ) % {"pool_minutes": result.pool_minutes, "calls": result.calls_charged,
             "minutes": result.charged_minutes, "amount": result.amount_charged,
             "currency": result.currency},
    ]


def _json(file: str, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            gettext("%(file)s: not JSON: %(error)s (line %(line)s, column %(column)s).")
            % {"file": file, "error": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
    except RecursionError:
        raise CommandError(
            gettext("%(file)s: nests arrays or objects too deeply.") % {"file": file}
        ) from None


class Command(ConsoleCommand):
    help = _lazy(
        "Import a call-record CSV (the PSTN usage report's header), or with --format graph "
        "a Microsoft Graph getPstnCalls page, for a tenant: rate each call, draw from the "
        "minute pools and charge credits. Idempotent by UsageId (Graph's id); bad rows are "
        "reported by line (Graph's by index) and the good ones go in. Exit status 1 when any "
        "row was rejected or conflicted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tenant", required=True, metavar="SLUG", help=gettext("The tenant's slug.")
        )
        parser.add_argument(
            "file", help=gettext("The call-record CSV (UTF-8), or - for stdin.")
        )
        parser.add_argument(
            "--format", choices=("csv", "graph"), default="csv", dest="shape",
            help=gettext(
                "csv: the call-record CSV (default); graph: a Microsoft Graph getPstnCalls "
                "page or a JSON list of pstnCallLogRow objects, idempotent by id."
            ),
        )
        parser.add_argument(
            "--charge-at", choices=[c.value for c in ChargeAt], default=ChargeAt.IMPORT,
            help=gettext(
                "When charges take effect: at import (default) or at each call's end "
                "(replaying history; fails if the ledger already has later entries)."
            ),
        )
        parser.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE,
            help=gettext("Records per transaction (default %(size)s).") % {"size": CHUNK_SIZE},
        )

    def handle(
        self, *args, tenant: str, file: str, charge_at: str, chunk_size: int, shape: str,
        **options,
    ):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(gettext("No tenant with the slug %(slug)r.") % {"slug": tenant})
        if chunk_size < 1:
            raise CommandError(gettext("--chunk-size must be at least 1."))
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(gettext("%(file)s: no such file.") % {"file": file}) from None
        except UnicodeDecodeError:
            raise CommandError(gettext("%(file)s: not UTF-8 text.") % {"file": file}) from None
        try:
            if shape == "graph":
                result = usage_import_graph(
                    tenant=found, payload=_json(file, text), source=UsageSource.FILE,
                    charge_at=ChargeAt(charge_at), chunk_size=chunk_size,
                )
            else:
                result = usage_import_csv(
                    tenant=found, text=text, source=UsageSource.FILE,
                    charge_at=ChargeAt(charge_at), chunk_size=chunk_size,
                )
        except UsageInvalid as error:
            raise CommandError(
                gettext("%(file)s: %(reason)s Nothing was imported.")
                % {"file": file, "reason": error.message}
            ) from None
        except CreditsError as error:
            raise CommandError(
                gettext(
                    "%(file)s: stopped: %(reason)s Chunks before the error were imported; "
                    "importing the file again skips them."
                ) % {"file": file, "reason": error.message}
            ) from None
        for problem in [*result.conflicts, *result.rejected]:
            label = gettext("conflict") if problem in result.conflicts else gettext("rejected")
            self.stderr.write(f"{file}:{problem.line}: {label}: {problem.reason}")
        for line in summary_lines(result):
            self.stdout.write(line)
        if result.conflicts or result.rejected:
            raise CommandError(
                gettext(
                    "%(rejected)s rejected and %(conflicts)s conflicting records were not "
                    "imported (see above); the others were."
                ) % {"rejected": len(result.rejected), "conflicts": len(result.conflicts)}
            )
