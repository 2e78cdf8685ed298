"""``manage.py import_users --tenant SLUG FILE``: add a tenant's users from a CSV file.

The file is the one Active users > Import users takes (UTF-8, header ``display name,
username, usage location, department, job title``). Either every user is added, or none
is and each bad line is reported by its number. ``-`` reads the file from standard input.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.exceptions import UsersImportError
from accounts.models import Tenant
from accounts.services import users_import
from accounts.services.user_import import MAX_IMPORT_BYTES


class Command(BaseCommand):
    help = (
        "Import users into a tenant's directory from a CSV file (display name, username, "
        "usage location, department, job title). All or nothing; bad lines are reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="The tenant's slug.")
        parser.add_argument("file", metavar="FILE", help="The CSV file, or - for standard input.")

    def handle(self, *args, tenant: str, file: str, **options):
        organization = Tenant.objects.filter(slug=tenant).first()
        if organization is None:
            raise CommandError(f"No tenant has the slug {tenant!r}.")
        content = _read(file)
        try:
            result = users_import(tenant=organization, content=content, acting_user=None)
        except UsersImportError as error:
            for row_error in error.errors:
                self.stderr.write(f"  {row_error}")
            if error.total_errors > len(error.errors):
                self.stderr.write(f"  ... {error.total_errors - len(error.errors)} more")
            raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(f"Imported {result.count} users into {organization.name}.")
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
        raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
