"""The role map against the README's "Who may do what", written out again here from it.

The expected table names roles as the admin center does (their display names), so the
test does not reuse a single constant from accounts.permissions.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import AdminRole
from accounts.permissions import (
    NOTIFIED_ROLES,
    ROLE_PERMISSIONS,
    Action,
    actions_for,
    roles_allow,
)

# The README's "Who may do what" table.
BILLING_ROLES = {"Global Administrator", "Billing Administrator"}
EXPECTED = {
    # buy, add funds, change recharge or payment settings
    "manage_billing": BILLING_ROLES,
    # assign or remove licenses, edit usage location
    "manage_licenses": {"Global Administrator", "License Administrator", "User Administrator"},
    # view billing pages: the above billing roles, Global Reader
    "view_billing": BILLING_ROLES | {"Global Reader"},
    # view PSTN usage report
    "view_usage_reports": {
        "Global Administrator",
        "Global Reader",
        "Reports Reader",
        "Teams Administrator",
        "Teams Communications Administrator",
        "Teams Communications Support Engineer",
        "Teams Communications Support Specialist",
        "Skype for Business Administrator",
    },
}

# The notified roles of the credits emails (docs/architecture.md): 16 roles.
EXPECTED_NOTIFIED = {
    "Billing Administrator",
    "Skype for Business Administrator",
    "Global Administrator",  # (Company Administrator)
    "User Administrator",
    "Helpdesk Administrator",
    "Service Support Administrator",
    "Device Administrator",
    "Application Administrator",
    "License Administrator",
    "Cloud Device Administrator",
    "Authentication Administrator",
    "Privileged Authentication Administrator",
    "Teams Communications Administrator",
    "Teams Communications Support Engineer",
    "Teams Communications Support Specialist",
    "Teams Administrator",
}

EVERY_ROLE_NAMED = set().union(*EXPECTED.values()) | EXPECTED_NOTIFIED


def _names(roles) -> set[str]:
    with translation.override("en"):
        return {str(AdminRole(role).label) for role in roles}


def _role_by_name(name: str) -> AdminRole:
    with translation.override("en"):
        matches = [role for role in AdminRole if str(role.label) == name]
    assert matches, f"The documentation names the role {name!r}, which AdminRole does not have."
    return matches[0]


def test_every_role_named_in_design_exists():
    assert len(EXPECTED_NOTIFIED) == 16
    assert _names(AdminRole.values) >= EVERY_ROLE_NAMED


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_role_map_matches_design(action):
    assert _names(ROLE_PERMISSIONS[action]) == EXPECTED[action]


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", AdminRole.values)
def test_roles_allow_exactly_the_roles_design_lists(role, action):
    expected = _names([role]) <= EXPECTED[action]
    assert roles_allow([role], action) is expected


def test_notified_roles_match_design():
    assert _names(NOTIFIED_ROLES) == EXPECTED_NOTIFIED


def test_readers_are_never_notified_nor_manage_anything():
    for reader in ("Global Reader", "Reports Reader"):
        role = _role_by_name(reader)
        assert role not in NOTIFIED_ROLES
        assert not roles_allow([role], Action.MANAGE_BILLING)
        assert not roles_allow([role], Action.MANAGE_LICENSES)


@pytest.mark.parametrize("role", AdminRole.values)
def test_every_admin_role_may_use_the_console(role):
    assert roles_allow([role], Action.USE_CONSOLE)


def test_no_role_allows_nothing():
    for action in Action.values:
        assert roles_allow([], action) is False


def test_every_action_has_an_entry_in_the_map():
    assert set(ROLE_PERMISSIONS) == set(Action.values)


def test_roles_allow_refuses_an_unknown_action():
    with pytest.raises(KeyError, match="delete_tenant"):
        roles_allow([AdminRole.GLOBAL_ADMIN], "delete_tenant")


def test_several_roles_combine_their_permissions():
    reader_and_billing = [_role_by_name("Reports Reader"), _role_by_name("Billing Administrator")]
    assert {Action.MANAGE_BILLING, Action.VIEW_BILLING, Action.VIEW_USAGE_REPORTS} <= actions_for(
        reader_and_billing
    )
    assert Action.MANAGE_LICENSES not in actions_for(reader_and_billing)


@pytest.mark.django_db
def test_users_are_asked_through_their_role_assignments(billing_admin, reports_reader, plain_user):
    assert billing_admin.has_action(Action.MANAGE_BILLING)
    assert not billing_admin.has_action(Action.VIEW_USAGE_REPORTS)
    assert reports_reader.has_action(Action.VIEW_USAGE_REPORTS)
    assert not reports_reader.has_action(Action.VIEW_BILLING)
    assert not plain_user.has_action(Action.USE_CONSOLE)
