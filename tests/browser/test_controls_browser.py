"""In Chromium: the billing settings beyond the admin center (Billing notifications,
Spend controls, Calling restrictions, Webhooks): each page as a Billing Administrator
sees it, a bad value answered on the form, a saved change confirmed. The screenshots
land in docs/screenshots/ (billing-notifications.png, spend-controls.png,
calling-restrictions.png, webhooks.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from credits.usage.models.controls import SpendControls
from tests.browser.test_home_browser import sign_in
from tests.credits.factories import CreditAccountFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_billing_admin_sets_spend_controls_and_restrictions(
    page, live_server, tenant, billing_admin, global_admin, screenshot
):
    CreditAccountFactory(tenant=tenant)
    page.goto("/accounts/login/")
    sign_in(page, "billing@contoso.example")

    page.goto("/billing/notifications/")
    expect(page.get_by_role("heading", name="Billing notifications", level=1)).to_be_visible()
    screenshot(page, "billing-notifications.png")

    page.goto("/billing/spend-controls/")
    expect(page.get_by_role("heading", name="Spend controls", level=1)).to_be_visible()
    multiplier = page.get_by_label("Times the daily average")
    multiplier.fill("abc")
    page.locator("#spend-save").click()
    expect(page.locator("#spend-form-card .invalid-feedback").first).to_be_visible()
    assert not SpendControls.objects.filter(tenant=tenant).exists()
    page.get_by_label("Times the daily average").fill("4")
    page.locator("#spend-save").click()
    expect(page.get_by_text("Spend controls saved.")).to_be_visible()
    assert str(SpendControls.objects.get(tenant=tenant).multiplier).rstrip("0").rstrip(".") == "4"
    screenshot(page, "spend-controls.png")

    page.goto("/billing/calling-restrictions/")
    expect(page.get_by_role("heading", name="Calling restrictions", level=1)).to_be_visible()
    page.locator("label[for=restrictions-premium]").click()
    page.locator("#restrictions-form button[type=submit]").click()
    expect(page.get_by_text("Calling restrictions saved.")).to_be_visible()
    expect(page.locator("#restrictions-premium")).to_be_checked()
    screenshot(page, "calling-restrictions.png")

    page.goto("/billing/webhooks/")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Add an endpoint")).to_be_visible()
    expect(page.get_by_text("Credits-Signature: t=<time>,v1=<signature>")).to_be_visible()
    screenshot(page, "webhooks.png")
