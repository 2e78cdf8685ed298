"""Signing in and out at /accounts/login/, as an admin, a plain user and platform staff."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.models import User
from tests.accounts.factories import TEST_PASSWORD, AdminFactory, StaffFactory
from tests.accounts.security.helpers import fresh_code, second_factor_device
from tests.html_text import parse

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
NOT_ADMIN_MESSAGE = (
    "You can't sign in to the admin console: your account doesn't have an administrator "
    "role in your organization. Ask a Global Administrator if you need one."
)
WRONG_PASSWORD_MESSAGE = (
    "Your account or password is incorrect. Check the username (for example "
    "megan@contoso.example) and try again."
)


SECOND_FACTOR_URL = "/accounts/mfa/verify/"


def sign_in(client, username, password=TEST_PASSWORD, **extra):
    """The password, then, when the page asks for it, a code from the user's authenticator
    app (created here: the admins of these tests have set theirs up)."""
    user = User.objects.filter(username=username.strip().lower()).first()
    device = second_factor_device(user) if user is not None else None
    response = client.post(
        LOGIN_URL, {"username": username, "password": password, **extra}, follow=True
    )
    chain = response.redirect_chain
    if chain and chain[-1][0].startswith(SECOND_FACTOR_URL):
        response = client.post(chain[-1][0], {"code": fresh_code(device)}, follow=True)
        response.redirect_chain = chain + response.redirect_chain
    return response


def login_error(response) -> str:
    return parse(response.content).by_id("login-error").text


def test_sign_in_page_shows_the_form(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    page = parse(response.content)
    assert page.find_all("input", name="username")
    assert page.find_all("input", name="password")
    assert page.by_id("sign-in").text == "Sign in"


def test_tenant_admin_signs_in_and_lands_on_home(client, global_admin):
    response = sign_in(client, "admin@contoso.example")
    assert response.redirect_chain[-1][0] == "/"
    assert response.status_code == 200
    assert response.wsgi_request.user == global_admin
    assert parse(response.content).by_id("topbar-user").text == "Megan Bowen"


def test_sign_in_follows_next_within_the_site(client, global_admin):
    response = client.post(
        LOGIN_URL + "?next=/",
        {"username": "admin@contoso.example", "password": TEST_PASSWORD, "next": "/"},
    )
    assert response.status_code == 302
    # A Global Administrator's next step is the second factor, which then goes there.
    assert response.url == SECOND_FACTOR_URL + "?next=%2F"


def test_sign_in_never_redirects_off_site(client, global_admin):
    response = client.post(
        LOGIN_URL,
        {
            "username": "admin@contoso.example",
            "password": TEST_PASSWORD,
            "next": "https://evil.example/phish",
        },
    )
    assert response.status_code == 302
    assert response.url == SECOND_FACTOR_URL + "?next=%2F"


def test_directory_user_without_admin_role_is_refused_with_a_clear_message(client, plain_user):
    response = sign_in(client, "adele@contoso.example")
    assert response.status_code == 200
    assert login_error(response) == NOT_ADMIN_MESSAGE
    assert not response.wsgi_request.user.is_authenticated
    assert SESSION_KEY not in client.session
    # And the console stays closed.
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, global_admin):
    response = sign_in(client, "admin@contoso.example", password="not the password")
    assert login_error(response) == WRONG_PASSWORD_MESSAGE
    assert not response.wsgi_request.user.is_authenticated


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, global_admin):
    response = sign_in(client, "nobody@contoso.example")
    assert login_error(response) == WRONG_PASSWORD_MESSAGE


def test_sign_in_keeps_the_username_typed_after_a_refusal(client, global_admin):
    response = sign_in(client, "admin@contoso.example", password="nope")
    field = parse(response.content).find_all("input", name="username")[0]
    assert field.attrs["value"] == "admin@contoso.example"


def test_disabled_admin_is_refused(client, tenant):
    AdminFactory(tenant=tenant, username="gone@contoso.example", is_active=False)
    response = sign_in(client, "gone@contoso.example")
    assert response.status_code == 200
    assert "Your account is disabled" in login_error(response)
    assert not response.wsgi_request.user.is_authenticated
    assert SESSION_KEY not in client.session


def test_username_is_case_insensitive(client, global_admin):
    response = sign_in(client, "  Admin@CONTOSO.example ")
    assert response.redirect_chain[-1][0] == "/"
    assert response.wsgi_request.user == global_admin


def test_platform_staff_signing_in_are_sent_to_the_backoffice(client):
    staff = StaffFactory(username="platform@console.example")
    response = sign_in(client, "platform@console.example", next="/")
    assert [url for url, _ in response.redirect_chain] == [
        SECOND_FACTOR_URL + "?next=%2F", "/", "/admin/"
    ]
    assert response.status_code == 200
    assert response.wsgi_request.user == staff


def test_sign_out_is_a_post_and_closes_the_console(client, global_admin):
    sign_in(client, "admin@contoso.example")
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert SESSION_KEY not in client.session

    response = client.get("/")
    assert response.status_code == 302
    assert response.url == LOGIN_URL + "?next=/"


def test_sign_out_by_get_is_not_allowed(client, global_admin):
    client.force_login(global_admin)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200
