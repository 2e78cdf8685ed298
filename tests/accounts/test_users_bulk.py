"""Manage product licenses for the selected users: Assign more, Unassign all, Save changes."""

from __future__ import annotations

import pytest

from accounts.models import AdminRole, AuditEvent, LicenseAssignment, User
from tests.accounts.factories import AdminFactory, UserFactory
from tests.accounts.licensing import (
    CONFERENCING,
    CREDITS,
    E5,
    bulk_users,
    codes_of,
    give,
    subscribe,
)
from tests.html_text import parse

URL = "/users/active/licenses/"


@pytest.fixture
def team(tenant):
    subscribe(tenant, E5, seats=10)
    subscribe(tenant, CONFERENCING, seats=3)
    subscribe(tenant, CREDITS, seats=0)
    return bulk_users(tenant, 3, prefix="team")


@pytest.fixture
def manager(client, license_admin):
    client.force_login(license_admin)
    return client


def ids(users) -> list[str]:
    return [str(u.pk) for u in users]


def test_panel_lists_the_selected_users_and_the_products(manager, team):
    response = manager.get(URL, {"user": ids(team)})

    assert response.status_code == 200
    page = parse(response.content)
    assert page.by_id("bulk-selected").text == "3 users selected:"
    assert page.by_id("bulk-selected-names").text == (
        "Team User 00000, Team User 00001, Team User 00002"
    )
    radios = [label.text for label in page.by_id("bulk-operation").find_all("label")]
    assert radios[0].startswith("Assign more") and radios[1].startswith("Unassign all")
    codes = [b.attrs["value"] for b in page.by_id("license-switches").find_all("input")]
    assert codes == [E5, CONFERENCING, CREDITS]
    hidden = [i.attrs["value"] for i in page.by_id("bulk-form").find_all("input", name="user")]
    assert hidden == ids(team)
    assert page.by_id("bulk-save").text == "Save changes"


def test_panel_is_a_page_without_javascript_and_a_partial_for_htmx(manager, team):
    full = manager.get(URL, {"user": ids(team)})
    partial = manager.get(URL, {"user": ids(team)}, headers={"HX-Request": "true"})
    assert b"<html" in full.content
    assert b"<html" not in partial.content
    assert parse(partial.content).by_id("bulk-form").attrs["hx-post"] == URL


def test_assign_more_adds_licenses_to_every_selected_user(manager, team, license_admin):
    give(team[:1], E5)

    response = manager.post(
        URL, {"user": ids(team), "operation": "assign", "products": [CONFERENCING, CREDITS]}
    )

    assert response.status_code == 302
    assert response["Location"] == "/users/active/"
    assert codes_of(team[0]) == {E5, CONFERENCING, CREDITS}  # kept E5
    assert codes_of(team[2]) == {CONFERENCING, CREDITS}
    assert AuditEvent.objects.filter(action="license.assign", actor=license_admin).count() == 3
    page = parse(manager.get("/users/active/").content)
    assert (
        "Audio Conferencing, Communications Credits assigned to 3 users (6 new licenses)."
        in page.by_id("messages").text
    )


