"""The credits pages staff edit in the backoffice (Enterprise Agreements, rates, toll-free
numbers) audit every change like the accounts pages do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from credits.models import EnterpriseAgreement, Rate, TollFreeNumber
from tests.accounts.backoffice import admin_url, backoffice_events, change_post
from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_setting_up_and_changing_an_agreement_is_audited(staff_client, staff, tenant):
    response = staff_client.post(admin_url(EnterpriseAgreement, "add"), {
        "tenant": tenant.pk, "number": "61234567", "name": "Contoso EA",
        "billing_country": "US", "billing_address": "", "is_active": "on",
        "created_at_0": "2026-01-02", "created_at_1": "10:00:00",
    })
    assert response.status_code == 302
    [added] = backoffice_events()
    assert (added.action, added.actor, added.tenant) == ("backoffice.add", staff, tenant)
    assert added.after["number"] == "61234567" and added.after["tenant"] == "Contoso"

    ea = EnterpriseAgreement.objects.get()
    response = change_post(staff_client, ea, {"billing_country": "CA"}, unset=("is_active",))
    assert response.status_code == 302
    changed = backoffice_events()[-1]
    assert changed.action == "backoffice.change" and changed.tenant == tenant
    assert changed.before == {"billing_country": "US", "is_active": True}
    assert changed.after == {"billing_country": "CA", "is_active": False}


def test_a_rate_correction_is_audited_without_a_tenant(staff_client, staff):
    rate = Rate.objects.create(
        country="FR", number_type="mobile", currency="USD", per_minute=Decimal("0.19"),
        connection_fee=Decimal("0"), effective_from=dt.date(2026, 1, 1),
    )
    response = change_post(staff_client, rate, {"per_minute": "0.21"})
    assert response.status_code == 302
    [event] = backoffice_events()
    assert (event.action, event.actor, event.tenant) == ("backoffice.change", staff, None)
    assert (event.before, event.after) == ({"per_minute": "0.1900"}, {"per_minute": "0.2100"})


def test_deleting_toll_free_numbers_in_bulk_is_audited(staff_client, tenant):
    numbers = [
        TollFreeNumber.objects.create(tenant=tenant, number=number, country="US")
        for number in ("+18005550100", "+18005550101")
    ]
    response = staff_client.post(admin_url(TollFreeNumber, "changelist"), {
        "action": "delete_selected", "_selected_action": [n.pk for n in numbers], "post": "yes",
    })
    assert response.status_code == 302
    assert not TollFreeNumber.objects.exists()
    events = backoffice_events()
    assert sorted(e.before["number"] for e in events) == ["+18005550100", "+18005550101"]
    assert {(e.action, e.tenant) for e in events} == {("backoffice.delete", tenant)}
