"""Billing > Webhooks: the list, adding an endpoint (its secret shown once), its page with
the delivery log and Resend, Roll secret, enabling, deleting; bad input, other tenants,
roles, and the pages' queries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from credits.notifications.webhooks.choices import WebhookDeliveryStatus, WebhookEventType
from credits.notifications.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from credits.notifications.webhooks.services import MAX_ENDPOINTS
from tests.accounts.factories import AdminFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/billing/webhooks/"
ADD_URL = "/billing/webhooks/add/"
# the console shell's four (session, user, roles, tenant), then the endpoints with their
# figures in one query
LIST_MAX_QUERIES = 5
# the shell's four, the endpoint, the log's count and its page (events joined)
DETAIL_MAX_QUERIES = 7


@pytest.fixture
def billing_client(billing_admin) -> Client:
    client = Client()
    client.force_login(billing_admin)
    return client


def post_add(client, **data):
    payload = {"url": "https://hooks.example.com/in", "description": "ERP",
               "events": ["balance.low", "order.succeeded"]}
    payload.update(data)
    return client.post(ADD_URL, payload)


def deliveries(endpoint, n: int) -> None:
    for index in range(n):
        event = WebhookEvent.objects.create(
            tenant=endpoint.tenant, key=f"k{index}", type=WebhookEventType.BALANCE_LOW,
            data={"balance": "1.0000", "currency": "USD"},
        )
        WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, status=WebhookDeliveryStatus.FAILED, attempts=7,
            last_attempt_at=timezone.now(), response_code=500, duration_ms=12,
        )


def test_billing_admins_find_webhooks_under_billing(billing_client, endpoint, reports_reader):
    page = billing_client.get("/").content.decode()
    assert 'href="/billing/webhooks/"' in page
    response = billing_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert endpoint.url in html and "ERP" in html and "order.succeeded" in html
    assert endpoint.secret not in html


def test_readers_see_no_webhooks_entry_and_get_403(tenant, reports_reader):
    reader = AdminFactory(tenant=tenant, roles=["global_reader"])
    for user in (reports_reader, reader):
        client = Client()
        client.force_login(user)
        assert 'href="/billing/webhooks/"' not in client.get("/").content.decode()
        assert client.get(LIST_URL).status_code == 403
        assert post_add(client).status_code == 403
    assert WebhookEndpoint.objects.count() == 0


def test_adding_an_endpoint_shows_its_secret_once(billing_client, billing_admin, monkeypatch):
    monkeypatch.setattr(
        "credits.notifications.webhooks.addresses.resolve", lambda host, port: ("93.184.216.34",)
    )
    response = post_add(billing_client)
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    html = response.content.decode()
    assert endpoint.secret in html and "shown only this once" in html
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response[
        "Cache-Control"]
    assert (endpoint.url, endpoint.events, endpoint.created_by) == (
        "https://hooks.example.com/in", ["balance.low", "order.succeeded"], billing_admin)
    detail = billing_client.get(reverse("credits:webhook_detail", args=[endpoint.pk]))
    assert endpoint.secret not in detail.content.decode()
    assert endpoint.secret_hint in detail.content.decode()
    audit = AuditEvent.objects.get(action="credits.webhook_endpoint_create")
    assert audit.actor == billing_admin and endpoint.secret not in str(audit.after)


def test_adding_in_the_flyout_answers_the_panel(billing_client, monkeypatch):
    monkeypatch.setattr(
        "credits.notifications.webhooks.addresses.resolve", lambda host, port: ("93.184.216.34",)
    )
    form = billing_client.get(ADD_URL, headers={"HX-Request": "true"}).content.decode()
    assert 'id="endpoint-panel"' in form and "<html" not in form
    response = billing_client.post(
        ADD_URL, {"url": "https://hooks.example.com/in", "events": ["balance.low"]},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="secret-panel"' in html and "<html" not in html
    assert WebhookEndpoint.objects.get().secret in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": ""}, "This field is required."),
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": "ftp://hooks.example.com/in"}, "must start with https://"),
        ({"url": "https://hooks.example.com/" + "a" * 500}, "at most 500 characters"),
        ({"url": "https://user:pw@hooks.example.com/in"}, "user name or password"),
        ({"description": "d" * 201}, "at most 200 characters"),
        ({"events": []}, "Choose at least one event."),
        ({"events": ["balance.bogus"]}, "Select a valid choice."),
        ({"events": "-1"}, "Select a valid choice."),
        ({"url": 12.5}, "Enter a valid URL."),
    ],
)
def test_bad_input_is_refused_with_a_message(billing_client, monkeypatch, data, message):
    monkeypatch.setattr(
        "credits.notifications.webhooks.addresses.resolve", lambda host, port: ("93.184.216.34",)
    )
    response = post_add(billing_client, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/in", "must start with https://"),
        ("https://127.0.0.1/in", "not a public internet address"),
        ("https://10.0.0.8/in", "not a public internet address"),
        ("https://169.254.169.254/latest", "not a public internet address"),
        ("https://[::1]:8443/in", "not a public internet address"),
    ],
)
def test_production_refuses_private_and_plain_http_endpoints(
    billing_client, settings, url, message
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = post_add(billing_client, url=url)
    assert message in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_an_organization_has_at_most_ten_endpoints(billing_client, tenant, billing_admin):
    for index in range(MAX_ENDPOINTS):
        WebhookEndpoint.objects.create(tenant=tenant, url=f"http://127.0.0.1/{index}",
                                       events=["balance.low"], secret="whsec_x")
    response = post_add(billing_client, url="http://127.0.0.1/more")
    assert "at most 10 webhook endpoints" in response.content.decode()
    assert WebhookEndpoint.objects.count() == MAX_ENDPOINTS


def test_editing_the_events_and_url(billing_client, endpoint, receiver):
    url = reverse("credits:webhook_edit", args=[endpoint.pk])
    assert billing_client.get(url).status_code == 200
    response = billing_client.post(url, {"url": receiver.url + "/v2", "events": ["funds.expired"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == (receiver.url + "/v2", ["funds.expired"])
    assert billing_client.post(url, {"url": "", "events": []}).status_code == 200
    assert AuditEvent.objects.filter(action="credits.webhook_endpoint_update").count() == 1


def test_roll_secret_shows_the_new_one_once(billing_client, endpoint):
    old = endpoint.secret
    response = billing_client.post(reverse("credits:webhook_secret_roll", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    html = response.content.decode()
    assert endpoint.secret in html and old not in html
    assert AuditEvent.objects.filter(action="credits.webhook_secret_roll").exists()


def test_disable_enable_and_delete(billing_client, endpoint):
    enable = reverse("credits:webhook_enable", args=[endpoint.pk])
    billing_client.post(enable, {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    page = billing_client.get(reverse("credits:webhook_detail", args=[endpoint.pk]))
    assert 'id="webhook-enable"' in page.content.decode()
    billing_client.post(enable, {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_enabled
    response = billing_client.post(reverse("credits:webhook_delete", args=[endpoint.pk]))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"credits.webhook_endpoint_enable", "credits.webhook_endpoint_delete"} <= actions


def test_the_delivery_log_and_resend(
    billing_client, endpoint, receiver, django_capture_on_commit_callbacks
):
    deliveries(endpoint, 2)
    delivery = WebhookDelivery.objects.order_by("pk").first()
    page = billing_client.get(reverse("credits:webhook_detail", args=[endpoint.pk]))
    html = page.content.decode()
    assert f'id="delivery-{delivery.pk}"' in html and "balance.low" in html
    assert "500" in html and "12 ms" in html and delivery.event.public_id in html
    with django_capture_on_commit_callbacks(execute=True):
        response = billing_client.post(
            reverse("credits:webhook_resend", args=[endpoint.pk, delivery.pk])
        )
    assert response.status_code == 302
    resent = WebhookDelivery.objects.order_by("-pk").first()
    assert resent.event_id == delivery.event_id and resent.status == "succeeded"
    assert receiver.received[0].verified


def test_another_tenants_endpoint_is_404(endpoint, other_tenant_admin):
    deliveries(endpoint, 1)
    delivery = WebhookDelivery.objects.get()
    client = Client()
    client.force_login(other_tenant_admin)
    pk = endpoint.pk
    assert client.get(reverse("credits:webhook_detail", args=[pk])).status_code == 404
    assert client.get(reverse("credits:webhook_edit", args=[pk])).status_code == 404
    for name in ("webhook_secret_roll", "webhook_enable", "webhook_delete"):
        assert client.post(reverse(f"credits:{name}", args=[pk])).status_code == 404, name
    resend = reverse("credits:webhook_resend", args=[pk, delivery.pk])
    assert client.post(resend).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=pk, is_enabled=True).exists()
    assert WebhookDelivery.objects.count() == 1
    assert endpoint.url not in client.get(LIST_URL).content.decode()


def test_a_delivery_of_another_endpoint_is_404(billing_client, tenant, endpoint):
    other = WebhookEndpoint.objects.create(tenant=tenant, url="http://127.0.0.1/o",
                                           events=["balance.low"], secret="whsec_o")
    deliveries(other, 1)
    delivery = WebhookDelivery.objects.get()
    resend = reverse("credits:webhook_resend", args=[endpoint.pk, delivery.pk])
    assert billing_client.post(resend).status_code == 404


@pytest.mark.parametrize("n", [2, 40])
def test_the_pages_queries_do_not_grow_with_rows(
    billing_client, tenant, endpoint, n, django_assert_max_num_queries
):
    for index in range(n // 10):
        WebhookEndpoint.objects.create(tenant=tenant, url=f"http://127.0.0.1/{index}",
                                       events=["balance.low"], secret="whsec_x")
    deliveries(endpoint, n)
    billing_client.get(LIST_URL)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        assert billing_client.get(LIST_URL).status_code == 200
    detail = reverse("credits:webhook_detail", args=[endpoint.pk])
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
        assert billing_client.get(detail).status_code == 200
    with django_assert_max_num_queries(DETAIL_MAX_QUERIES):
        assert billing_client.get(detail + "?page=2").status_code == 200
