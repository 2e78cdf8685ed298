"""Throttled sign-in (django-axes): 5 failures for a username, or from an address, within
15 minutes lock it out until the cool-off passes or staff unlock it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.utils import timezone

from accounts.security.lockout import client_ip
from tests.accounts.factories import TEST_PASSWORD, StaffFactory
from tests.html_text import parse

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
LOCKED = "Too many failed sign-ins"
WRONG = "not the password"


def attempt(client, username, password=WRONG, ip="10.0.0.1", url=LOGIN_URL):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_five_times(client, username, ip="10.0.0.1", url=LOGIN_URL):
    return [attempt(client, username, ip=ip, url=url) for _ in range(5)]


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, reports_reader):
    responses = fail_five_times(client, "reports@contoso.example")
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert responses[4].status_code == 429  # the fifth failure locks it

    response = attempt(client, "reports@contoso.example", password=TEST_PASSWORD)
    assert response.status_code == 429
    page = parse(response.content)
    # The console's sign-in page, with the reason where the errors go.
    assert page.by_id("sign-in").text == "Sign in"
    assert LOCKED in page.by_id("login-error").text
    assert "15 minutes" in page.by_id("login-error").text
    assert SESSION_KEY not in client.session


def test_the_username_counts_whatever_its_case(client, reports_reader):
    spellings = ["Reports@contoso.example", " REPORTS@contoso.example"]
    for username in [*spellings, *["reports@contoso.example"] * 3]:
        attempt(client, username)
    assert attempt(client, "reports@contoso.example", password=TEST_PASSWORD).status_code == 429


def test_another_username_from_another_address_is_not_affected(
    client, reports_reader, license_admin
):
    fail_five_times(client, "reports@contoso.example", ip="10.0.0.1")
    response = attempt(client, "license@contoso.example", password=TEST_PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(license_admin.pk)


def test_the_locked_username_is_refused_from_any_address(client, reports_reader):
    fail_five_times(client, "reports@contoso.example", ip="10.0.0.1")
    response = attempt(client, "reports@contoso.example", password=TEST_PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429


def test_the_locked_address_is_refused_for_any_username(client, reports_reader, license_admin):
    for n in range(5):  # five different usernames, all wrong, from one address
        attempt(client, f"nobody{n}@contoso.example", ip="10.0.0.7")
    response = attempt(client, "license@contoso.example", password=TEST_PASSWORD, ip="10.0.0.7")
    assert response.status_code == 429


def test_unlocked_once_the_cool_off_has_passed(client, reports_reader):
    fail_five_times(client, "reports@contoso.example")
    assert attempt(client, "reports@contoso.example", password=TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = attempt(client, "reports@contoso.example", password=TEST_PASSWORD)
    assert response.status_code == 302


def test_unlocked_when_staff_reset_the_username(client, reports_reader):
    fail_five_times(client, "reports@contoso.example", ip="10.0.0.1")
    call_command("axes_reset_username", "reports@contoso.example")
    call_command("axes_reset_ip", "10.0.0.1")
    response = attempt(client, "reports@contoso.example", password=TEST_PASSWORD)
    assert response.status_code == 302


def test_unlocked_when_staff_delete_the_attempt_in_the_backoffice(client, reports_reader):
    fail_five_times(client, "reports@contoso.example")
    staff_client = type(client)()
    staff_client.force_login(StaffFactory())
    attempt_row = AccessAttempt.objects.get()
    response = staff_client.post(
        f"/admin/axes/accessattempt/{attempt_row.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt(client, "reports@contoso.example", password=TEST_PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, reports_reader):
    for _ in range(4):
        attempt(client, "reports@contoso.example")
    assert attempt(client, "reports@contoso.example", password=TEST_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        attempt(client, "reports@contoso.example")
    assert attempt(client, "reports@contoso.example", password=TEST_PASSWORD).status_code == 302


def test_the_backoffice_sign_in_is_throttled_the_same_way(client):
    StaffFactory(username="platform@console.example")
    fail_five_times(client, "platform@console.example", url="/admin/login/")
    response = attempt(client, "platform@console.example", password=TEST_PASSWORD,
                       url="/admin/login/")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert b'id="login-form"' in response.content  # the backoffice's own sign-in page
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(("meta", "expected"), [
    ({"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
    ({"REMOTE_ADDR": "2001:db8::1"}, "2001:db8::1"),
    ({}, None),  # a request built by code (the tests' force_login)
    ({"REMOTE_ADDR": "unknown"}, None),
])
def test_the_client_address_is_an_ip_address_or_none(rf, meta, expected):
    request = rf.get("/accounts/login/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    assert client_ip(request) == expected


def test_behind_a_trusted_proxy_garbage_forwarded_for_is_no_address(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/accounts/login/", HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-ip")
    assert client_ip(request) is None
    request = rf.get("/accounts/login/", HTTP_X_FORWARDED_FOR="not-an-ip, 1.2.3.4")
    assert client_ip(request) == "1.2.3.4"


def test_a_sign_in_without_an_address_is_recorded_on_every_database(client, reports_reader):
    client.force_login(reports_reader)  # no REMOTE_ADDR: PostgreSQL refused "unknown"
    assert client.get("/").status_code == 200
