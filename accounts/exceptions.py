"""Domain errors raised by the accounts services; views turn them into messages.

Every error carries a ``message`` meant for the admin: it says who and why, in the
active language, and never names another tenant's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def who(user) -> str:
    """A user as messages name them: display names repeat, usernames do not."""
    if user.display_name and user.display_name != user.username:
        return f"{user.display_name} ({user.username})"
    return user.username


class AccountsError(Exception):
    """Base of the accounts domain errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# Licenses ----------------------------------------------------------------------------


class LicenseError(AccountsError):
    """A license change the rules refuse; nothing was saved."""

    code = "license"
    # Whether buying more licenses would fix it (the view then links to Purchase services).
    buy_more = False

    def __init__(self, message: str, *, user=None, product=None) -> None:
        super().__init__(message)
        self.user = user
        self.product = product


class UsageLocationMissing(LicenseError):
    code = "no_usage_location"

    def __init__(self, *, user, product=None) -> None:
        super().__init__(
            _(
                "%(user)s has no usage location. Set it on the Account tab before "
                "assigning a license."
            )
            % {"user": who(user)},
            user=user,
            product=product,
        )


class UserDisabled(LicenseError):
    code = "user_disabled"

    def __init__(self, *, user, product=None) -> None:
        super().__init__(
            _("%(user)s is blocked from signing in and can't be given a license.")
            % {"user": who(user)},
            user=user,
            product=product,
        )


class ProductNotSubscribed(LicenseError):
    code = "not_subscribed"
    buy_more = True

    def __init__(self, *, product, user=None) -> None:
        super().__init__(
            _("Your organization has no active subscription to %(product)s.")
            % {"product": product},
            user=user,
            product=product,
        )


class NotEnoughLicenses(LicenseError):
    code = "not_enough_licenses"
    buy_more = True

    def __init__(self, *, product, needed: int, available: int) -> None:
        super().__init__(
            ngettext(
                "Not enough licenses for %(product)s: %(needed)d needed, %(available)d available.",
                "Not enough licenses for %(product)s: %(needed)d needed, %(available)d available.",
                needed,
            )
            % {"product": product, "needed": needed, "available": available},
            product=product,
        )
        self.needed = needed
        self.available = available


class UserNotInTenant(LicenseError):
    code = "wrong_tenant"

    def __init__(self, *, user) -> None:
        # Deliberately vague: the user may belong to another organization.
        super().__init__(
            _("%(user)s isn't a user of your organization.") % {"user": user.username},
            user=None,
        )


class LicenseChangesRefused(LicenseError):
    """A bulk change in which at least one user could not be changed: nothing was."""

    code = "refused"

    def __init__(self, problems: Sequence[LicenseError]) -> None:
        self.problems = list(problems)
        super().__init__(
            ngettext(
                "No licenses were changed: %(count)d problem must be fixed first.",
                "No licenses were changed: %(count)d problems must be fixed first.",
                len(self.problems),
            )
            % {"count": len(self.problems)}
        )
        self.buy_more = any(p.buy_more for p in self.problems)


# Users -------------------------------------------------------------------------------


class UsageLocationRequired(AccountsError):
    """Clearing the usage location of a user who holds licenses."""

    def __init__(self, *, user) -> None:
        super().__init__(
            _(
                "%(user)s has licenses, which need a usage location. Remove the licenses "
                "before clearing it."
            )
            % {"user": who(user)}
        )


@dataclass(frozen=True)
class RowError:
    """One problem of an imported file: its line number (1 is the header) and why."""

    line: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class UsersImportError(AccountsError):
    """The file was refused as a whole; ``errors`` say which lines and why."""

    def __init__(self, errors: Sequence[RowError], *, total_errors: int | None = None) -> None:
        self.errors = list(errors)
        self.total_errors = total_errors if total_errors is not None else len(self.errors)
        super().__init__(
            ngettext(
                "No users were imported: the file has %(count)d error.",
                "No users were imported: the file has %(count)d errors.",
                self.total_errors,
            )
            % {"count": self.total_errors}
        )
