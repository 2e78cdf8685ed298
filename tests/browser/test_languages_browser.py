"""In Chromium: an admin switches the console to 简体中文, then to 繁體中文, from the
header's language menu (README, "Languages and time zones"). The pages they open are in
that language (the glossary's terms), the choice follows them to another browser, and a
billing email sent to them afterwards is written in it. The screenshots land in
docs/screenshots/ as <page>-zh-hans.png and <page>-zh-hant.png."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import User
from credits.notifications.choices import NotificationKind
from credits.notifications.services import notification_create
from tests.accounts.factories import TEST_PASSWORD
from tests.browser.test_home_browser import sign_in
from tests.credits import calls
from tests.credits import report_data as reports

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

usage = reports.usage
test_rates = calls.test_rates

# The glossary's terms, as each catalog has them.
TERMS = {
    "zh-hans": {
        "home": "主页", "credits": "通信点数", "licenses": "许可证和应用",
        "usage": "PSTN 使用情况", "add_funds": "添加资金", "active_users": "活跃用户",
        "subject": "你的通信点数余额已降至零",
    },
    "zh-hant": {
        "home": "首頁", "credits": "通訊點數", "licenses": "授權與應用程式",
        "usage": "PSTN 使用量", "add_funds": "新增資金", "active_users": "作用中的使用者",
        "subject": "您的通訊點數餘額已歸零",
    },
}


def tour(page, language: str, screenshot) -> None:
    """Open the main pages in ``language`` and keep a screenshot of each."""
    terms = TERMS[language]
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#console-nav a[aria-current=page]")).to_have_text(terms["home"])
    screenshot(page, f"home-{language}.png")

    page.goto("/billing/products/communications-credits/")
    expect(page.locator("h1")).to_contain_text(terms["credits"])
    screenshot(page, f"credits-subscription-{language}.png")

    page.goto("/reports/pstn-usage/")
    expect(page.locator("h1")).to_have_text(terms["usage"])
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-usage-chart]')]"
        ".every(c => window.Chart.getChart(c))"
    )
    screenshot(page, f"pstn-usage-{language}.png")

    page.goto("/users/active/")
    expect(page.locator("h1")).to_have_text(terms["active_users"])
    page.get_by_role("link", name="Ana").first.click()
    flyout = page.locator("#flyout")
    expect(flyout.locator("#tab-account[aria-current=page]")).to_be_visible()
    flyout.get_by_role("link", name=terms["licenses"]).click()
    expect(flyout.locator("#tab-licenses[aria-current=page]")).to_be_visible()
    expect(flyout.get_by_role("switch").first).to_be_visible()
    expect(flyout.get_by_role("switch", name="Domestic Calling Plan")).to_be_checked()
    expect(flyout).to_contain_text(terms["licenses"])
    flyout.screenshot(path=str(screenshot(page, f"user-panel-licenses-{language}.png")))


def test_the_set_up_step_in_each_chinese(page, tenant, billing_admin, screenshot):
    """Contoso has no credits yet here: Purchase services leads to the set-up step."""
    page.goto("/accounts/login/")
    sign_in(page, "billing@contoso.example")
    for language in ("zh-hans", "zh-hant"):
        page.wait_for_load_state("load")  # the menu submits itself once its script ran
        page.locator("#language-select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.goto("/billing/purchase-services/communications-credits/")
        expect(page.locator("h1")).to_contain_text(TERMS[language]["credits"])
        expect(page.get_by_label(TERMS[language]["add_funds"], exact=True)).to_be_visible()
        screenshot(page, f"credits-setup-{language}.png")


def test_an_admin_reads_the_console_and_the_email_in_each_chinese(
    page, browser, live_server, global_admin, usage, screenshot
):
    page.goto("/accounts/login/")
    sign_in(page, "admin@contoso.example")
    for language in ("zh-hans", "zh-hant"):
        page.wait_for_load_state("load")  # the menu submits itself once its script ran
        page.locator("#language-select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert User.objects.get(pk=global_admin.pk).language == language
        tour(page, language, screenshot)

        mail.outbox.clear()
        notification_create(
            tenant=global_admin.tenant, kind=NotificationKind.BALANCE_ZERO,
            dedupe_key=f"balance_zero:language-test:{language}",
            params={"balance": "0.0000", "currency": "USD"},
        )
        [email] = [m for m in mail.outbox if m.to == ["admin@contoso.example"]]
        assert email.subject == f"{TERMS[language]['subject']} · Contoso"
        assert email.extra_headers.get("Content-Language") == language
        html = email.alternatives[0][0]
        assert f'lang="{language}"' in html
        with translation.override(language):
            assert TERMS[language]["credits"] in email.body

    # The choice is stored on the admin: another browser, with English preferred, follows it.
    other = browser.new_context(base_url=live_server.url, locale="en-US")
    try:
        elsewhere = other.new_page()
        elsewhere.goto("/accounts/login/")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "en")
        elsewhere.get_by_label("Username").fill("admin@contoso.example")
        elsewhere.get_by_label("Password").fill(TEST_PASSWORD)
        elsewhere.get_by_role("button", name="Sign in").click()
        # Signed in with the password, the second step already speaks their language.
        expect(elsewhere).to_have_url(re.compile(r"/accounts/mfa/verify/"))
        expect(elsewhere.locator("html")).to_have_attribute("lang", "zh-hant")
    finally:
        other.close()
