"""The backoffice shows cards, orders, billing profiles and sandbox charges read-only;
platform staff set up Enterprise Agreements and handle service requests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ServiceRequest
from credits.models import (
    BillingProfile,
    EnterpriseAgreement,
    Order,
    PaymentMethod,
    SandboxCharge,
)
from tests.accounts.factories import StaffFactory
from tests.credits.payments import payment_post

pytestmark = pytest.mark.django_db
READ_ONLY = [PaymentMethod, BillingProfile, Order, SandboxCharge]


@pytest.fixture
def purchase(billing_admin):
    shopper = Client()
    shopper.force_login(billing_admin)
    shopper.post("/billing/purchase-services/communications-credits/", payment_post())
    return Order.objects.get()


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_payment_records_are_read_only(staff_client, purchase, model):
    obj = model.objects.first()
    assert staff_client.get(url(model, "changelist")).status_code == 200
    assert staff_client.get(url(model, "change", obj.pk)).status_code == 200
    assert staff_client.get(url(model, "add")).status_code == 403
    assert staff_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_the_card_page_never_shows_the_gateway_token(staff_client, purchase):
    card = PaymentMethod.objects.get()
    page = staff_client.get(url(PaymentMethod, "change", card.pk)).content.decode()
    assert "4242" in page and card.gateway_token not in page


def test_no_backoffice_page_shows_a_card_token(staff_client, purchase):
    card = PaymentMethod.objects.get()
    charge = SandboxCharge.objects.get()
    assert charge.token == card.gateway_token
    for model, obj in [(PaymentMethod, card), (SandboxCharge, charge),
                       (BillingProfile, BillingProfile.objects.get()), (Order, purchase)]:
        for page in (url(model, "changelist"), url(model, "change", obj.pk)):
            content = staff_client.get(page).content.decode()
            assert card.gateway_token not in content, (model.__name__, page)
    shown = staff_client.get(url(SandboxCharge, "change", charge.pk)).content.decode()
    assert f"••••{card.gateway_token[-4:]}" in shown


def test_staff_set_up_an_enterprise_agreement(staff_client, tenant):
    response = staff_client.post(url(EnterpriseAgreement, "add"), {
        "tenant": tenant.pk, "number": "61234567", "name": "Contoso EA",
        "billing_country": "US", "billing_address": "", "is_active": "on",
    })
    assert response.status_code == 302
    assert EnterpriseAgreement.objects.get().tenant == tenant


def test_staff_see_service_requests(staff_client, tenant):
    request = ServiceRequest.objects.create(tenant=tenant, topic="billing", title="Help",
                                            description="d")
    assert staff_client.get(url(ServiceRequest, "change", request.pk)).status_code == 200


def test_tenant_admins_cannot_open_the_backoffice(client, billing_admin):
    client.force_login(billing_admin)
    response = client.get(url(Order, "changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url
