"""Home's Communications Credits balance card, with links to Add more funds and the
subscription page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AdminRole
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.credits.factories import charge, fund
from tests.html_text import parse

pytestmark = pytest.mark.django_db


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return parse(response.content)


def test_billing_admin_sees_the_balance_and_both_links(client, billing_admin, account):
    fund(account, "120")
    charge(account, "20.5")
    account.auto_recharge_enabled = True
    account.recharge_amount, account.recharge_trigger = Decimal("50"), Decimal("20")
    account.save()
    client.force_login(billing_admin)
    page = home(client)
    assert page.by_id("home-credits-balance").text == "$99.50"
    assert page.by_id("home-credits-recharge").text == (
        "Auto-recharge on: $50.00 when the balance falls below $20.00"
    )
    assert page.by_id("home-add-funds").attrs["href"] == (
        "/billing/products/communications-credits/add-funds/"
    )
    assert page.by_id("home-credits-subscription").attrs["href"] == (
        "/billing/products/communications-credits/"
    )


def test_global_reader_sees_the_balance_without_add_more_funds(client, tenant, account):
    fund(account, "80")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    page = home(client)
    assert page.by_id("home-credits-balance").text == "$80.00"
    assert not page.has_id("home-add-funds") and page.has_id("home-credits-subscription")


def test_a_tenant_without_credits_is_offered_the_set_up(client, billing_admin):
    client.force_login(billing_admin)
    page = home(client)
    assert page.has_id("home-credits-not-set-up")
    assert page.by_id("home-credits-set-up").attrs["href"] == (
        "/billing/purchase-services/communications-credits/"
    )


def test_a_tenant_in_ru_is_told_credits_are_unavailable(client):
    tenant = TenantFactory(slug="ru-home", country="RU", currency="RUB")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN]))
    page = home(client)
    assert page.has_id("home-credits-unavailable") and not page.has_id("home-credits-set-up")


@pytest.mark.parametrize("persona", ["reports_reader", "license_admin"])
def test_roles_that_cannot_see_billing_get_no_card(client, request, persona, account):
    client.force_login(request.getfixturevalue(persona))
    assert not home(client).has_id("home-credits")


def test_another_tenants_balance_never_shows(client, account, other_tenant_admin, other_account):
    fund(account, "500")
    fund(other_account, "70")
    client.force_login(other_tenant_admin)
    assert home(client).by_id("home-credits-balance").text == "£70.00"
