"""Home: the admin-center shell (top bar, navigation, language) and the tenant's summary."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import AdminRole, LicenseAssignment, Product
from accounts.shell.navigation import NavGroup, navigation_nodes
from tests.accounts.factories import (
    LicenseAssignmentFactory,
    SubscriptionFactory,
    UserFactory,
    product,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

HOME_MAX_QUERIES = 8  # 6, plus the Communications Credits balance card (2)


@pytest.fixture
def directory(tenant, other_tenant, global_admin, billing_admin, plain_user, other_tenant_admin):
    """Contoso: 2 admins, 1 plain user, 1 disabled user; 2 licensed; 3 subscriptions.

    Fabrikam has users, licenses and a subscription that Contoso's Home must not count.
    """
    UserFactory(tenant=tenant, display_name="Former Employee", is_active=False)
    SubscriptionFactory(tenant=tenant, product=product(Product.MICROSOFT_365_E5), seats=25)
    SubscriptionFactory(tenant=tenant, product=product(Product.DOMESTIC_CALLING_PLAN), seats=1200)
    SubscriptionFactory(tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS), seats=0)
    LicenseAssignmentFactory(user=global_admin, product=product(Product.MICROSOFT_365_E5))
    LicenseAssignmentFactory(user=global_admin, product=product(Product.COMMUNICATIONS_CREDITS))
    LicenseAssignmentFactory(user=plain_user, product=product(Product.COMMUNICATIONS_CREDITS))

    for user in [other_tenant_admin, *UserFactory.create_batch(3, tenant=other_tenant)]:
        LicenseAssignmentFactory(user=user, product=product(Product.MICROSOFT_365_E5))
    SubscriptionFactory(tenant=other_tenant, product=product(Product.MICROSOFT_365_E5), seats=50)
    SubscriptionFactory(tenant=other_tenant, product=product(Product.AUDIO_CONFERENCING))
    return tenant


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return parse(response.content)


def figures(page) -> dict[str, str]:
    return {
        node.attrs["data-figure"]: node.text
        for node in page.by_id("home-summary").iter()
        if "data-figure" in node.attrs
    }


def nav_labels(page) -> list[str]:
    """Every entry of the left navigation, groups and children, in order."""
    nav = page.by_id("console-nav")
    return [
        node.text
        for node in nav.iter()
        if node.tag in {"a", "button"} and "nav-link" in node.attrs.get("class", "")
    ]


# --- the top bar ---------------------------------------------------------------------


def test_top_bar_shows_the_tenant_and_the_signed_in_admin(admin_client, directory):
    page = home(admin_client)
    assert page.by_id("topbar-tenant").text == "Contoso"
    assert page.by_id("topbar-user").text == "Megan Bowen"


def test_each_admin_sees_their_own_tenant(client, other_tenant_admin, directory):
    client.force_login(other_tenant_admin)
    page = home(client)
    assert page.by_id("topbar-tenant").text == "Fabrikam"
    assert page.by_id("topbar-user").text == "Fabrikam Admin"


# --- the summary -----------------------------------------------------------------------


def test_home_shows_the_tenants_summary_figures(admin_client, directory):
    assert figures(home(admin_client)) == {
        "users": "4",
        "licensed-users": "2",
        "subscriptions": "3",
        "admins": "2",
    }


def test_home_counts_only_the_admins_own_tenant(client, other_tenant_admin, directory):
    client.force_login(other_tenant_admin)
    assert figures(home(client)) == {
        "users": "4",
        "licensed-users": "4",
        "subscriptions": "2",
        "admins": "1",
    }


def test_home_lists_subscriptions_with_licenses_assigned_of_total(admin_client, directory):
    rows = home(admin_client).by_id("home-subscriptions").table_rows()
    assert rows == [
        ["Microsoft 365 E5", "Microsoft 365", "Active", "1 of 25"],
        ["Domestic Calling Plan", "Calling Plans", "Active", "0 of 1,200"],
        ["Communications Credits", "Add-ons", "Active", "2 of Unlimited"],
    ]


def test_home_without_subscriptions_says_so(admin_client):
    page = home(admin_client)
    assert figures(page)["subscriptions"] == "0"
    assert page.by_id("home-subscriptions").text.endswith(
        "Your organization has no subscriptions yet."
    )


# --- the navigation --------------------------------------------------------------------


def _nav_items():
    for node in navigation_nodes():
        yield from (node.items if isinstance(node, NavGroup) else (node,))


def _exists(url_name: str) -> bool:
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


@pytest.mark.urls("tests.accounts.access_urls")
def test_navigation_shows_home_and_no_entry_whose_page_does_not_exist(admin_client):
    """This URLconf has the accounts pages and none of the billing or report pages."""
    page = home(admin_client)
    nav = page.by_id("console-nav")
    labels = nav_labels(page)
    assert labels[0] == "Home"
    assert nav.hrefs()[0] == "/"
    missing = (
        "Billing",
        "Purchase services",
        "Your products",
        "Bills & payments",
        "Payment methods",
        "Reports",
        "PSTN usage",
        "Message center",
    )
    assert not set(labels) & set(missing)
    assert not [
        href
        for href in page.hrefs()
        if href.startswith(("/billing/", "/reports/", "/message-center/"))
    ]


@pytest.mark.parametrize("persona", ["global_admin", "billing_admin", "reports_reader"])
def test_every_navigation_link_opens_a_page(client, request, persona):
    """Whatever pages exist so far, the navigation never leads to a dead end or a 403."""
    client.force_login(request.getfixturevalue(persona))
    page = home(client)
    links = page.by_id("console-nav").hrefs()
    assert "/" in links
    for href in links:
        assert client.get(href).status_code == 200, href
    shown = set(nav_labels(page))
    for item in _nav_items():
        if not _exists(item.url_name):
            assert str(item.label) not in shown


@pytest.mark.urls("tests.accounts.nav_urls")
def test_navigation_mirrors_the_admin_center_once_every_page_exists(admin_client):
    assert nav_labels(home(admin_client)) == [
        "Home",
        "Users",
        "Active users",
        "Billing",
        "Purchase services",
        "Your products",
        "Bills & payments",
        "Payment methods",
        "Reports",
        "PSTN usage",
        "Message center",
        "Support",
        "Service requests",
    ]


@pytest.mark.urls("tests.accounts.nav_urls")
def test_navigation_hides_what_the_role_may_not_open(client, reports_reader, billing_admin):
    client.force_login(reports_reader)
    labels = nav_labels(home(client))
    assert "Reports" in labels and "PSTN usage" in labels
    assert "Billing" not in labels and "Your products" not in labels

    client.force_login(billing_admin)
    labels = nav_labels(home(client))
    assert "Billing" in labels and "Your products" in labels
    assert "Reports" not in labels and "PSTN usage" not in labels


@pytest.mark.urls("tests.accounts.nav_urls")
def test_navigation_marks_the_current_page(admin_client):
    def current(url: str) -> list[str]:
        response = admin_client.get(url)
        assert response.status_code == 200
        nav = parse(response.content).by_id("console-nav")
        return [node.text for node in nav.find_all(aria_current="page")]

    assert current("/") == ["Home"]
    assert current("/billing/products/") == ["Your products"]
    assert current("/reports/pstn-usage/") == ["PSTN usage"]


# --- the language switcher -------------------------------------------------------------


def test_language_switcher_offers_browsers_and_three_languages_posting_to_setlang(admin_client):
    form = home(admin_client).by_id("language-form")
    assert form.attrs["action"] == "/i18n/setlang/"
    assert form.attrs["method"] == "post"
    select = form.find_all("select", name="language")[0]
    assert [o.attrs["value"] for o in select.find_all("option")] == [
        "browser", "en", "zh-hans", "zh-hant"
    ]
    assert form.find_all("input", name="next")[0].attrs["value"] == "/"


def test_switching_to_simplified_chinese_sets_the_language_cookie(admin_client):
    response = admin_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = home(admin_client)
    assert page.find_all("html")[0].attrs["lang"] == "zh-hans"
    selected = page.by_id("language-select").find_all("option", selected="")
    assert [o.attrs["value"] for o in selected] == ["zh-hans"]


# --- performance -----------------------------------------------------------------------


def test_home_query_count_is_bounded(admin_client, directory, django_assert_max_num_queries):
    admin_client.get("/")  # warm caches (content types, session) like a real visit
    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        home(admin_client)


def _count_home_queries(client) -> int:
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        home(client)
    return len(queries)


def test_home_query_count_does_not_grow_with_the_directory(admin_client, tenant, global_admin):
    for code in (Product.MICROSOFT_365_E5, Product.COMMUNICATIONS_CREDITS):
        SubscriptionFactory(tenant=tenant, product=product(code), seats=500)

    def add_users(n: int) -> None:
        users = UserFactory.create_batch(n, tenant=tenant)
        LicenseAssignment.objects.bulk_create(
            LicenseAssignment(user=user, product=product(code))
            for user in users
            for code in (Product.MICROSOFT_365_E5, Product.COMMUNICATIONS_CREDITS)
        )
        for user in users[:3]:
            user.role_assignments.create(role=AdminRole.REPORTS_READER)

    add_users(2)  # 3 users with the admin
    small = _count_home_queries(admin_client)
    assert figures(home(admin_client))["users"] == "3"

    add_users(147)  # 150 users
    large = _count_home_queries(admin_client)
    page = home(admin_client)
    assert figures(page)["users"] == "150"
    assert figures(page)["licensed-users"] == "149"

    assert small == large
    assert large <= HOME_MAX_QUERIES


# Who Home is for (strangers, platform staff, other methods): tests/test_url_guards.py


@pytest.mark.parametrize("persona", ["global_admin", "billing_admin", "reports_reader"])
def test_support_service_requests_is_in_the_navigation_for_every_admin(
    client, request, persona
):
    client.force_login(request.getfixturevalue(persona))
    page = home(client)
    labels = nav_labels(page)
    assert labels[-2:] == ["Support", "Service requests"]
    assert "/support/requests/" in page.by_id("console-nav").hrefs()
