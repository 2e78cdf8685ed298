"""Every URL of the site, from one table: who is sent to sign in, who gets 403, 404, 405.

The console's rules (README "Who may do what", accounts/shell/access.py): a stranger is
sent to sign in; platform staff go to the backoffice; a signed-in user whose roles lack
the page's permission gets 403 (a directory user without an admin role, on every page);
another tenant's object is 404, whatever the outsider's roles; a method the page does not
take is 405. The usage API, the sign-in pages, the language switch and the backoffice have
their own answers, spelled out below.

test_every_url_has_guard_expectations walks the resolver: a URL added without a row in
PAGES (or an explicit test here) fails it, so no page can be added unguarded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import pytest
from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import resolve_url
from django.test import Client, TestCase
from django.urls import URLResolver, get_resolver, resolve, reverse

from accounts.models import AdminRole, ServiceRequest, Tenant, User
from accounts.permissions import ALL_ADMIN_ROLES, ROLE_PERMISSIONS
from accounts.permissions import Action as A
from credits.billing.rules import RechargeSettings
from credits.billing.services.checks import Payment
from credits.billing.services.invoices import invoicing_approve
from credits.billing.services.orders import order_place
from credits.models import OrderKind, PaymentType
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from credits.reports.services import report_export_run, report_export_start
from credits.usage.services.api_tokens import api_token_create
from tests.accounts.factories import AdminFactory, StaffFactory, TenantFactory, UserFactory
from tests.credits.payments import saved_card, token

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
GET, POST, GET_POST = ("GET",), ("POST",), ("GET", "POST")


@dataclass(frozen=True)
class People:
    """Who asks, each signed in once: built once for the module (rolled back after it), as
    every test only sends requests, each test in a savepoint inside."""

    contoso: Tenant
    fabrikam: Tenant
    by_role: dict[str, User]  # one Contoso admin per admin role
    insider: User  # a Contoso admin with every role
    outsider: User  # a Fabrikam admin with every role
    plain_user: User  # in Contoso's directory, without an admin role
    staff: User  # platform staff (no tenant)
    sessions: dict[int, str] = field(default_factory=dict)  # user id: their session's key

    def sign_in(self, client, user: User) -> None:
        """``client.force_login(user)``, with the session made when the module started."""
        if user.pk not in self.sessions:
            signed_in = Client()
            signed_in.force_login(user)
            self.sessions[user.pk] = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[user.pk]


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker) -> People:
    with django_db_blocker.unblock(), transaction.atomic():
        contoso = TenantFactory(name="Contoso", slug="contoso", country="US", currency="USD")
        fabrikam = TenantFactory(name="Fabrikam", slug="fabrikam", country="GB", currency="GBP")
        people = People(
            contoso=contoso,
            fabrikam=fabrikam,
            by_role={role: AdminFactory(tenant=contoso, roles=[role]) for role in AdminRole},
            insider=AdminFactory(tenant=contoso, roles=sorted(ALL_ADMIN_ROLES)),
            outsider=AdminFactory(tenant=fabrikam, roles=sorted(ALL_ADMIN_ROLES)),
            plain_user=UserFactory(tenant=contoso),
            staff=StaffFactory(),
        )
        for user in (*people.by_role.values(), people.insider, people.outsider,
                     people.plain_user, people.staff):
            people.sign_in(Client(), user)
        yield people
        transaction.set_rollback(True)


class Contoso:
    """The Contoso objects that URLs name, each created the first time a test asks."""

    def __init__(self, people: People) -> None:
        self.tenant, self.admin = people.contoso, people.insider

    @cached_property
    def user(self):
        return UserFactory(tenant=self.tenant, display_name="Adele Vance")

    @cached_property
    def service_request(self):
        return ServiceRequest.objects.create(
            tenant=self.tenant, topic="billing", title="Contoso's request", description="d",
            created_by=self.admin,
        )

    @cached_property
    def card(self):
        return saved_card(self.tenant)

    @cached_property
    def order(self):
        return order_place(
            tenant=self.tenant, acting_user=self.admin, kind=OrderKind.PURCHASE,
            amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=self.card),
            idempotency_key=token(), recharge=RechargeSettings(enabled=False),
        )

    @cached_property
    def invoice(self):
        """An invoice: Add funds paid by invoice, once credits are set up (the order)."""
        assert self.order.succeeded
        invoicing_approve(tenant=self.tenant, credit_limit=Decimal("1000"))
        order = order_place(
            tenant=self.tenant, acting_user=self.admin, kind=OrderKind.TOP_UP,
            amount=Decimal("60"), payment=Payment(type=PaymentType.INVOICE),
            idempotency_key=token(),
        )
        return order.invoice

    @property
    def month(self) -> str:
        """A month with a statement (the order's)."""
        return f"{self.order.completed_at:%Y-%m}"

    @cached_property
    def export(self):
        """A finished Excel export of the PSTN usage report, its file written."""
        with TestCase.captureOnCommitCallbacks(execute=False):
            pending = report_export_start(tenant=self.tenant, user=self.admin, query="")
        return report_export_run(export_id=pending.pk)

    @cached_property
    def webhook(self):
        return WebhookEndpoint.objects.create(
            tenant=self.tenant, url="https://hooks.contoso.example/in", events=["balance.low"],
            secret="whsec_contoso",
        )

    @cached_property
    def webhook_delivery(self):
        """A delivery in the endpoint's log (never sent: no task runs for it)."""
        event = WebhookEvent.objects.create(tenant=self.tenant, key="guard", type="balance.low")
        return WebhookDelivery.objects.create(endpoint=self.webhook, event=event)


@dataclass(frozen=True)
class Page:
    """A console page: ``console_view(action)`` in front of a view taking ``methods``."""

    action: str
    methods: tuple[str, ...]
    # Per method, the actions the view asks for itself, beyond console_view's; any one of
    # them lets a role through.
    also: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The URL's arguments naming a tenant's object: another tenant's admin gets 404.
    kwargs: Callable[[Contoso], dict] | None = None
    # Request data naming the tenant's objects (the query string of a GET).
    data: Callable[[Contoso], dict] | None = None

    def allowed_roles(self, method: str) -> frozenset[str]:
        roles = ROLE_PERMISSIONS[self.action]
        if method in self.also:
            roles &= frozenset().union(*(ROLE_PERMISSIONS[a] for a in self.also[method]))
        return roles


def _user(c: Contoso) -> dict:
    return {"pk": c.user.pk}


def _card(c: Contoso) -> dict:
    return {"pk": c.card.pk}


def _month(c: Contoso) -> dict:
    return {"month": c.month}


def _invoice(c: Contoso) -> dict:
    return {"number": c.invoice.number}


def _export(c: Contoso) -> dict:
    return {"export_id": c.export.pk}


def _webhook(c: Contoso) -> dict:
    return {"pk": c.webhook.pk}


def _webhook_delivery(c: Contoso) -> dict:
    return {"pk": c.webhook.pk, "delivery_pk": c.webhook_delivery.pk}


PAGES: dict[str, Page] = {
    "accounts:home": Page(A.USE_CONSOLE, GET),
    "accounts:active_users": Page(A.VIEW_USERS, GET),
    "accounts:user_add": Page(A.MANAGE_LICENSES, GET_POST),
    "accounts:users_import": Page(A.MANAGE_LICENSES, GET_POST),
    "accounts:users_import_sample": Page(A.MANAGE_LICENSES, GET),
    "accounts:users_bulk_licenses": Page(
        A.VIEW_USERS, GET_POST, also={"GET": (A.MANAGE_LICENSES,), "POST": (A.MANAGE_LICENSES,)},
        data=lambda c: {"user": [str(c.user.pk)], "operation": "unassign_all"},
    ),
    "accounts:user_detail": Page(A.VIEW_USERS, GET, kwargs=_user),
    "accounts:user_licenses": Page(
        A.VIEW_USERS, POST, also={"POST": (A.MANAGE_LICENSES,)}, kwargs=_user
    ),
    "accounts:user_usage_location": Page(
        A.VIEW_USERS, POST, also={"POST": (A.MANAGE_LICENSES,)}, kwargs=_user
    ),
    "accounts:service_requests": Page(
        A.USE_CONSOLE, GET_POST, also={"POST": (A.OPEN_SERVICE_REQUESTS,)}
    ),
    "accounts:security": Page(A.USE_CONSOLE, GET),
    "accounts:password_change": Page(A.USE_CONSOLE, GET_POST),
    "accounts:second_factor_reset": Page(A.USE_CONSOLE, POST),
    "accounts:recovery_codes_renew": Page(A.USE_CONSOLE, POST),
    "accounts:mfa_requirement": Page(A.MANAGE_SECURITY, POST),
    "accounts:service_request_detail": Page(
        A.USE_CONSOLE, GET, kwargs=lambda c: {"pk": c.service_request.pk}
    ),
    "credits:message_center": Page(A.VIEW_MESSAGE_CENTER, GET),
    "credits:notification_preferences": Page(A.VIEW_MESSAGE_CENTER, GET_POST),
    "credits:billing_notifications": Page(
        A.VIEW_BILLING, GET_POST, also={"POST": (A.MANAGE_BILLING,)}
    ),
    "credits:purchase_services": Page(A.VIEW_BILLING, GET),
    "credits:credits_setup": Page(A.VIEW_BILLING, GET_POST, also={"POST": (A.MANAGE_BILLING,)}),
    "credits:order_detail": Page(A.VIEW_BILLING, GET, kwargs=lambda c: {"pk": c.order.pk}),
    "credits:products": Page(A.VIEW_BILLING, GET),
    "credits:credits_subscription": Page(A.VIEW_BILLING, GET),
    # Contoso's transactions from the day of its order: another tenant's admin gets 404
    # (their own tenant has no credits), never Contoso's entries.
    "credits:credits_transactions_csv": Page(
        A.VIEW_BILLING, GET,
        data=lambda c: {"type": "funds", "start": f"{c.order.completed_at:%Y-%m-%d}"},
    ),
    "credits:credits_add_funds": Page(A.MANAGE_BILLING, GET_POST),
    "credits:credits_recharge_settings": Page(A.MANAGE_BILLING, GET_POST),
    "credits:credits_balance_alert": Page(A.MANAGE_BILLING, GET_POST),
    "credits:credits_payment_method": Page(A.MANAGE_BILLING, GET_POST),
    "credits:bills": Page(A.VIEW_BILLING, GET),
    "credits:bill_detail": Page(A.VIEW_BILLING, GET, kwargs=_month),
    "credits:bill_download": Page(A.VIEW_BILLING, GET, kwargs=_month),
    "credits:invoice_detail": Page(A.VIEW_BILLING, GET, kwargs=_invoice),
    "credits:payment_methods": Page(A.VIEW_BILLING, GET),
    "credits:card_add": Page(A.MANAGE_BILLING, GET_POST),
    "credits:card_set_default": Page(
        A.VIEW_BILLING, POST, also={"POST": (A.MANAGE_BILLING,)}, kwargs=_card
    ),
    "credits:card_remove": Page(
        A.VIEW_BILLING, POST, also={"POST": (A.MANAGE_BILLING,)}, kwargs=_card
    ),
    "credits:pstn_usage": Page(A.VIEW_USAGE_REPORTS, GET),
    "credits:pstn_usage_csv": Page(A.VIEW_USAGE_REPORTS, GET),
    "credits:report_export_start": Page(A.VIEW_USAGE_REPORTS, POST),
    "credits:report_export_detail": Page(A.VIEW_USAGE_REPORTS, GET, kwargs=_export),
    "credits:report_export_download": Page(A.VIEW_USAGE_REPORTS, GET, kwargs=_export),
    "credits:minute_pools": Page(A.VIEW_USAGE_REPORTS, GET),
    "credits:funding_advice": Page(
        A.USE_CONSOLE, GET, also={"GET": (A.MANAGE_BILLING,)}
    ),
    "credits:rates": Page(A.VIEW_BILLING, GET),
    "credits:webhooks": Page(A.MANAGE_BILLING, GET),
    "credits:webhook_add": Page(A.MANAGE_BILLING, GET_POST),
    "credits:webhook_detail": Page(A.MANAGE_BILLING, GET, kwargs=_webhook),
    "credits:webhook_edit": Page(A.MANAGE_BILLING, GET_POST, kwargs=_webhook),
    "credits:webhook_secret_roll": Page(A.MANAGE_BILLING, POST, kwargs=_webhook),
    "credits:webhook_enable": Page(A.MANAGE_BILLING, POST, kwargs=_webhook),
    "credits:webhook_delete": Page(A.MANAGE_BILLING, POST, kwargs=_webhook),
    "credits:webhook_resend": Page(A.MANAGE_BILLING, POST, kwargs=_webhook_delivery),
    "credits:spend_controls": Page(A.VIEW_BILLING, GET_POST, also={"POST": (A.MANAGE_BILLING,)}),
    "credits:spend_cap_lift": Page(A.MANAGE_BILLING, POST),
    "credits:calling_restrictions": Page(
        A.VIEW_BILLING, GET_POST, also={"POST": (A.MANAGE_BILLING,)}
    ),
}

# URLs with answers of their own, each tested explicitly below.
SIGN_IN = {"accounts:login", "accounts:logout"}
# The second factor and re-authentication: signed-in people only, any role (staff too).
SIGNED_IN = {"accounts:second_factor", "accounts:second_factor_enrol", "accounts:recovery_codes",
             "accounts:reauthenticate"}
# Password reset: for people who can't sign in.
PASSWORD_RESET = {"accounts:password_reset", "accounts:password_reset_done",
                  "accounts:password_reset_confirm", "accounts:password_reset_complete"}
LANGUAGE = {"set_language", "javascript-catalog"}
API = {"credits:api_usage", "credits:api_calls_authorize"}
# Microsoft Graph's getPstnCalls: GET with a bearer token that has the usage:read scope.
GRAPH = {"credits:graph_pstn_calls"}
HEALTH = {"healthz"}  # for load balancers: no sign-in (tests/config/test_operations.py)
BACKOFFICE = "admin"  # every URL in the namespace: platform staff only


def site_urls(patterns=None, prefix: str = "", namespace: str = ""):
    """(name with its namespace, or the route when unnamed; route; view) of every URL."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from site_urls(entry.url_patterns, route, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{route}>"
            yield name, route, entry.callback


def test_every_url_has_guard_expectations():
    names = {name for name, _, _ in site_urls() if not name.startswith(f"{BACKOFFICE}:")}
    assert names == (
        set(PAGES) | SIGN_IN | SIGNED_IN | PASSWORD_RESET | LANGUAGE | API | GRAPH | HEALTH
    )


# --- the console pages ---------------------------------------------------------------


@pytest.fixture
def contoso(people) -> Contoso:
    return Contoso(people)


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.CREDITS_EXPORT_DIR = tmp_path / "exports"


def url_of(name: str, contoso: Contoso) -> str:
    page = PAGES[name]
    return reverse(name, kwargs=page.kwargs(contoso) if page.kwargs else None)


def data_of(name: str, contoso: Contoso) -> dict:
    page = PAGES[name]
    return page.data(contoso) if page.data else {}


def ask(client, method: str, url: str, data: dict | None = None):
    if method in {"GET", "POST"}:
        return getattr(client, method.lower())(url, data or {})
    return getattr(client, method.lower())(url)


def sign_in_url(next_path: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = next_path
    return f"{resolve_url(settings.LOGIN_URL)}?{query.urlencode(safe='/')}"


def test_every_page_goes_through_console_view_with_the_tables_action():
    actions = {name: getattr(view, "console_action", None) for name, _, view in site_urls()}
    assert {name: actions[name] for name in PAGES} == {
        name: page.action for name, page in PAGES.items()
    }


@pytest.mark.parametrize("name", PAGES)
def test_strangers_are_sent_to_sign_in(client, contoso, name):
    url = url_of(name, contoso)
    for method in PAGES[name].methods:
        response = ask(client, method, url)
        assert (response.status_code, response["Location"]) == (302, sign_in_url(url)), method


@pytest.mark.parametrize("name", PAGES)
def test_platform_staff_are_sent_to_the_backoffice(client, people, contoso, name):
    url = url_of(name, contoso)
    people.sign_in(client, people.staff)
    for method in PAGES[name].methods:
        response = ask(client, method, url)
        assert (response.status_code, response["Location"]) == (302, "/admin/"), method


@pytest.mark.parametrize("name", PAGES)
def test_a_directory_user_without_an_admin_role_gets_403(client, people, contoso, name):
    url, data = url_of(name, contoso), data_of(name, contoso)
    people.sign_in(client, people.plain_user)
    for method in PAGES[name].methods:
        assert ask(client, method, url, data).status_code == 403, method


ROLE_CHECKS = [
    (name, method)
    for name, page in PAGES.items()
    for method in page.methods
    if ALL_ADMIN_ROLES - page.allowed_roles(method)
]


@pytest.mark.parametrize(("name", "method"), ROLE_CHECKS)
def test_roles_without_the_permission_get_403(client, people, contoso, name, method):
    url, data = url_of(name, contoso), data_of(name, contoso)
    for role in sorted(ALL_ADMIN_ROLES - PAGES[name].allowed_roles(method)):
        people.sign_in(client, people.by_role[role])
        assert ask(client, method, url, data).status_code == 403, role


OUTSIDER_CHECKS = [name for name, page in PAGES.items() if page.kwargs or page.data]


@pytest.mark.parametrize("name", OUTSIDER_CHECKS)
def test_another_tenants_admin_with_every_role_gets_404(client, people, contoso, name):
    url, data = url_of(name, contoso), data_of(name, contoso)
    if "GET" in PAGES[name].methods:  # the object is there: Contoso's admins open it
        people.sign_in(client, people.insider)
        assert ask(client, "GET", url, data).status_code == 200
    people.sign_in(client, people.outsider)
    for method in PAGES[name].methods:
        assert ask(client, method, url, data).status_code == 404, method


@pytest.mark.parametrize("name", PAGES)
def test_methods_the_page_does_not_take_get_405(client, people, contoso, name):
    url = url_of(name, contoso)
    people.sign_in(client, people.insider)
    for method in sorted(set(METHODS) - set(PAGES[name].methods)):
        assert ask(client, method, url).status_code == 405, method


# --- sign-in, sign-out, the language switch -------------------------------------------


def test_the_sign_in_page_is_for_strangers_and_sends_admins_home(client, people):
    url = reverse("accounts:login")
    assert client.get(url).status_code == 200
    for method in ("PATCH", "DELETE"):  # PUT is POST to Django's form views
        assert ask(client, method, url).status_code == 405, method
    people.sign_in(client, people.by_role[AdminRole.GLOBAL_ADMIN])
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:home"))


@pytest.mark.parametrize("name", sorted(SIGNED_IN))
def test_second_factor_and_reauthentication_pages_send_strangers_to_sign_in(client, name):
    url = reverse(name)
    for method in ("GET", "POST") if name != "accounts:recovery_codes" else ("GET",):
        response = ask(client, method, url)
        assert (response.status_code, response["Location"]) == (302, sign_in_url(url)), method
    for method in ("PUT", "PATCH", "DELETE"):
        assert ask(client, method, url).status_code == 405, method


@pytest.mark.parametrize("name", ["accounts:password_reset", "accounts:password_reset_done",
                                  "accounts:password_reset_complete"])
def test_password_reset_pages_are_open_to_strangers(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_a_password_reset_link_that_is_not_one_says_so(client):
    url = reverse("accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "x-y"})
    response = client.get(url)
    assert response.status_code == 200
    assert b"password-reset-invalid" in response.content


def test_signing_out_takes_only_post(client, people):
    url = reverse("accounts:logout")
    people.sign_in(client, people.by_role[AdminRole.GLOBAL_ADMIN])
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert ask(client, method, url).status_code == 405, method
    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:login"))


def test_anyone_may_switch_the_language(client):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_anyone_gets_the_javascript_catalog_in_their_language(client):
    # The sign-in page loads it too, before anyone signs in.
    response = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")


def test_anyone_may_ask_healthz_without_signing_in(client, people):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json()["status"] == "ok"
    people.sign_in(client, people.outsider)
    assert client.get(reverse("healthz")).status_code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert ask(client, method, reverse("healthz")).status_code == 405, method


# --- the usage API: bearer tokens ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(API))
def test_the_api_takes_only_post_with_this_tenants_bearer_token(client, people, name):
    url = reverse(name)
    own = api_token_create(tenant=people.contoso, name="PBX")[1]
    theirs = api_token_create(tenant=people.fabrikam, name="Fabrikam PBX")[1]

    def post(header: str | None, query: str = ""):
        headers = {"Authorization": header} if header else {}
        return client.post(f"{url}{query}", data="{}", content_type="application/json",
                           headers=headers)

    for header in (None, "Bearer ccu_unknown"):
        response = post(header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer"), header
    assert post(f"Bearer {theirs}", f"?tenant={people.contoso.slug}").status_code == 403
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = getattr(client, method.lower())(url, headers={"Authorization": f"Bearer {own}"})
        assert (response.status_code, response["Allow"]) == (405, "POST"), method


def test_graphs_get_pstn_calls_takes_only_get_with_a_reading_token(client, people):
    url = reverse("credits:graph_pstn_calls",
                  kwargs={"parameters": "fromDateTime=2026-01-01,toDateTime=2026-01-02"})
    reader = api_token_create(tenant=people.contoso, name="Script", scopes=["usage:read"])[1]
    importer = api_token_create(tenant=people.contoso, name="PBX")[1]
    people.sign_in(client, people.insider)  # a console session is no API token

    for header in (None, "Bearer ccu_unknown"):
        headers = {"Authorization": header} if header else {}
        response = client.get(url, headers=headers)
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert client.get(url, headers={"Authorization": f"Bearer {importer}"}).status_code == 403
    assert client.get(url, headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = getattr(client, method.lower())(
            url, headers={"Authorization": f"Bearer {reader}"}
        )
        assert (response.status_code, response["Allow"]) == (405, "GET"), method


# --- the backoffice: platform staff only ------------------------------------------------


def sample_path(route: str) -> str:
    """A path the route matches: 1 for each argument, the first app of the app list."""
    path = route.replace("^", "").replace("$", "").replace("(?P<url>.*)", "no-such-page/")
    path = re.sub(r"\(\?P<\w+>([\w|]+)\)", lambda match: match.group(1).split("|")[0], path)
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", path)


def test_the_backoffice_is_for_platform_staff_only(client, people):
    login = reverse("admin:login")
    strangers_and_admins = [("a stranger", Client()), ("a tenant's Global Administrator", Client())]
    wrong: list[str] = []
    for name, route, _ in site_urls():
        if not name.startswith(f"{BACKOFFICE}:") or name in {"admin:login", "admin:logout"}:
            continue
        path = sample_path(route)
        assert resolve(path).namespace == BACKOFFICE, path
        query = QueryDict(mutable=True)
        query["next"] = path
        expected = (302, f"{login}?{query.urlencode(safe='/')}")
        for who, signed_in in strangers_and_admins:
            signed_in.cookies.clear()
            if who != "a stranger":
                people.sign_in(signed_in, people.by_role[AdminRole.GLOBAL_ADMIN])
            response = signed_in.get(path)
            answer = (response.status_code, response.get("Location"))
            if answer != expected:
                wrong.append(f"{name} {path} for {who}: {answer}")
    assert wrong == []
    assert client.get(login).status_code == 200
    people.sign_in(client, people.staff)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:logout")).status_code == 405
