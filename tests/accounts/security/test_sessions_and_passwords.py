"""Session limits (60 idle minutes, 12 hours), password reset and password change."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache

from accounts.security import sessions
from tests.accounts.factories import TEST_PASSWORD
from tests.accounts.security.test_reauthentication import Clock
from tests.html_text import parse

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_an_idle_session_ends_with_a_message_saying_why(client, global_admin, clock):
    client.force_login(global_admin)
    clock.advance(59)
    assert client.get("/").status_code == 200  # used: the idle time starts again
    clock.advance(59)
    assert client.get("/").status_code == 200
    clock.advance(61)
    response = client.get("/users/active/")
    assert (response.status_code, response.url) == (
        302, "/accounts/login/?next=%2Fusers%2Factive%2F"
    )
    assert SESSION_KEY not in client.session
    page = parse(client.get(response.url).content)
    assert "after 60 minutes without activity" in page.by_id("messages").text


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client, global_admin, clock):
    client.force_login(global_admin)
    for _ in range(12):
        clock.advance(59)
        assert client.get("/").status_code == 200
    clock.advance(15)
    response = client.get("/")
    assert response.url.startswith("/accounts/login/")
    page = parse(client.get(response.url).content)
    assert "12 hours after you signed in" in page.by_id("messages").text


def test_an_htmx_request_of_an_ended_session_is_sent_to_sign_in(client, global_admin, clock):
    client.force_login(global_admin)
    clock.advance(61)
    response = client.get("/users/active/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/users/active/?q=a")
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fusers%2Factive%2F%3Fq%3Da"


def test_the_idle_timeout_comes_from_the_settings(client, global_admin, clock, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
    client.force_login(global_admin)
    clock.advance(6)
    assert client.get("/").status_code == 302


def test_a_page_does_not_write_the_session_more_than_once_a_minute(client, global_admin):
    client.force_login(global_admin)
    seen = client.session[sessions.SEEN_AT]
    client.get("/")
    assert client.session[sessions.SEEN_AT] == seen


# --- password reset ---------------------------------------------------------------------


def test_password_reset_sends_a_link_that_sets_a_new_password(client, global_admin):
    response = client.post(RESET, {"email": "admin@contoso.example"})
    assert response.url == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new = "A brand new passphrase 2026"
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new, "new_password2": new})
    assert done.url == "/accounts/reset/done/"
    global_admin.refresh_from_db()
    assert global_admin.check_password(new)


def test_the_same_answer_whether_the_address_has_an_account_or_not(client, global_admin):
    known = client.post(RESET, {"email": "admin@contoso.example"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@contoso.example"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert parse(known.content).by_id("password-reset-sent").text == parse(
        unknown.content).by_id("password-reset-sent").text
    assert len(mail.outbox) == 1


def test_password_reset_is_throttled_per_address_silently(client, global_admin):
    for _ in range(5):
        response = client.post(RESET, {"email": "admin@contoso.example"})
        assert response.url == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 3  # PASSWORD_RESET_LIMIT_PER_ADDRESS


def test_password_reset_is_throttled_per_client_address(client, global_admin):
    for n in range(10):
        client.post(RESET, {"email": f"someone{n}@contoso.example"}, REMOTE_ADDR="10.1.1.1")
    response = client.post(RESET, {"email": "admin@contoso.example"}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 200
    assert "Too many password reset requests" in parse(response.content).by_id("reset-error").text
    assert len(mail.outbox) == 0
    other = client.post(RESET, {"email": "admin@contoso.example"}, REMOTE_ADDR="10.1.1.2")
    assert other.status_code == 302 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    "value", ["", "not an address", "-1", "1.5", "a@" + "b" * 260 + ".example"]
)
def test_password_reset_refuses_what_is_not_an_address(client, value):
    response = client.post(RESET, {"email": value})
    assert response.status_code == 200
    assert parse(response.content).find_all(class_="invalid-feedback")
    assert len(mail.outbox) == 0


def test_the_sign_in_page_links_password_reset(client):
    page = parse(client.get("/accounts/login/").content)
    assert page.by_id("forgot-password").attrs["href"] == RESET


# --- password change --------------------------------------------------------------------


def test_password_change_keeps_the_admin_signed_in(client, global_admin):
    client.force_login(global_admin)
    new = "Another long passphrase 2026"
    response = client.post("/accounts/security/password/", {
        "old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new,
    })
    assert response.url == "/accounts/security/"
    global_admin.refresh_from_db()
    assert global_admin.check_password(new)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("data", [
    {},
    {"old_password": "wrong", "new_password1": "Long passphrase 1", "new_password2":
     "Long passphrase 1"},
    {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    {"old_password": TEST_PASSWORD, "new_password1": "Long passphrase 1", "new_password2": "x"},
])
def test_password_change_refuses_wrong_or_weak_passwords(client, global_admin, data):
    client.force_login(global_admin)
    response = client.post("/accounts/security/password/", data)
    assert response.status_code == 200
    global_admin.refresh_from_db()
    assert global_admin.check_password(TEST_PASSWORD)
