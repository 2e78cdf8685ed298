"""Every answer of the usage API is JSON: pathological JSON (deep nesting, huge numbers,
wrong types at any level) is a 400 with the reason, a bad record is reported by its
position, and anything unexpected is a JSON 500 with the traceback in the log."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from unittest import mock

import pytest

from accounts.models import Tenant
from accounts.shell.views import server_error
from credits.models import CallRecord
from credits.usage.services.api_tokens import api_token_create
from tests.credits.calls import (
    CREDITS,
    GB_FIXED,
    T0,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)

USAGE = "/api/v1/usage"
AUTHORIZE = "/api/v1/calls/authorize"
BOTH = [USAGE, AUTHORIZE]

DEEP_LISTS = "[" * 100_000 + "]" * 100_000
DEEP_OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000
LONG_INTEGER = "1" + "0" * 9_999  # 10,000 digits


@pytest.fixture
def token(tenant, account, test_rates):  # noqa: F811
    Tenant.objects.filter(pk=tenant.pk).update(created_at=T0 - timedelta(days=30))
    person(tenant, "cy", CREDITS)
    return api_token_create(tenant=tenant, name="PBX")[1]


def send(client, url: str, token: str, text: str | bytes, **extra):
    return client.post(url, data=text, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"}, **extra)


def error_of(response, status: int) -> dict:
    """The JSON error of ``response``, which must have ``status``."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message"}
    return error


def call(**fields) -> dict:
    return {"upn": "cy@contoso.example", "call_type": "user_out",
            "destination_number": GB_FIXED, **fields}


# ------------------------------------------------------------ both: 400 with the reason


@pytest.mark.parametrize("url", BOTH)
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (DEEP_LISTS, "The body nests arrays or objects too deeply."),
        (DEEP_OBJECTS, "The body nests arrays or objects too deeply."),
        ('{"records": [' + DEEP_LISTS + "]}", "The body nests arrays or objects too deeply."),
        (LONG_INTEGER, "The body holds a number of more than 100 digits: no field takes one."),
        ("-" + LONG_INTEGER, "The body holds a number of more than 100 digits"),
        ('{"upn": ' + LONG_INTEGER + "}", "The body holds a number of more than 100 digits"),
        ("[{\"Duration Seconds\": " + LONG_INTEGER + "}]", "more than 100 digits"),
        ("NaN", "The body is not valid JSON: NaN is not a JSON value."),
        ('{"upn": Infinity}', "Infinity is not a JSON value"),
        ("[-Infinity]", "-Infinity is not a JSON value"),
        ('{"tenant": 5}', "tenant must be text"),
        ('{"tenant": ["contoso"]}', "tenant must be text"),
        ('{"tenant": {"slug": "contoso"}}', "tenant must be text"),
        ('{"tenant": true}', "tenant must be text"),
    ],
)
def test_pathological_json_is_400_with_the_reason(client, token, url, text, reason):
    error = error_of(send(client, url, token, text), 400)
    assert reason in error["message"]
    assert not CallRecord.objects.exists()


@pytest.mark.parametrize("text", ["null", "true", "false", "12", "1e999999", '"records"',
                                  "-0.5", '{"records": null}', '{"records": "abc"}',
                                  '{"records": 1e999999}', '{"records": {"0": {}}}'])
def test_usage_wants_a_list_of_records(client, token, text):
    error = error_of(send(client, USAGE, token, text), 400)
    assert error == {
        "code": "usage_invalid",
        "message": "Send a JSON list of call records, or an object with a records list.",
    }


@pytest.mark.parametrize("text", ["null", "true", "12", "1e999999", '"upn"', "[]",
                                  "[[1, 2], [3]]", '[{"upn": "cy@contoso.example"}]'])
def test_authorize_wants_an_object(client, token, text):
    assert error_of(send(client, AUTHORIZE, token, text), 400) == {
        "code": "invalid_request", "message": "Send a JSON object.",
    }


# --------------------------------------------------- usage: bad records, by position


def test_records_of_the_wrong_type_are_refused_by_position(client, token):
    body = '[[1, 2], ["a"], "text", null, true, 5, 1e999999, []]'
    response = send(client, USAGE, token, body)
    assert response.status_code == 200
    rejected = response.json()["rejected"]
    assert [(r["line"], r["code"]) for r in rejected] == [
        (n, "invalid_record") for n in range(1, 9)
    ]
    assert {r["reason"] for r in rejected} == {
        "each record must be an object with the call record's columns"
    }


