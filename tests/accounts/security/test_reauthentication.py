"""Re-authentication: paying and changing how to pay need the password (or a code) from
the last 10 minutes; the admin is sent to confirm it, then back to what they were doing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from accounts.models import AdminRole
from accounts.security import sessions
from tests.accounts.factories import TEST_PASSWORD, AdminFactory
from tests.accounts.security.helpers import fresh_code, second_factor_device
from tests.credits.payments import saved_card
from tests.html_text import parse

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauthenticate/"


class Clock:
    """Moves the clock the session limits read."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real = sessions.now
        monkeypatch.setattr(sessions, "now", lambda: real() + self.offset)

    def advance(self, minutes: float) -> None:
        self.offset += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


# Each guarded action: (name, method, url, data).
def guarded(tenant):
    card = saved_card(tenant)
    return [
        ("Place order (checkout)", "post",
         reverse("credits:credits_setup"), {"step": "payment"}),
        ("Add more funds", "post", reverse("credits:credits_add_funds"), {"amount": "100"}),
        ("Modify recharge settings", "post", reverse("credits:credits_recharge_settings"), {}),
        ("Change payment method", "post", reverse("credits:credits_payment_method"), {}),
        ("Add a card", "post", reverse("credits:card_add"), {}),
        ("Set the default card", "post",
         reverse("credits:card_set_default", kwargs={"pk": card.pk}), {}),
    ]


ACTIONS = ["Place order (checkout)", "Add more funds", "Modify recharge settings",
           "Change payment method", "Add a card", "Set the default card"]


def _asked(response) -> bool:
    location = response.get("Location", "") or response.get("HX-Redirect", "")
    return location.startswith(REAUTH)


@pytest.mark.parametrize("action", ACTIONS)
def test_each_guarded_action_asks_again_after_ten_minutes(client, tenant, billing_admin, clock,
                                                          action):
    name, method, url, data = next(a for a in guarded(tenant) if a[0] == action)
    client.force_login(billing_admin)
    # Just signed in: the password was typed a moment ago.
    assert not _asked(getattr(client, method)(url, data))

    clock.advance(11)
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response.url == f"{REAUTH}?next={quote(url, safe='')}"

    confirmed = client.post(response.url, {"password": TEST_PASSWORD})
    assert (confirmed.status_code, confirmed.url) == (302, url)
    clock.advance(9)
    assert not _asked(getattr(client, method)(url, data))  # within 10 minutes

    clock.advance(2)
    assert _asked(getattr(client, method)(url, data))  # asked again after


def test_htmx_requests_are_sent_to_confirm_with_hx_redirect_back_to_the_page(
    client, tenant, billing_admin, clock
):
    client.force_login(billing_admin)
    clock.advance(11)
    response = client.get(reverse("credits:credits_add_funds"), HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/billing/products/communications-credits/")
    assert response.status_code == 200
    assert response["HX-Redirect"] == (
        f"{REAUTH}?next=%2Fbilling%2Fproducts%2Fcommunications-credits%2F"
    )


def test_a_code_from_the_authenticator_app_confirms_too(client, billing_admin, clock):
    device = second_factor_device(billing_admin)
    client.force_login(billing_admin)
    clock.advance(11)
    url = reverse("credits:card_add")
    assert _asked(client.get(url))
    response = client.post(f"{REAUTH}?next={url}", {"code": fresh_code(device)})
    assert (response.status_code, response.url) == (302, url)
    assert client.get(url).status_code == 200


def test_a_wrong_password_is_refused_and_counted(client, billing_admin, clock):
    client.force_login(billing_admin)
    clock.advance(11)
    response = client.post(f"{REAUTH}?next=/billing/payment-methods/add/",
                           {"password": "not it"})
    assert response.status_code == 400
    assert "incorrect" in parse(response.content).by_id("id_password-error").text
    assert _asked(client.get(reverse("credits:card_add")))


@pytest.mark.parametrize("data", [{}, {"password": "", "code": ""}, {"code": "12"},
                                  {"code": "-123456"}, {"code": "12.3456"}])
def test_the_confirm_form_refuses_empty_or_malformed_answers(client, billing_admin, clock, data):
    client.force_login(billing_admin)
    clock.advance(11)
    assert client.post(REAUTH, data).status_code == 400
    assert _asked(client.get(reverse("credits:card_add")))


def test_never_sent_off_site_after_confirming(client, billing_admin):
    client.force_login(billing_admin)
    response = client.post(f"{REAUTH}?next=https://evil.example/", {"password": TEST_PASSWORD})
    assert response.url == "/"


def test_readers_are_not_asked_they_get_the_pages_own_answer(client, tenant, clock):
    reader = AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])
    client.force_login(reader)
    clock.advance(11)
    card = saved_card(tenant)
    assert client.post(reverse("credits:card_set_default", kwargs={"pk": card.pk})
                       ).status_code == 403
    assert client.get(reverse("credits:credits_setup")).status_code == 200
