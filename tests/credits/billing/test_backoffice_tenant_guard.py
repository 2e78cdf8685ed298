"""A tenant keeps its currency and country once its credits have a history: the credits
guard (registered in credits/console.py) answers the backoffice's tenant form."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditEvent
from credits.models import Order
from tests.accounts.backoffice import change_post
from tests.accounts.factories import StaffFactory
from tests.credits.factories import CreditAccountFactory
from tests.credits.payments import payment_post, setup_post
from tests.html_text import parse

pytestmark = pytest.mark.django_db

SETUP_URL = "/billing/purchase-services/communications-credits/"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def _set_up_credits(billing_admin, **payment) -> None:
    shopper = Client()
    shopper.force_login(billing_admin)
    shopper.post(SETUP_URL, {**setup_post(), **payment_post(**payment)})


def _errors(response) -> str:
    return parse(response.content).by_id("content").text


@pytest.mark.parametrize(
    "changes", [{"currency": "EUR"}, {"country": "DE"}, {"country": "CA", "currency": "CAD"}]
)
def test_a_tenant_with_orders_and_entries_keeps_currency_and_country(
    staff_client, tenant, billing_admin, changes
):
    _set_up_credits(billing_admin)
    assert Order.objects.filter(tenant=tenant).exists()
    response = change_post(staff_client, tenant, changes)
    assert response.status_code == 200
    assert (
        "Contoso has Communications Credits with orders or ledger entries in USD: its "
        "currency and country can't change." in _errors(response)
    )
    tenant.refresh_from_db()
    assert (tenant.currency, tenant.country) == ("USD", "US")
    assert not AuditEvent.objects.filter(action__startswith="backoffice.").exists()


def test_the_guard_leaves_other_fields_and_tenants_alone(
    staff_client, tenant, other_tenant, billing_admin
):
    _set_up_credits(billing_admin)
    response = change_post(staff_client, tenant, {"name": "Contoso Ltd"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Contoso Ltd"
    response = change_post(staff_client, other_tenant, {"currency": "EUR", "country": "IE"})
    assert response.status_code == 302
    other_tenant.refresh_from_db()
    assert (other_tenant.currency, other_tenant.country) == ("EUR", "IE")


def test_an_account_without_history_keeps_its_currency_but_not_the_country(
    staff_client, tenant
):
    CreditAccountFactory(tenant=tenant)
    response = change_post(staff_client, tenant, {"currency": "CAD"})
    assert response.status_code == 200
    assert "a credit account's currency never changes" in _errors(response)
    response = change_post(staff_client, tenant, {"country": "CA"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.currency, tenant.country) == ("USD", "CA")
