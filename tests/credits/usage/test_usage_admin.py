"""Backoffice: rates, call records (read-only), pools, toll-free numbers, API tokens
(never the secret)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from credits.models import ApiToken, CallDaySummary, CallRecord, MinutePool, Rate, TollFreeNumber
from credits.usage.services.api_tokens import api_token_create
from tests.accounts.factories import StaffFactory
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    US_FIXED,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund


def url(model, view, *args):
    return reverse(f"admin:credits_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, db):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def usage(tenant, account, test_rates):  # noqa: F811
    fund(account, "10.00")
    ana = person(tenant, "ana", DOMESTIC, CREDITS)
    import_rows(tenant, [record(upn=ana.username, destination=US_FIXED),
                         record(upn=ana.username, destination=GB_FIXED)])
    return tenant


@pytest.mark.parametrize(
    "model", [Rate, CallRecord, CallDaySummary, MinutePool, TollFreeNumber, ApiToken]
)
def test_staff_can_list_them(staff_client, usage, model):
    api_token_create(tenant=usage, name="PBX")
    assert staff_client.get(url(model, "changelist")).status_code == 200


def test_call_day_summaries_are_read_only(staff_client, usage):
    summary = CallDaySummary.objects.first()
    assert staff_client.get(url(CallDaySummary, "change", summary.pk)).status_code == 200
    assert staff_client.get(url(CallDaySummary, "add")).status_code == 403
    page = url(CallDaySummary, "delete", summary.pk)
    assert staff_client.post(page, {"post": "yes"}).status_code == 403
    assert CallDaySummary.objects.filter(pk=summary.pk).exists()


def test_call_records_are_read_only(staff_client, usage):
    call = CallRecord.objects.first()
    page = staff_client.get(url(CallRecord, "change", call.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert staff_client.get(url(CallRecord, "add")).status_code == 403
    assert staff_client.post(url(CallRecord, "delete", call.pk), {"post": "yes"}).status_code == 403
    assert CallRecord.objects.filter(pk=call.pk).exists()


def test_the_token_page_never_shows_the_secret_or_its_hash(staff_client, tenant):
    token, secret = api_token_create(tenant=tenant, name="PBX")
    for page in (url(ApiToken, "changelist"), url(ApiToken, "change", token.pk)):
        body = staff_client.get(page).content.decode()
        assert token.prefix in body
        assert secret not in body and token.token_hash not in body
    assert staff_client.get(url(ApiToken, "add")).status_code == 403


def test_staff_can_revoke_tokens(staff_client, tenant):
    token, _ = api_token_create(tenant=tenant, name="PBX")
    response = staff_client.post(
        url(ApiToken, "changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_toll_free_number_must_be_one(staff_client, tenant):
    response = staff_client.post(
        url(TollFreeNumber, "add"), {"tenant": tenant.pk, "number": "+12065550100", "label": ""}
    )
    assert response.status_code == 200
    assert b"This is not a toll-free number." in response.content
    response = staff_client.post(
        url(TollFreeNumber, "add"), {"tenant": tenant.pk, "number": "+18005550123", "label": ""}
    )
    assert response.status_code == 302
    assert TollFreeNumber.objects.get().country == "US"
