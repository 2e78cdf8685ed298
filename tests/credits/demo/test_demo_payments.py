"""The demo tenants' payment methods (README, "Demo sign-ins"), as seed_demo creates them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from credits.billing.models import InvoicingApproval
from credits.billing.regions import Region
from credits.demo.payments import DEMO_CREDIT_LIMIT, seed_payment_demo
from credits.models import BillingProfile, EnterpriseAgreement, PaymentMethod, PaymentType
from tests.accounts.factories import TenantFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db


def test_contoso_has_a_saved_4242_card_paying_for_auto_recharge(tenant, billing_admin):
    account = CreditAccountFactory(tenant=tenant)
    for _ in range(2):  # idempotent
        seed_payment_demo(tenant=tenant, scenario="contoso", now=timezone.now(),
                          acting_user=billing_admin)
    cards = list(PaymentMethod.objects.for_tenant(tenant).saved().listed())
    assert [(c.brand, c.last4, c.is_default) for c in cards] == [
        ("Visa", "4242", True), ("Mastercard", "4444", False),
    ]
    assert not cards[0].is_expired()
    profile = BillingProfile.objects.get(account=account)
    assert (profile.payment_type, profile.card) == (PaymentType.CARD, cards[0])


def test_only_contoso_is_approved_to_pay_by_invoice(tenant, other_tenant):
    CreditAccountFactory(tenant=tenant)
    CreditAccountFactory(tenant=other_tenant)
    for _ in range(2):  # idempotent
        seed_payment_demo(tenant=tenant, scenario="contoso", now=timezone.now())
    seed_payment_demo(tenant=other_tenant, scenario="fabrikam", now=timezone.now())
    approvals = list(InvoicingApproval.objects.values_list("tenant", "credit_limit",
                                                           "is_active"))
    assert approvals == [(tenant.pk, DEMO_CREDIT_LIMIT, True)]


def test_fabrikam_pays_with_an_expired_card(other_tenant):
    account = CreditAccountFactory(tenant=other_tenant)
    seed_payment_demo(tenant=other_tenant, scenario="fabrikam", now=timezone.now())
    seed_payment_demo(tenant=other_tenant, scenario="fabrikam", now=timezone.now())
    card = PaymentMethod.objects.get(tenant=other_tenant)
    assert card.is_expired()
    assert BillingProfile.objects.get(account=account).card == card


def test_northwind_has_two_agreements_one_in_another_region():
    northwind = TenantFactory(slug="northwind", country="DE", currency="EUR",
                              volume_licensing=True)
    seed_payment_demo(tenant=northwind, scenario="northwind", now=timezone.now())
    seed_payment_demo(tenant=northwind, scenario="northwind", now=timezone.now())
    agreements = list(EnterpriseAgreement.objects.for_tenant(northwind).order_by("number"))
    assert [(a.number, a.region) for a in agreements] == [
        ("61234567", Region.EMEA), ("71234567", Region.AMERICAS),
    ]
    assert not PaymentMethod.objects.filter(tenant=northwind).exists()
    assert not BillingProfile.objects.exists()  # no credits there yet
