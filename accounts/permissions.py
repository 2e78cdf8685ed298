"""The one place that maps admin roles to what they may do (README, "Who may do what").

Views ask ``user.has_action(Action.X)`` (or go through ``accounts.shell.access``); templates ask
``{% if perms_console.manage_billing %}`` via the context processor. Nothing else decides.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import AdminRole as R


class Action(models.TextChoices):
    USE_CONSOLE = "use_console", _("Sign in to the admin console")
    VIEW_USERS = "view_users", _("View users and their licenses")
    MANAGE_BILLING = "manage_billing", _("Buy, add funds, change recharge or payment settings")
    MANAGE_LICENSES = "manage_licenses", _("Assign or remove licenses, edit usage location")
    VIEW_BILLING = "view_billing", _("View billing pages")
    VIEW_USAGE_REPORTS = "view_usage_reports", _("View the PSTN usage report")
    VIEW_MESSAGE_CENTER = "view_message_center", _("View the Message center")
    OPEN_SERVICE_REQUESTS = "open_service_requests", _("Open service requests")
    MANAGE_SECURITY = "manage_security", _("Require MFA for the organization's admins")


ALL_ADMIN_ROLES: frozenset[str] = frozenset(R.values)

_BILLING_MANAGERS = frozenset({R.GLOBAL_ADMIN, R.BILLING_ADMIN})
_LICENSE_MANAGERS = frozenset({R.GLOBAL_ADMIN, R.LICENSE_ADMIN, R.USER_ADMIN})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Action.USE_CONSOLE: ALL_ADMIN_ROLES,
    Action.VIEW_USERS: ALL_ADMIN_ROLES,
    Action.MANAGE_BILLING: _BILLING_MANAGERS,
    Action.MANAGE_LICENSES: _LICENSE_MANAGERS,
    Action.VIEW_BILLING: _BILLING_MANAGERS | {R.GLOBAL_READER},
    Action.VIEW_USAGE_REPORTS: frozenset(
        {
            R.GLOBAL_ADMIN,
            R.GLOBAL_READER,
            R.REPORTS_READER,
            R.TEAMS_ADMIN,
            R.TEAMS_COMMS_ADMIN,
            R.TEAMS_COMMS_SUPPORT_ENGINEER,
            R.TEAMS_COMMS_SUPPORT_SPECIALIST,
            R.SKYPE_ADMIN,
        }
    ),
    Action.VIEW_MESSAGE_CENTER: ALL_ADMIN_ROLES,
    # Every admin may see the tenant's service requests (USE_CONSOLE); the read-only roles
    # may not open new ones.
    Action.OPEN_SERVICE_REQUESTS: ALL_ADMIN_ROLES - {R.GLOBAL_READER, R.REPORTS_READER},
    # "Require MFA for admins" (Sign-in and security): Global Administrators only.
    Action.MANAGE_SECURITY: frozenset({R.GLOBAL_ADMIN}),
}

# Admins holding any of these roles receive the credits emails.
NOTIFIED_ROLES: frozenset[str] = frozenset(
    {
        R.BILLING_ADMIN,
        R.SKYPE_ADMIN,
        R.GLOBAL_ADMIN,
        R.USER_ADMIN,
        R.HELPDESK_ADMIN,
        R.SERVICE_SUPPORT_ADMIN,
        R.DEVICE_ADMIN,
        R.APPLICATION_ADMIN,
        R.LICENSE_ADMIN,
        R.CLOUD_DEVICE_ADMIN,
        R.AUTHENTICATION_ADMIN,
        R.PRIVILEGED_AUTHENTICATION_ADMIN,
        R.TEAMS_COMMS_ADMIN,
        R.TEAMS_COMMS_SUPPORT_ENGINEER,
        R.TEAMS_COMMS_SUPPORT_SPECIALIST,
        R.TEAMS_ADMIN,
    }
)


def roles_allow(roles: Iterable[str], action: str) -> bool:
    allowed = ROLE_PERMISSIONS.get(action)
    if allowed is None:
        raise KeyError(f"Unknown action {action!r}; add it to ROLE_PERMISSIONS.")
    return not allowed.isdisjoint(roles)


def actions_for(roles: Iterable[str]) -> frozenset[str]:
    roles = frozenset(roles)
    return frozenset(action for action, allowed in ROLE_PERMISSIONS.items() if roles & allowed)
