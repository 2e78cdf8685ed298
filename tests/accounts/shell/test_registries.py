"""The shell knows no app built on it: Home cards and navigation entries are registered
(accounts.shell.home, accounts.shell.navigation), and the shell shows each only to the
admins whose roles allow it."""

from __future__ import annotations

import pytest

from accounts.permissions import Action
from accounts.shell import home as home_cards
from accounts.shell import navigation
from accounts.shell.home import HomeCard, home_card_register
from accounts.shell.navigation import NavItem, nav_register
from tests.html_text import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered_card(monkeypatch):
    """A test card in the alerts region and the cards region, shown to billing roles,
    hidden when its builder has nothing to show (``?empty``)."""
    monkeypatch.setattr(home_cards, "_CARDS", dict(home_cards._CARDS))

    def build(request):
        if "empty" in request.GET:
            return None
        return {"text": f"Card for {request.tenant.name}"}

    home_card_register(
        HomeCard(
            name="test-card",
            build=build,
            template="tests/home_card.html",
            alerts_template="tests/home_alert.html",
            action=Action.VIEW_BILLING,
            order=1,
        )
    )


def test_a_registered_card_shows_on_home_with_its_alert(client, billing_admin, registered_card):
    client.force_login(billing_admin)
    page = parse(client.get("/").content)
    assert page.by_id("test-card").text == "Card for Contoso"
    assert page.by_id("home-alerts").has_id("test-alert")


def test_a_card_is_hidden_from_roles_without_its_action(client, reports_reader, registered_card):
    client.force_login(reports_reader)
    page = parse(client.get("/").content)
    assert not page.has_id("test-card")
    assert not page.has_id("test-alert")


def test_a_card_with_nothing_to_show_is_left_out(client, billing_admin, registered_card):
    client.force_login(billing_admin)
    page = parse(client.get("/?empty=1").content)
    assert not page.has_id("test-card")
    assert not page.has_id("test-alert")


def test_registered_navigation_entries_appear_in_order_for_allowed_roles(
    client, billing_admin, reports_reader, monkeypatch
):
    monkeypatch.setattr(navigation, "_NODES", list(navigation._NODES))
    nav_register(NavItem("Registered page", "accounts:home", Action.MANAGE_BILLING), order=5)
    labels = [node.label for node in navigation.navigation_nodes()]
    assert labels.index("Registered page") == 1  # after Home (0), before Users (10)

    client.force_login(billing_admin)
    assert "Registered page" in parse(client.get("/").content).by_id("console-nav").text
    client.force_login(reports_reader)
    assert "Registered page" not in parse(client.get("/").content).by_id("console-nav").text