def test_assign_over_htmx_shows_the_result_and_refreshes_the_list(manager, team):
    response = manager.post(
        URL,
        {"user": ids(team), "operation": "assign", "products": [CREDITS]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"users-changed": {}}'
    page = parse(response.content)
    assert page.by_id("bulk-done").text == (
        "Communications Credits assigned to 3 users (3 new licenses)."
    )
    close = page.by_id("panel-close")
    assert close.attrs["data-bs-dismiss"] == "offcanvas"


def test_unassign_all_removes_every_license(manager, team):
    give(team, E5)
    give(team[:2], CREDITS)

    response = manager.post(URL, {"user": ids(team[:2]), "operation": "unassign_all"})

    assert response.status_code == 302
    assert codes_of(team[0]) == codes_of(team[1]) == set()
    assert codes_of(team[2]) == {E5}
    page = parse(manager.get("/users/active/").content)
    assert "All licenses removed from 2 users (4 licenses)." in page.by_id("messages").text


def test_all_or_nothing_names_who_and_why(manager, team, tenant):
    User.objects.filter(pk=team[1].pk).update(usage_location="")
    User.objects.filter(pk=team[2].pk).update(is_active=False)

    response = manager.post(URL, {"user": ids(team), "operation": "assign", "products": [CREDITS]})

    assert response.status_code == 200
    error = parse(response.content).by_id("license-error")
    assert "No licenses were changed: 2 problems must be fixed first." in error.text
    problems = [li.text for li in error.find_all("li")]
    assert problems == [
        "Team User 00001 (team00001@contoso.example) has no usage location. Set it on the "
        "Account tab before assigning "
        "a license.",
        "Team User 00002 (team00002@contoso.example) is blocked from signing in and can't "
        "be given a license.",
    ]
    assert not LicenseAssignment.objects.exists()


def test_not_enough_licenses_in_bulk_offers_to_buy_more(manager, team, tenant):
    more = bulk_users(tenant, 1, prefix="more")

    response = manager.post(
        URL, {"user": ids([*team, *more]), "operation": "assign", "products": [CONFERENCING]}
    )

    page = parse(response.content)
    assert "Not enough licenses for Audio Conferencing: 4 needed, 3 available." in (
        page.by_id("license-error").text
    )
    assert page.has_id("more-licenses") and not page.has_id("buy-more")
    # The admin's choice stays on the form.
    switch = page.by_id(f"license-{CONFERENCING}-bulk")
    assert "checked" in switch.attrs
    assert not LicenseAssignment.objects.exists()


def test_assign_more_needs_at_least_one_license(manager, team):
    response = manager.post(URL, {"user": ids(team), "operation": "assign"})
    assert response.status_code == 200
    assert parse(response.content).by_id("bulk-products-error").text == (
        "Switch on at least one license to assign."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"products": [CREDITS]}, "Choose Assign more or Unassign all."),
        ({"operation": "replace", "products": [CREDITS]}, "Select a valid choice."),
        ({"operation": "assign", "products": ["BOGUS"]}, "Select a valid choice."),
        ({"operation": "x" * 10_000}, "Select a valid choice."),
    ],
)
def test_malformed_bulk_forms_change_nothing(manager, team, data, message):
    response = manager.post(URL, {"user": ids(team), **data})
    assert response.status_code == 200
    assert message in parse(response.content).by_id("bulk-form").text
    assert not LicenseAssignment.objects.exists()


def test_nothing_selected_explains_how_to_select(manager, team):
    for response in (manager.get(URL), manager.post(URL, {"operation": "assign"})):
        assert response.status_code == 200
        assert parse(response.content).by_id("bulk-problem").text == (
            "Select one or more users on Active users, then choose Manage product licenses."
        )


def test_too_many_users_at_once_points_to_the_command(manager, team, monkeypatch):
    monkeypatch.setattr("accounts.views.users.MAX_BULK_USERS", 2)
    for response in (
        manager.get(URL, {"user": ids(team)}, headers={"HX-Request": "true"}),
        manager.post(URL, {"user": ids(team), "operation": "unassign_all"}),
    ):
        assert response.status_code == 200  # so that htmx shows it in the flyout
        assert "assign_licenses command" in parse(response.content).by_id("bulk-problem").text


@pytest.mark.parametrize("bad", ["abc", "1.5", "", "-", "-3", "0", "9" * 40, "١"])
def test_malformed_user_ids_are_404(manager, team, bad):
    assert manager.get(URL, {"user": [str(team[0].pk), bad]}).status_code == 404


def test_a_user_of_another_tenant_among_the_selection_is_404(manager, team, other_tenant):
    outsider = UserFactory(tenant=other_tenant)

    response = manager.post(
        URL,
        {"user": [*ids(team), str(outsider.pk)], "operation": "assign", "products": [CREDITS]},
    )

    assert response.status_code == 404
    assert not LicenseAssignment.objects.exists()


@pytest.mark.parametrize(
    "role", [AdminRole.REPORTS_READER, AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_READER]
)
def test_roles_without_license_management_get_403(client, tenant, team, role):
    give(team, E5)
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))

    assert client.get(URL, {"user": ids(team)}).status_code == 403
    assert client.post(URL, {"user": ids(team), "operation": "unassign_all"}).status_code == 403
    assert all(codes_of(u) == {E5} for u in team)


def test_unassign_all_also_removes_licenses_of_products_no_longer_subscribed(manager, team):
    from tests.accounts.licensing import PHONE

    give(team[:1], PHONE)  # the tenant has no Phone System subscription (any more)
    manager.post(URL, {"user": ids(team[:1]), "operation": "unassign_all"})
    assert codes_of(team[0]) == set()
