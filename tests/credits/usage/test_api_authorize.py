"""POST /api/v1/calls/authorize: the decision, tokens and malformed requests."""

from __future__ import annotations

import json

import pytest

from credits.models import LedgerEntry
from credits.usage.services.api_tokens import api_token_create
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    US_FIXED,
    person,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import CreditAccountFactory, fund

URL = "/api/v1/calls/authorize"


@pytest.fixture
def token(tenant, account, test_rates):  # noqa: F811
    person(tenant, "ana", DOMESTIC, CREDITS)
    person(tenant, "di", DOMESTIC)
    return api_token_create(tenant=tenant, name="SBC")[1]


def ask(client, body, token=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type, headers=headers)


def call(**fields):
    return {"upn": "ana@contoso.example", "call_type": "user_out",
            "destination_number": GB_FIXED, **fields}


def test_a_paid_call_is_refused_at_zero_balance_then_allowed(client, token, account):
    refused = ask(client, call(), token)
    assert refused.status_code == 200
    assert refused.json()["allowed"] is False
    assert refused.json()["code"] == "balance_not_positive"

    fund(account, "20.00")
    allowed = ask(client, call(), token).json()
    assert allowed == {
        "allowed": True, "code": "allowed", "capability": "MCOPSTNPP",
        "reason": "Communications Credits pay: the balance is $20.00.",
        "pool_minutes_left": None, "per_minute": "0.0400", "connection_fee": "0.0100",
        "currency": "USD",
    }
    assert not LedgerEntry.objects.filter(kind="usage").exists()


def test_a_pooled_call_is_allowed_without_credits(client, token):
    decision = ask(client, call(destination_number=US_FIXED), token).json()
    assert (decision["allowed"], decision["capability"]) == (True, "MCOPSTN1")
    assert decision["pool_minutes_left"] == 6000


def test_no_license_is_refused_with_the_reason(client, token, account):
    fund(account, "20.00")
    decision = ask(client, call(upn="di@contoso.example"), token).json()
    assert (decision["allowed"], decision["code"]) == (False, "no_license")
    assert "no Communications Credits license" in decision["reason"]


def test_an_invalid_number_is_refused(client, token):
    decision = ask(client, call(destination_number="+4412"), token).json()
    assert (decision["allowed"], decision["code"]) == (False, "invalid_number")


def test_another_tenants_token_is_403_when_the_tenant_is_named(client, token, other_tenant):
    CreditAccountFactory(tenant=other_tenant)
    fabrikam = api_token_create(tenant=other_tenant, name="SBC")[1]
    response = ask(client, call(tenant="contoso"), fabrikam)
    assert response.status_code == 403
    # Without naming it, the other tenant's token only sees its own directory.
    decision = ask(client, call(), fabrikam).json()
    assert (decision["allowed"], decision["code"]) == (False, "unknown_user")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{", "not valid JSON"),
        ("[]", "Send a JSON object"),
        ({"upn": "ana@contoso.example"}, "call_type is required (text); destination_number is"),
        (call(call_type="user_sideways"), "call_type must be one of user_in"),
        (call(destination_number=12065550100), "destination_number is required (text)"),
        (call(upn=5), "upn must be text"),
        (call(colour="red"), "Unknown field 'colour'"),
    ],
)
def test_malformed_requests_are_400_with_the_reason(client, token, body, reason):
    response = ask(client, body, token)
    assert response.status_code == 400
    assert reason in response.json()["error"]["message"]


def test_json_is_required(client, token):
    assert ask(client, "upn=ana", token, content_type="text/plain").status_code == 415
