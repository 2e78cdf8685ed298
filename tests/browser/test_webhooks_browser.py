"""In Chromium: Billing > Webhooks — adding an endpoint in the flyout, its secret shown
once, the endpoint's page with its delivery log after an event reached the local
receiver, and Roll secret asking first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from credits.notifications.webhooks.events import webhook_event_emit
from credits.notifications.webhooks.models import WebhookEndpoint
from tests.browser.test_home_browser import sign_in
from tests.credits.notifications.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def test_billing_admin_adds_an_endpoint_and_reads_its_delivery_log(
    page, live_server, tenant, billing_admin, receiver, tmp_path
):
    page.goto("/accounts/login/")
    sign_in(page, "billing@contoso.example")
    page.goto("/billing/webhooks/")
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    page.get_by_role("link", name="Add an endpoint").click()
    flyout = page.locator("#flyout")
    expect(flyout.get_by_label("Endpoint URL")).to_be_visible()
    flyout.get_by_role("button", name="Add the endpoint").click()
    expect(flyout.get_by_text("This field is required.").first).to_be_visible()
    flyout.get_by_label("Endpoint URL").fill(receiver.url)
    flyout.get_by_label("Description").fill("Finance ERP")
    flyout.get_by_label("The balance fell below the alert threshold").check()
    flyout.get_by_label("An auto-recharge failed").check()
    flyout.get_by_role("button", name="Add the endpoint").click()
    secret = flyout.locator("#webhook-secret")
    expect(secret).to_be_visible()
    endpoint = WebhookEndpoint.objects.get()
    expect(secret).to_have_value(endpoint.secret)
    page.screenshot(path=str(tmp_path / "webhook-secret.png"))

    receiver.secret = endpoint.secret
    webhook_event_emit(tenant=tenant, type="balance.low", key="low:1",
                       data={"balance": "4.0000", "threshold": "10.0000", "currency": "USD"})
    assert receiver.received and receiver.received[0].verified

    flyout.get_by_role("link", name="Done").click()
    expect(page.locator("#webhook-url")).to_have_text(receiver.url)
    row = page.locator("#webhook-deliveries-table tbody tr").first
    expect(row).to_contain_text("balance.low")
    expect(row).to_contain_text("200")
    expect(page.locator("#webhook-status")).to_contain_text("Enabled")
    assert endpoint.secret not in page.content()
    page.screenshot(path=str(tmp_path / "webhook-detail.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Roll secret").click()
    expect(page.locator("#webhook-url")).to_be_visible()
    endpoint.refresh_from_db()
    assert endpoint.secret == receiver.secret  # dismissed: nothing changed
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll secret").click()
    expect(page.locator("#webhook-secret")).to_be_visible()
    endpoint.refresh_from_db()
    assert endpoint.secret != receiver.secret
    expect(page.locator("#webhook-secret")).to_have_value(endpoint.secret)
