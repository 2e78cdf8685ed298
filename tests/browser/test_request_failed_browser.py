"""In Chromium: a request that gets no usable answer is said where the admin looks.

A tab or a Save in the flyout whose answer is a server error, a refusal or nothing at
all used to leave the panel as it was, silently, with a Save button stuck on "Saving…".
console.js now says what happened inside the flyout (or at the top of the page), turns
busy buttons back, and takes the warning away once a later request is answered.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.test_home_browser import sign_in
from tests.credits import calls
from tests.credits import report_data as reports

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.server_errors,
]

usage = reports.usage
test_rates = calls.test_rates

LICENSES_TAB = re.compile(r"/users/active/\d+/\?tab=licenses$")
LOCATION_SAVE = re.compile(r"/users/active/\d+/usage-location/$")


def open_ana(page):
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    page.goto("/users/active/")
    page.get_by_role("link", name="Ana").first.click()
    flyout = page.locator("#flyout")
    expect(flyout.locator("#tab-account[aria-current=page]")).to_be_visible()
    return flyout


def test_a_server_error_on_a_tab_is_said_in_the_flyout_and_clears_on_the_next_answer(
    page, global_admin, usage
):
    flyout = open_ana(page)
    page.route(LICENSES_TAB, lambda route: route.fulfill(status=500, body="boom"))
    flyout.get_by_role("link", name="Licenses and apps").click()

    alert = flyout.get_by_role("alert")
    expect(alert).to_have_text(
        "The console could not finish this request (HTTP 500). "
        "Try again; if it keeps failing, reload the page."
    )
    expect(alert).to_be_focused()
    expect(flyout.locator("#tab-account[aria-current=page]")).to_be_visible()

    # The server answers again: the same click works and the warning goes.
    page.unroute(LICENSES_TAB)
    flyout.get_by_role("link", name="Licenses and apps").click()
    expect(flyout.locator("#tab-licenses[aria-current=page]")).to_be_visible()
    expect(flyout.get_by_role("switch", name="Domestic Calling Plan")).to_be_checked()
    expect(page.locator("#request-failed")).to_have_count(0)


def test_a_save_without_an_answer_gives_the_button_back_and_keeps_the_choice(
    page, global_admin, usage
):
    flyout = open_ana(page)
    page.route(LOCATION_SAVE, lambda route: route.abort("connectionrefused"))
    flyout.get_by_label("Usage location").select_option("CA")
    save = flyout.get_by_role("button", name="Save")
    save.click()

    expect(flyout.get_by_role("alert")).to_have_text(
        "The console did not answer. Check your connection and try again."
    )
    expect(save).to_be_enabled()
    expect(save).to_have_text("Save")
    # Nothing the admin chose is lost, and nothing was saved.
    expect(flyout.get_by_label("Usage location")).to_have_value("CA")
    assert User.objects.get(username="ana@contoso.example").usage_location == "US"

    page.unroute(LOCATION_SAVE)
    save.click()
    expect(flyout.locator("#panel-notice")).to_be_visible()
    expect(page.locator("#request-failed")).to_have_count(0)
    assert User.objects.get(username="ana@contoso.example").usage_location == "CA"


def test_a_refusal_outside_the_flyout_is_said_at_the_top_of_the_page(page, global_admin, usage):
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    page.goto("/users/active/")
    page.route(re.compile(r"/users/active/\?.*q=an"), lambda route: route.fulfill(status=403))
    page.get_by_label("Search active users").fill("an")

    alert = page.locator("#messages").get_by_role("alert")
    expect(alert).to_have_text("Your role does not allow this action.")
    expect(page.locator("#flyout")).not_to_be_visible()


def test_the_warning_speaks_the_admins_language(page, global_admin, usage):
    flyout = open_ana(page)
    page.locator("#language-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto("/users/active/")
    page.get_by_role("link", name="Ana").first.click()
    expect(flyout.locator("#tab-account[aria-current=page]")).to_be_visible()
    page.route(LICENSES_TAB, lambda route: route.fulfill(status=502))
    flyout.locator("#tab-licenses").click()
    expect(flyout.get_by_role("alert")).to_contain_text("HTTP 502")
    expect(flyout.get_by_role("alert")).not_to_contain_text("The console")
