"""``manage.py assign_licenses``: what PowerShell is to the admin center, for licenses.

    manage.py assign_licenses --tenant contoso --product MCOPSTNC --users-file people.txt
    manage.py assign_licenses --tenant contoso --product MCOMEETADV --all
    manage.py assign_licenses --tenant contoso --product MCOPSTNC --users-file gone.txt --remove

The users file has one username per line (blank lines and ``#`` comments are ignored), or
is a CSV whose header has a ``username`` column, such as an Import users file. ``--all``
assigns to every user who can hold a license (sign-in allowed, usage location set) or,
with ``--remove``, removes the license from every user of the tenant. The same rules as
the admin center apply, all or nothing: if one user cannot get the license, no one does.
"""

from __future__ import annotations

import csv
import io

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts.commands import ConsoleCommand
from accounts.exceptions import LicenseChangesRefused, LicenseError
from accounts.models import Product, Subscription, Tenant, User
from accounts.services import licenses_bulk_update

MAX_USERS_FILE_BYTES = 5 * 1024 * 1024
_USERNAME_COLUMNS = {"username", "user name", "userprincipalname", "user principal name", "upn"}


class Command(ConsoleCommand):
    help = _lazy(
        "Assign (or with --remove, unassign) one product's license to many users of a "
        "tenant, all or nothing, with the admin center's rules."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", required=True, metavar="SLUG", help=_("The tenant's slug.")
        )
        parser.add_argument(
            "--product",
            required=True,
            metavar="CODE",
            help=_("The product's code, e.g. MCOPSTNC (Communications Credits)."),
        )
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument(
            "--users-file",
            metavar="FILE",
            help=_("One username per line, or a CSV with a username column."),
        )
        who.add_argument(
            "--all",
            action="store_true",
            help=_("Every user who can hold a license (with --remove: every user)."),
        )
        parser.add_argument(
            "--remove", action="store_true", help=_("Remove the license instead of assigning it.")
        )

    def handle(
        self, *args, tenant: str, product: str, users_file, all: bool, remove: bool, **options
    ):
        organization = Tenant.objects.filter(slug=tenant).first()
        if organization is None:
            raise CommandError(_("No tenant has the slug %(slug)r.") % {"slug": tenant})
        item = Product.objects.filter(code__iexact=product.strip()).first()
        if item is None:
            codes = ", ".join(
                Subscription.objects.for_tenant(organization)
                .order_by("product__sort_order")
                .values_list("product__code", flat=True)
            )
            raise CommandError(
                _("No product has the code %(code)r. %(tenant)s subscribes to: %(codes)s.")
                % {"code": product, "tenant": organization.name,
                   "codes": codes or _("nothing yet")}
            )

        if all:
            users = list(User.objects.for_tenant(organization).order_by("username"))
            if not remove:
                skipped = [u for u in users if not (u.is_active and u.usage_location)]
                users = [u for u in users if u.is_active and u.usage_location]
                if skipped:
                    self.stdout.write(
                        ngettext(
                            "Skipping %(count)s user who cannot hold a license (sign-in "
                            "blocked or no usage location).",
                            "Skipping %(count)s users who cannot hold a license (sign-in "
                            "blocked or no usage location).",
                            len(skipped),
                        ) % {"count": len(skipped)}
                    )
        else:
            users = _users_from_file(organization, users_file)
        if not users:
            raise CommandError(_("No users to change."))

        try:
            changes = licenses_bulk_update(
                tenant=organization,
                users=users,
                assign=[] if remove else [item],
                unassign=[item] if remove else [],
                acting_user=None,
            )
        except LicenseChangesRefused as error:
            details = "".join(f"\n  {problem.message}" for problem in error.problems[:50])
            more = len(error.problems) - 50
            if more > 0:
                details += "\n  " + _("... %(count)s more") % {"count": more}
            raise CommandError(f"{error.message}{details}") from None
        except LicenseError as error:
            raise CommandError(error.message) from None

        if remove:
            message = _(
                "%(product)s: removed from %(changed)s users (%(unchanged)s did not have it)."
            ) % {"product": item.name, "changed": changes.unassigned,
                 "unchanged": len(users) - changes.unassigned}
        else:
            message = _(
                "%(product)s: assigned to %(changed)s users (%(unchanged)s already had it)."
            ) % {"product": item.name, "changed": changes.assigned,
                 "unchanged": len(users) - changes.assigned}
        self.stdout.write(self.style.SUCCESS(message))


def _users_from_file(tenant: Tenant, path: str) -> list[User]:
    try:
        with open(path, "rb") as handle:
            content = handle.read(MAX_USERS_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s.") % {"file": path, "error": error.strerror or error}
        ) from None
    if len(content) > MAX_USERS_FILE_BYTES:
        raise CommandError(
            _("%(file)s is larger than %(size)s MB.")
            % {"file": path, "size": MAX_USERS_FILE_BYTES // 1024 // 1024}
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(_("%(file)s is not UTF-8 text.") % {"file": path}) from None

    wanted: dict[str, int] = {}  # username -> first line
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise CommandError(
            _("%(file)s is not a valid list or CSV file: %(error)s.")
            % {"file": path, "error": error}
        ) from None
    column = 0
    header_seen = False
    for line, cells in enumerate(rows, start=1):
        first = cells[0].strip() if cells else ""
        if not first and len(cells) <= 1 or first.startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            names = [" ".join(c.strip().lower().split()) for c in cells]
            matches = [i for i, name in enumerate(names) if name in _USERNAME_COLUMNS]
            if matches:
                column = matches[0]
                continue
            if len(cells) > 1:
                raise CommandError(
                    _("%(file)s, line %(line)s: a CSV needs a header with a username column.")
                    % {"file": path, "line": line}
                )
        value = cells[column].strip().lower() if column < len(cells) else ""
        if value:
            wanted.setdefault(value, line)

    found = {
        u.username: u for u in User.objects.for_tenant(tenant).filter(username__in=list(wanted))
    }
    missing = [(line, name) for name, line in wanted.items() if name not in found]
    if missing:
        details = "\n".join(
            "  " + _("line %(line)s: no user %(username)s in %(tenant)s")
            % {"line": line, "username": name, "tenant": tenant.name}
            for line, name in missing[:50]
        )
        more = (
            "\n  " + _("... %(count)s more") % {"count": len(missing) - 50}
            if len(missing) > 50 else ""
        )
        raise CommandError(
            _("%(count)s usernames of %(file)s are not users of %(tenant)s; nothing was "
              "changed.") % {"count": len(missing), "file": path, "tenant": tenant.name}
            + f"\n{details}{more}"
        )
    return [found[name] for name in wanted]
