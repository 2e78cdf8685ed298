"""``manage.py import_users --tenant SLUG FILE``: add a tenant's users from a CSV file.

The file is the one Active users > Import users takes (UTF-8, header ``display name,
username, usage location, department, job title``). Either every user is added, or none
is and each bad line is reported by its number. ``-`` reads the file from standard input.
"""

from __future__ import annotations

import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from accounts.exceptions import UsersImportError
from accounts.models import Tenant
from accounts.services import users_import
from accounts.services.user_import import MAX_IMPORT_BYTES


class Command(ConsoleCommand):
    help = _lazy(
        "Import users into a tenant's directory from a CSV file (display name, username, "
        "usage location, department, job title). All or nothing; bad lines are reported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", required=True, metavar="SLUG", help=_("The tenant's slug.")
        )
        parser.add_argument(
            "file", metavar="FILE", help=_("The CSV file, or - for standard input.")
        )

    def handle(self, *args, tenant: str, file: str, **options):
        organization = Tenant.objects.filter(slug=tenant).first()
        if organization is None:
            raise CommandError(_("No tenant has the slug %(slug)r.") % {"slug": tenant})
        content = _read(file)
        try:
            result = users_import(tenant=organization, content=content, acting_user=None)
        except UsersImportError as error:
            for row_error in error.errors:
                self.stderr.write(f"  {row_error}")
            if error.total_errors > len(error.errors):
                self.stderr.write(
                    "  " + _("... %(count)s more")
                    % {"count": error.total_errors - len(error.errors)}
                )
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(count)s users into %(tenant)s.")
                % {"count": result.count, "tenant": organization.name}
            )
        )


def _read(path: str) -> bytes:
    # Read one byte more than allowed, so an oversized file is refused, not truncated.
    limit = MAX_IMPORT_BYTES + 1
    if path == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s.") % {"file": path, "error": error.strerror or error}
        ) from None
