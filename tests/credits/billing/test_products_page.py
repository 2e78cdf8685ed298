"""Billing > Your products: one row per subscription, licenses assigned / total
("Unlimited" for Communications Credits) and, for credits, the balance."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, Product
from tests.accounts.factories import AdminFactory, SubscriptionFactory, product
from tests.accounts.licensing import bulk_users, give
from tests.credits.factories import fund
from tests.html_text import parse

pytestmark = pytest.mark.django_db
URL = "/billing/products/"
MAX_QUERIES = 8


@pytest.fixture
def subscriptions(tenant):
    SubscriptionFactory(tenant=tenant, product=product(Product.MICROSOFT_365_E5), seats=25)
    SubscriptionFactory(tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS), seats=0)
    users = bulk_users(tenant, 4)
    give(users[:3], Product.MICROSOFT_365_E5)
    give(users, Product.COMMUNICATIONS_CREDITS)
    return tenant


def test_one_row_per_subscription_with_licenses_and_the_credits_balance(
    client, billing_admin, subscriptions, account
):
    fund(account, "123.45")
    client.force_login(billing_admin)
    page = parse(client.get(URL).content)
    rows = page.by_id("products-table").table_rows()
    assert rows == [
        ["Microsoft 365 E5 Microsoft 365", "Active", "3 / 25", "—"],
        ["Communications Credits Add-ons", "Active", "4 / Unlimited", "$123.45"],
    ]
    link = page.by_id("open-credits-subscription")
    assert link.attrs["href"] == "/billing/products/communications-credits/"


def test_credits_not_set_up_link_to_the_set_up(client, billing_admin, subscriptions):
    client.force_login(billing_admin)
    page = parse(client.get(URL).content)
    assert page.by_id("products-credits-set-up").attrs["href"] == (
        "/billing/purchase-services/communications-credits/"
    )


def test_no_subscriptions_says_so(client, billing_admin):
    client.force_login(billing_admin)
    assert parse(client.get(URL).content).has_id("products-empty")


def test_global_reader_sees_the_products(client, tenant, subscriptions):
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    assert client.get(URL).status_code == 200


def test_another_tenants_products_never_show(client, subscriptions, other_tenant_admin):
    client.force_login(other_tenant_admin)
    assert parse(client.get(URL).content).has_id("products-empty")


def test_query_count_does_not_grow_with_subscriptions_or_licenses(
    client, billing_admin, tenant, account
):
    client.force_login(billing_admin)

    def measure() -> int:
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    SubscriptionFactory(tenant=tenant, product=product(Product.COMMUNICATIONS_CREDITS))
    few = measure()
    for code in (Product.MICROSOFT_365_E5, Product.PHONE_SYSTEM, Product.AUDIO_CONFERENCING):
        SubscriptionFactory(tenant=tenant, product=product(code), seats=100)
        give(bulk_users(tenant, 20, prefix=code.lower()), code)
    assert measure() == few <= MAX_QUERIES
