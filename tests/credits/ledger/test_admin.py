"""The backoffice shows the ledger but cannot change it, not even for a superuser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from credits.models import CreditAccount, FundLot, LedgerEntry, LotMovement
from tests.accounts.factories import StaffFactory
from tests.credits.factories import T0, charge, fund

LEDGER_MODELS = [FundLot, LedgerEntry, LotMovement, CreditAccount]


def _url(model, view, *args):
    return reverse(f"admin:credits_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(db, client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def ledger_rows(account):
    fund(account, "100", at=T0, reference_type="order", reference_id="A-1")
    charge(account, "12.5", at=T0 + timedelta(days=1))
    return account


def _object(model, account):
    if model is CreditAccount:
        return account
    if model is LotMovement:
        return LotMovement.objects.filter(entry__account=account).first()
    return model.objects.filter(account=account).first()


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_superuser_cannot_add(staff_client, ledger_rows, model):
    assert staff_client.get(_url(model, "add")).status_code == 403
    assert staff_client.post(_url(model, "add"), {}).status_code == 403


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_superuser_cannot_change(staff_client, ledger_rows, model):
    obj = _object(model, ledger_rows)
    page = staff_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200  # the read-only view
    assert b'name="_save"' not in page.content
    response = staff_client.post(
        _url(model, "change", obj.pk),
        {"amount": "999", "remaining": "999", "balance": "999", "memo": "edited"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_superuser_cannot_delete(staff_client, ledger_rows, model):
    obj = _object(model, ledger_rows)
    assert staff_client.get(_url(model, "delete", obj.pk)).status_code == 403
    assert staff_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", LEDGER_MODELS, ids=lambda m: m.__name__)
def test_changelist_offers_no_add_button_and_no_bulk_delete(staff_client, ledger_rows, model):
    response = staff_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert _url(model, "add").encode() not in response.content
    assert b"delete_selected" not in response.content


def test_posting_through_the_admin_changes_nothing(staff_client, ledger_rows):
    lot = FundLot.objects.get(account=ledger_rows)
    staff_client.post(_url(FundLot, "change", lot.pk), {"remaining": "1000"})
    staff_client.post(_url(CreditAccount, "change", ledger_rows.pk), {"balance": "1000"})
    lot.refresh_from_db()
    ledger_rows.refresh_from_db()
    assert lot.remaining == Decimal("87.5")
    assert ledger_rows.balance == Decimal("87.5")


def test_entries_are_searchable_by_reference_and_filterable_by_kind(staff_client, ledger_rows):
    response = staff_client.get(_url(LedgerEntry, "changelist"), {"q": "A-1"})
    assert response.context["cl"].result_count == 1
    response = staff_client.get(_url(LedgerEntry, "changelist"), {"kind__exact": "usage"})
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("state", ["active", "expiring", "due", "expired", "empty"])
def test_lot_state_filter(staff_client, ledger_rows, state):
    response = staff_client.get(_url(FundLot, "changelist"), {"state": state})
    assert response.status_code == 200
    expected = {"active": 0, "expiring": 0, "due": 1, "expired": 1, "empty": 0}[state]
    # T0 is in the past: the lot bought then has expired without an expiry run.
    assert response.context["cl"].result_count == expected
