"""The usage API's limit per token: over ``USAGE_API_RATE_LIMIT`` requests in a minute a
token gets 429 with Retry-After and a JSON error; other tokens are not affected."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from credits.usage.services.api_tokens import api_token_create

URLS = ("/api/v1/usage", "/api/v1/calls/authorize")


@pytest.fixture(autouse=True)
def limit(settings):
    settings.USAGE_API_RATE_LIMIT = 3
    cache.clear()
    yield 3
    cache.clear()


def post(client, url, raw):
    return client.post(url, data="[]", content_type="application/json",
                       headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("url", URLS)
def test_a_token_over_its_limit_gets_429_with_retry_after(client, tenant, url, limit):
    _token, raw = api_token_create(tenant=tenant, name="PBX")
    answers = [post(client, url, raw) for _ in range(limit)]
    assert all(response.status_code != 429 for response in answers)
    refused = post(client, url, raw)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "rate_limited"
    assert "more than 3 requests this minute" in error["message"]


def test_the_limit_is_per_token(client, tenant, other_tenant, limit):
    _token, first = api_token_create(tenant=tenant, name="PBX")
    _token, second = api_token_create(tenant=tenant, name="SBC")
    for _ in range(limit + 1):
        post(client, URLS[0], first)
    assert post(client, URLS[0], first).status_code == 429
    assert post(client, URLS[0], second).status_code != 429


def test_the_window_starts_again_each_minute(client, tenant, limit, monkeypatch):
    _token, raw = api_token_create(tenant=tenant, name="PBX")
    clock = [1_000_040.0]  # 20 s into a minute
    monkeypatch.setattr("credits.usage.views.api.time.time", lambda: clock[0])
    for _ in range(limit):
        post(client, URLS[0], raw)
    refused = post(client, URLS[0], raw)
    assert (refused.status_code, refused["Retry-After"]) == (429, "40")
    clock[0] += 40
    assert post(client, URLS[0], raw).status_code != 429


def test_unknown_tokens_are_refused_before_counting(client, tenant, limit):
    for _ in range(limit + 2):
        assert post(client, URLS[0], "ccu_unknown").status_code == 401


def test_zero_turns_the_limit_off(client, tenant, settings):
    settings.USAGE_API_RATE_LIMIT = 0
    _token, raw = api_token_create(tenant=tenant, name="PBX")
    assert all(post(client, URLS[0], raw).status_code != 429 for _ in range(10))
