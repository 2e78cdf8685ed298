"""POST /api/v1/usage: tokens (401/403), malformed bodies (400), all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest

from accounts.models import Tenant
from credits.models import CallRecord, LedgerEntry
from credits.usage.services.api_tokens import api_token_create, api_token_revoke
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    T0,
    US_FIXED,
    csv_text,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import CreditAccountFactory, fund, ledger_snapshot

URL = "/api/v1/usage"


def set_up_at(tenant, moment) -> None:
    """When ``tenant`` was set up in the console (the API takes no calls from before)."""
    Tenant.objects.filter(pk=tenant.pk).update(created_at=moment)


@pytest.fixture
def token(tenant, account, test_rates):  # noqa: F811
    set_up_at(tenant, T0 - timedelta(days=30))
    fund(account, "100.00")
    person(tenant, "ana", DOMESTIC, CREDITS)
    person(tenant, "cy", CREDITS)
    return api_token_create(tenant=tenant, name="PBX")[1]


@pytest.fixture
def other_token(other_tenant):
    set_up_at(other_tenant, T0 - timedelta(days=30))
    CreditAccountFactory(tenant=other_tenant)
    return api_token_create(tenant=other_tenant, name="Fabrikam PBX")[1]


def post(client, body, *, token=None, content_type="application/json", **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(body) if content_type == "application/json" and not isinstance(
        body, str | bytes) else body
    return client.post(URL, data=data, content_type=content_type, headers=headers, **extra)


def rows():
    return [
        record(upn="ana@contoso.example", destination=US_FIXED, seconds=120),
        record(upn="cy@contoso.example", destination=GB_FIXED, seconds=60),
    ]


def test_a_json_list_is_imported_and_summarized(client, token, account):
    response = post(client, rows(), token=token)

    assert response.status_code == 200
    assert response.json() == {
        "received": 2, "imported": 2, "duplicates": 0, "conflicts": [], "rejected": [],
        "pool_minutes": 2, "charged_minutes": 1, "calls_charged": 1,
        "amount_charged": "0.0500", "currency": "USD",
    }
    account.refresh_from_db()
    assert account.balance == Decimal("99.95")
    assert CallRecord.objects.filter(source="api").count() == 2


def test_snake_case_keys_and_an_object_with_records(client, token, tenant):
    body = {"tenant": "contoso", "records": [{
        "usage_id": "snake-1", "upn": "cy@contoso.example", "call_type": "user_out",
        "destination_number": GB_FIXED, "start_time": f"{T0:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{T0 + timedelta(seconds=60):%Y-%m-%dT%H:%M:%SZ}", "duration_seconds": 60,
    }]}
    response = post(client, body, token=token)
    assert response.json()["imported"] == 1
    assert CallRecord.objects.get(usage_id="snake-1").charge == Decimal("0.05")


def test_csv_body(client, token):
    response = post(client, csv_text(rows()), token=token, content_type="text/csv")
    assert (response.status_code, response.json()["imported"]) == (200, 2)


def test_posting_the_same_records_again_charges_once(client, token, account):
    body = rows()
    post(client, body, token=token)
    before = ledger_snapshot(account)
    again = post(client, body, token=token).json()
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert ledger_snapshot(account) == before


def test_bad_records_are_reported_with_their_position(client, token):
    body = [*rows(), {"UsageId": "x"}, "not an object", record(upn="ghost@contoso.example")]
    response = post(client, body, token=token)
    assert response.status_code == 200
    rejected = response.json()["rejected"]
    assert [(r["line"], r["code"]) for r in rejected] == [
        (3, "invalid_record"), (4, "invalid_record"), (5, "unknown_user")
    ]
    assert rejected[0]["reason"] == "Call Type is missing"
    assert response.json()["imported"] == 2


def test_conflicts_are_reported(client, token):
    body = rows()
    post(client, body, token=token)
    changed = [dict(body[1], **{"Destination Number": "+442071838750"})]
    conflicts = post(client, changed, token=token).json()["conflicts"]
    assert [(c["line"], c["code"]) for c in conflicts] == [(1, "conflict")]


# ----------------------------------------------------------------------- authentication


def test_missing_token_is_401(client, token):
    response = post(client, rows())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"
    assert not CallRecord.objects.exists()


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ccu_not-a-token",
                                    "Token abc"])
def test_wrong_tokens_are_401(client, token, header):
    response = client.post(URL, data="[]", content_type="application/json",
                           headers={"Authorization": header})
    assert response.status_code == 401
    assert not CallRecord.objects.exists()


def test_a_revoked_token_is_401(client, token, tenant):
    from credits.models import ApiToken

    api_token_revoke(token=ApiToken.objects.get(tenant=tenant))
    assert post(client, rows(), token=token).status_code == 401


def test_another_tenants_token_is_403_when_the_request_names_the_tenant(
    client, token, other_token
):
    body = {"tenant": "contoso", "records": rows()}
    response = post(client, body, token=other_token)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    response = post(client, rows(), token=other_token, QUERY_STRING="tenant=contoso")
    assert response.status_code == 403
    assert not CallRecord.objects.exists()


def test_another_tenants_token_never_reaches_this_tenants_users(client, token, other_token):
    response = post(client, rows(), token=other_token)  # Fabrikam's token, Contoso's UPNs
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["rejected"]] == ["unknown_user", "unknown_user"]
    assert not CallRecord.objects.exists()


def test_no_csrf_token_needed(token, account):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, rows(), token=token).status_code == 200


# ------------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("[{", "application/json", "The body is not valid JSON"),
        ("{}", "application/json", "Send a JSON list of call records"),
        ('"hello"', "application/json", "Send a JSON list of call records"),
        ('{"records": [], "colour": 1}', "application/json", "Unknown field 'colour'"),
        ('{"records": {"a": 1}}', "application/json", "Send a JSON list of call records"),
        (b"\xff\xfe", "application/json", "not UTF-8"),
        ("name,email\nA,a@b.c\n", "text/csv", "unknown column 'name'"),
        ("", "text/csv", "The body is empty"),
        ("  \n", "application/json", "The body is empty"),
    ],
)
def test_malformed_bodies_are_400_with_the_reason(client, token, body, content_type, reason):
    response = post(client, body, token=token, content_type=content_type)
    assert response.status_code == 400
    assert reason in response.json()["error"]["message"]
    assert not CallRecord.objects.exists()


def test_too_many_records_is_400(client, token):
    with mock.patch("credits.usage.views.api.API_MAX_RECORDS", 1):
        response = post(client, rows(), token=token)
    assert response.status_code == 400
    assert "more than 1 per request" in response.json()["error"]["message"]


def test_an_unsupported_content_type_is_415(client, token):
    response = post(client, "a=1", token=token, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_a_too_large_body_is_413(client, token):
    with mock.patch("credits.usage.views.api.API_MAX_BODY", 10):
        response = post(client, rows(), token=token)
    assert response.status_code == 413
    assert not CallRecord.objects.exists()


def test_a_request_never_half_applies(client, token, account):
    """A failure while writing rolls the whole request back: no records, no charges; the
    caller gets a JSON 500."""
    before = ledger_snapshot(account)
    with mock.patch(
        "credits.usage.services.imports.MinutePool.objects.bulk_create",
        side_effect=RuntimeError("disk"),
    ):
        response = post(
            client, rows() * 1 + [record(upn="cy@contoso.example", destination=GB_FIXED)],
            token=token,
        )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert not CallRecord.objects.exists()
    assert ledger_snapshot(account) == before
    assert not LedgerEntry.objects.filter(reference_type="call").exists()


def test_a_ledger_refusal_is_409_and_applies_nothing(client, token, account):
    from credits.exceptions import LedgerError

    with mock.patch("credits.usage.services.imports.ledger.usage_charge_many",
                    side_effect=LedgerError("refused")):
        response = post(client, rows(), token=token)
    assert response.status_code == 409
    assert response.json()["error"] == {"code": "ledger_error", "message": "refused"}
    assert not CallRecord.objects.exists()
