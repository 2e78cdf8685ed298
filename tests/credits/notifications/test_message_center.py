"""Message center: every notification sent, recipients and delivery status, newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from credits.models import DeliveryStatus, Notification, NotificationKind

URL = "/message-center/"


def _notify(tenant, n, **extra):
    return Notification.objects.create(
        tenant=tenant, kind=NotificationKind.RECHARGE_SUCCEEDED, dedupe_key=f"k{n}",
        subject=f"Auto-recharge succeeded {n}", context={"lines": [f"line {n}"]},
        recipients=[{"email": "admin@contoso.example", "name": "Megan Bowen",
                     "status": DeliveryStatus.SENT}],
        status=DeliveryStatus.SENT, created_at=timezone.now() - timedelta(minutes=n), **extra,
    )


def test_lists_notifications_newest_first_with_recipients_and_status(admin_client, tenant):
    _notify(tenant, 2)
    _notify(tenant, 1)
    page = admin_client.get(URL).content.decode()
    assert page.index("Auto-recharge succeeded 1") < page.index("Auto-recharge succeeded 2")
    assert "admin@contoso.example" in page and "Sent" in page


def test_shows_only_the_own_tenants_notifications(admin_client, tenant, other_tenant):
    Notification.objects.create(
        tenant=other_tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="x",
        subject="Fabrikam secret",
    )
    page = admin_client.get(URL).content.decode()
    assert "Fabrikam secret" not in page and "No notifications yet." in page


def test_an_unknown_page_number_shows_the_last_page_and_other_paths_404(admin_client, tenant):
    _notify(tenant, 1)
    assert admin_client.get(URL + "?page=99").status_code == 200
    assert admin_client.get(URL + "1/").status_code == 404


def test_pages_of_25(admin_client, tenant):
    for n in range(30):
        _notify(tenant, n)
    first = admin_client.get(URL).content.decode()
    assert first.count('id="notification-') == 25 and "1 / 2" in first
    second = admin_client.get(URL + "?page=2").content.decode()
    assert second.count('id="notification-') == 5


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow(admin_client, tenant, count, django_assert_num_queries):
    for n in range(count):
        _notify(tenant, n)
    admin_client.get(URL)  # warm the session and permissions caches
    with django_assert_num_queries(6):  # session, user, roles, tenant, count, page
        assert admin_client.get(URL).status_code == 200


def test_htmx_request_gets_the_partial(admin_client, tenant):
    _notify(tenant, 1)
    response = admin_client.get(URL, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="message-center"' in body and "<html" not in body


def test_the_nav_links_to_the_message_center(admin_client):
    assert 'href="/message-center/"' in admin_client.get("/").content.decode()