def _valid(**changes) -> dict:
    row = record(upn="cy@contoso.example", destination=GB_FIXED, seconds=60)
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('"Duration Seconds": 1e999999', "Duration Seconds must be a whole number of seconds"),
        ('"Duration Seconds": 60.0', "Duration Seconds must be a whole number of seconds"),
        ('"Duration Seconds": true', "Duration Seconds must be a whole number of seconds"),
        ('"Duration Seconds": [60]', "Duration Seconds must be a whole number of seconds"),
        ('"Duration Seconds": "' + "9" * 5000 + '"',
         "Duration Seconds '9999999999999999999999999999999999999999…' is not a whole number "
         "of seconds"),
        ('"Duration Seconds": "1e3"', "Duration Seconds '1e3' is not a whole number of seconds"),
        ('"UPN": {"a": 1}', "upn must be text"),
        ('"UPN": 1.5', "upn must be text"),
        ('"UPN": false', "upn must be text"),
        ('"UPN": "\\ud800@contoso.example"', "upn is not valid Unicode text"),
        ('"Start Time": null', "Start Time is missing"),
        ('"Start Time": ["2025-01-15T10:00:00Z"]', "start time must be text"),
        ('"Start Time": "0001-01-01T00:00:00+01:00"',
         "Start Time '0001-01-01T00:00:00+01:00' is not an ISO 8601 date and time"),
        ('"End Time": "9999-12-31T23:59:59-01:00"',
         "End Time '9999-12-31T23:59:59-01:00' is not an ISO 8601 date and time"),
        ('"Call Type": "' + "x" * 100_000 + '"',
         "Call Type 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is not one of"),
        ('"UsageId": 1e999999', "usage id must be text"),
        ('"Caller ID": ' + "9" * 40, "caller id is longer than 32 characters"),
    ],
)
def test_a_field_of_the_wrong_type_or_size_refuses_its_record_only(client, token, raw,
                                                                   reason):
    good = _valid()
    bad = json.dumps(_valid())[:-1] + ", " + raw + "}"  # the last key wins
    response = send(client, USAGE, token, f"[{json.dumps(good)}, {bad}]")

    assert response.status_code == 200
    body = response.json()
    [problem] = body["rejected"]
    assert (problem["line"], problem["code"]) == (2, "invalid_record")
    assert problem["reason"].startswith(reason)
    assert len(problem["reason"]) < 300
    assert body["imported"] == 1


def test_a_record_with_a_thousand_fields_is_refused(client, token):
    row = _valid(**{f"extra{n}": n for n in range(1000)})
    response = send(client, USAGE, token, json.dumps([row]))
    assert response.json()["rejected"][0]["reason"] == "has 1020 fields; a call record has 20"


# --------------------------------------------------------- authorize: 400 with reasons


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"upn": 1e999999, "call_type": "user_out", "destination_number": "+442079460000"}',
         "upn must be text."),
        (json.dumps(call(call_type=True)), "call_type is required (text)."),
        (json.dumps(call(call_type=1)), "call_type is required (text)."),
        (json.dumps(call(destination_number=None)), "destination_number is required (text)."),
        (json.dumps(call(destination_number=[["+442079460000"]])),
         "destination_number is required (text)."),
        (json.dumps(call(destination_number={"e164": "+442079460000"})),
         "destination_number is required (text)."),
        (json.dumps(call(caller_id=False)), "caller_id must be text."),
        (json.dumps(call(caller_id=0.5)), "caller_id must be text."),
        (json.dumps(call(upn="x" * 10_000)), "upn is longer than 254 characters."),
        (json.dumps(call(destination_number="+44" + "1" * 1000)),
         "destination_number is longer than 32 characters."),
        ('{"upn": "\\udc00", "call_type": "user_out", "destination_number": "+442079460000"}',
         "upn is not valid Unicode text."),
        (json.dumps(call(**{"k" * 10_000: 1})),
         "Unknown field 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…'."),
    ],
)
def test_authorize_refuses_wrong_types_with_the_reason(client, token, body, reason):
    assert error_of(send(client, AUTHORIZE, token, body), 400) == {
        "code": "invalid_request", "message": reason,
    }


# ------------------------------------------------------- the unexpected: a JSON 500


@pytest.mark.parametrize(
    ("url", "target", "body"),
    [
        (USAGE, "credits.usage.views.api.usage_import", "[]"),
        (AUTHORIZE, "credits.usage.views.api.call_authorize", json.dumps(call())),
        (USAGE, "credits.usage.views.api.api_token_authenticate", "[]"),
        (AUTHORIZE, "credits.usage.views.api.api_token_authenticate", "{}"),
    ],
)
def test_an_unexpected_error_is_a_json_500_and_logged_with_its_traceback(
    client, token, caplog, url, target, body
):
    with mock.patch(target, side_effect=RuntimeError("the disk is full")), \
            caplog.at_level(logging.ERROR, logger="credits.usage.views.api"):
        response = send(client, url, token, body)

    assert error_of(response, 500) == {
        "code": "server_error",
        "message": "Something went wrong on our side; it has been logged. Sending the same "
                   "request again is safe.",
    }
    assert b"the disk is full" not in response.content
    [logged] = [r for r in caplog.records if r.name == "credits.usage.views.api"]
    assert logged.getMessage() == f"API request POST {url} failed"
    assert logged.exc_info and "the disk is full" in str(logged.exc_info[1])


@pytest.mark.parametrize("url", BOTH)
def test_a_malformed_query_string_is_a_json_400(client, token, url):
    query = "&".join(f"f{n}=1" for n in range(1001))  # more fields than Django reads
    response = send(client, f"{url}?{query}", token, "[]")
    assert error_of(response, 400) == {"code": "bad_request",
                                       "message": "The request is malformed."}


def test_an_unknown_api_address_answers_json_not_an_html_page(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_server_error_under_api_answers_json(rf):
    response = server_error(rf.get("/api/v1/usage"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
    assert server_error(rf.get("/billing/bills/"))["Content-Type"].startswith("text/html")
