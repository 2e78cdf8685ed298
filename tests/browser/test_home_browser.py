"""In Chromium: an admin of Contoso signs in and sees Home in the admin-center shell."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Product
from tests.accounts.factories import (
    TEST_PASSWORD,
    LicenseAssignmentFactory,
    SubscriptionFactory,
    UserFactory,
    product,
)
from tests.accounts.test_login import NOT_ADMIN_MESSAGE
from tests.browser.signing_in import sign_in_with_second_factor

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized rollback keeps the catalog that the
    # data migration created across the flush between transactional tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def contoso(tenant, global_admin, billing_admin, plain_user):
    users = UserFactory.create_batch(5, tenant=tenant)
    SubscriptionFactory(tenant=tenant, product=product(Product.MICROSOFT_365_E5), seats=25)
    SubscriptionFactory(tenant=tenant, product=product(Product.DOMESTIC_CALLING_PLAN), seats=25)
    SubscriptionFactory(tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS))
    for user in [global_admin, plain_user, *users]:
        LicenseAssignmentFactory(user=user, product=product(Product.MICROSOFT_365_E5))
    for user in users[:3]:
        LicenseAssignmentFactory(user=user, product=product(Product.COMMUNICATIONS_CREDITS))
    return tenant


def sign_in(page, username: str, password: str = TEST_PASSWORD) -> None:
    sign_in_with_second_factor(page, username, password)


def test_admin_signs_in_and_sees_home_with_its_navigation(page, live_server, contoso, screenshot):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "sign-in.png")

    sign_in(page, "admin@contoso.example")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page).to_have_title(re.compile(r"^Home"))
    expect(page.locator("#console-nav")).to_be_visible()
    expect(page.locator("#console-nav")).to_contain_text("Home")
    expect(page.locator("#console-nav a[aria-current=page]")).to_have_text("Home")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")
    expect(page.locator("#topbar-user")).to_have_text("Megan Bowen")
    expect(page.locator("[data-figure=users]")).to_have_text("8")
    expect(page.locator("[data-figure=licensed-users]")).to_have_text("7")
    expect(page.locator("[data-figure=subscriptions]")).to_have_text("3")
    expect(page.locator("#home-subscriptions")).to_contain_text("3 of Unlimited")
    screenshot(page, "home.png")


def test_user_without_admin_role_sees_the_refusal(page, live_server, contoso):
    page.goto("/accounts/login/")
    sign_in(page, "adele@contoso.example")

    expect(page.locator("#login-error")).to_have_text(NOT_ADMIN_MESSAGE)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_admin_signs_out_from_the_account_menu(page, live_server, contoso):
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    expect(page.locator("#topbar-user")).to_have_text("Megan Bowen")

    page.wait_for_load_state("load")  # the menu opens once Bootstrap's script ran
    page.locator("#account-menu").click()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto("/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")


def test_choosing_a_language_switches_the_page(page, live_server, contoso):
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")

    page.wait_for_load_state("load")  # the menu submits itself once its script ran
    page.locator("#language-select").select_option("zh-hans")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("#language-select")).to_have_value("zh-hans")


def test_home_fits_a_phone_screen_without_sideways_scrolling(page, contoso):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    expect(page.locator("#topbar-tenant")).to_have_text("Contoso")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
