"""Home warns and leads: a low or zero balance, funds expiring within 30 days, an expired
card paying for credits, each with the link that fixes it for the admins who can act;
Global Readers see the alerts without the links. Home's queries don't grow with them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AdminRole
from credits.billing.choices import OrderKind, OrderStatus, PaymentType
from credits.billing.models import Order
from credits.billing.services.recharge_settings import billing_profile_write
from tests.accounts.factories import AdminFactory
from tests.credits.factories import charge, fund
from tests.credits.payments import expired_card, saved_card
from tests.html_text import parse

pytestmark = pytest.mark.django_db
ADD_FUNDS = "/billing/products/communications-credits/add-funds/"
PAYMENT_METHOD = "/billing/products/communications-credits/payment-method/"


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return parse(response.content)


def reader(tenant):
    return AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])


def test_a_healthy_account_has_no_alert(client, billing_admin, account):
    fund(account, "500")
    charge(account, "10")
    client.force_login(billing_admin)
    page = home(client)
    for alert in ("home-low-balance", "home-funds-expiring", "home-card-expired"):
        assert not page.has_id(alert)


def test_below_the_trigger_warns_with_add_more_funds(client, billing_admin, account):
    fund(account, "30")
    charge(account, "12")
    account.auto_recharge_enabled = True
    account.recharge_amount, account.recharge_trigger = Decimal("50"), Decimal("20")
    account.save()
    client.force_login(billing_admin)
    page = home(client)
    alert = page.by_id("home-low-balance")
    assert "The balance of $18.00 is below $20.00" in alert.text
    assert page.by_id("home-low-balance-fix").attrs["href"] == ADD_FUNDS


def test_below_a_week_of_spend_warns_when_auto_recharge_is_off(client, billing_admin, account):
    now = timezone.now()
    fund(account, "100", at=now - timedelta(days=20))
    for day in range(14, 0, -1):  # 14 x 6.50 = 91.00 in the last 28 days
        charge(account, "6.50", at=now - timedelta(days=day))
    client.force_login(billing_admin)
    page = home(client)
    # A week of spend at 91 / 28 a day is 22.75; the balance is 9.00.
    text = page.by_id("home-low-balance").text
    assert "The balance of $9.00 is less than about 7 days of calls ($22.75)" in text
    assert "auto-recharge is off" in text


def test_a_balance_at_zero_says_calls_are_refused(client, billing_admin, account):
    fund(account, "10")
    charge(account, "12")
    client.force_login(billing_admin)
    page = home(client)
    assert "calls paid with credits are refused" in page.by_id("home-low-balance").text
    assert page.by_id("home-low-balance-fix").attrs["href"] == ADD_FUNDS


def test_funds_expiring_within_30_days_are_announced(client, billing_admin, account):
    now = timezone.now()
    fund(account, "60", at=now - timedelta(days=350))  # expires in about 15 days
    fund(account, "500", at=now - timedelta(days=10))
    client.force_login(billing_admin)
    page = home(client)
    alert = page.by_id("home-funds-expiring")
    assert "$60.00 of your credits expire on" in alert.text
    assert page.by_id("home-funds-expiring-view").attrs["href"].startswith(
        "/billing/products/communications-credits/"
    )


def test_an_expired_card_paying_for_credits_leads_to_change_payment_method(
    client, tenant, billing_admin, account
):
    fund(account, "500")
    billing_profile_write(
        account=account, acting_user=None, payment_type=PaymentType.CARD,
        card=expired_card(tenant),
    )
    client.force_login(billing_admin)
    page = home(client)
    assert "expired at the end of" in page.by_id("home-card-expired").text
    assert page.by_id("home-card-expired-fix").attrs["href"] == PAYMENT_METHOD


def test_a_valid_card_gives_no_card_alert(client, tenant, billing_admin, account):
    fund(account, "500")
    billing_profile_write(
        account=account, acting_user=None, payment_type=PaymentType.CARD,
        card=saved_card(tenant),
    )
    client.force_login(billing_admin)
    assert not home(client).has_id("home-card-expired")


def test_global_readers_see_the_alerts_without_the_links(client, tenant, account):
    now = timezone.now()
    fund(account, "60", at=now - timedelta(days=350))
    charge(account, "60")
    billing_profile_write(
        account=account, acting_user=None, payment_type=PaymentType.CARD,
        card=expired_card(tenant),
    )
    client.force_login(reader(tenant))
    page = home(client)
    assert page.has_id("home-low-balance") and page.has_id("home-card-expired")
    assert not page.has_id("home-low-balance-fix")
    assert not page.has_id("home-card-expired-fix")


@pytest.mark.parametrize("persona", ["reports_reader", "other_tenant_admin"])
def test_admins_who_cant_see_billing_or_another_tenant_get_no_alert(
    client, request, persona, account
):
    fund(account, "10")
    charge(account, "12")
    client.force_login(request.getfixturevalue(persona))
    page = home(client)
    assert not page.has_id("home-low-balance")


def test_homes_queries_do_not_grow_with_the_alerts(
    client, tenant, billing_admin, account, django_assert_max_num_queries
):
    client.force_login(billing_admin)
    fund(account, "500")
    home(client)  # warm: sessions, roles
    with django_assert_max_num_queries(30) as quiet:
        home(client)
    charge(account, "495")
    billing_profile_write(
        account=account, acting_user=None, payment_type=PaymentType.CARD,
        card=expired_card(tenant),
    )
    with django_assert_max_num_queries(len(quiet.captured_queries)) as busy:
        page = home(client)
    assert page.has_id("home-low-balance") and page.has_id("home-card-expired")
    assert len(busy.captured_queries) == len(quiet.captured_queries)


def test_a_failed_auto_recharge_leads_billing_admins_to_the_payment_method(
    client, tenant, billing_admin, account
):
    fund(account, "10")
    Order.objects.create(
        tenant=tenant, kind=OrderKind.AUTO_RECHARGE, status=OrderStatus.FAILED,
        amount=Decimal("50"), currency="USD", payment_type=PaymentType.CARD,
        payment_method=saved_card(tenant), idempotency_key="recharge:1", fingerprint="f",
        failure_code="card_declined",
        failure_reason="The card was declined.",
        completed_at=timezone.now(),
    )
    client.force_login(billing_admin)
    page = home(client)
    assert "The card was declined." in page.by_id("home-recharge-failed").text
    assert page.by_id("home-recharge-failed-fix").attrs["href"] == PAYMENT_METHOD
    client.force_login(reader(tenant))
    page = home(client)
    assert page.has_id("home-recharge-failed") and not page.has_id("home-recharge-failed-fix")
