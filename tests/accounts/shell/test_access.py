"""The one access helper (accounts.shell.access), through the client and a test-only URLconf.

Outsiders get 404 whatever their role, insiders without the permission 403, strangers are
sent to sign in, platform staff to the backoffice.
"""

from __future__ import annotations

import pytest

from accounts.models import AdminRole, Product, Subscription
from tests.accounts.factories import AdminFactory, StaffFactory, SubscriptionFactory, product
from tests.html_text import parse

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.access_urls")]


@pytest.fixture
def contoso_subscription(tenant):
    return SubscriptionFactory(tenant=tenant, product=product(Product.PHONE_SYSTEM), seats=25)


@pytest.fixture
def fabrikam_reports_reader(other_tenant):
    return AdminFactory(
        tenant=other_tenant,
        username="reports@fabrikam.example",
        roles=[AdminRole.REPORTS_READER],
    )


def detail_url(subscription) -> str:
    return f"/access/subscriptions/{subscription.pk}/"


def billing_url(subscription) -> str:
    return f"/access/subscriptions/{subscription.pk}/billing/"


def assert_not_found(response):
    assert response.status_code == 404
    page = parse(response.content)
    assert page.has_id("error-404")
    assert "Phone System" not in page.by_id("main").text


def test_global_admin_sees_their_tenants_subscription(client, global_admin, contoso_subscription):
    client.force_login(global_admin)
    response = client.get(detail_url(contoso_subscription))
    assert response.status_code == 200
    assert response.content.decode() == "Phone System: 25 licenses"


def test_global_admin_may_use_a_billing_action(client, global_admin, contoso_subscription):
    client.force_login(global_admin)
    response = client.get(billing_url(contoso_subscription))
    assert response.status_code == 200
    assert response.content.decode() == "Billing settings of Phone System"


def test_other_tenants_admin_gets_404_for_the_subscription(
    client, other_tenant_admin, contoso_subscription
):
    client.force_login(other_tenant_admin)
    assert_not_found(client.get(detail_url(contoso_subscription)))
    assert_not_found(client.get(billing_url(contoso_subscription)))


def test_other_tenants_admin_without_the_permission_still_gets_404_not_403(
    client, fabrikam_reports_reader, contoso_subscription
):
    """The tenant is checked before the role, so an outsider cannot probe ids."""
    client.force_login(fabrikam_reports_reader)
    assert_not_found(client.get(billing_url(contoso_subscription)))


def test_other_tenants_admin_sees_only_their_own(client, other_tenant_admin, other_tenant):
    own = SubscriptionFactory(
        tenant=other_tenant, product=product(Product.AUDIO_CONFERENCING), seats=3
    )
    client.force_login(other_tenant_admin)
    response = client.get(detail_url(own))
    assert response.status_code == 200
    assert response.content.decode() == "Audio Conferencing: 3 licenses"


def test_role_without_the_permission_gets_403(client, reports_reader, contoso_subscription):
    client.force_login(reports_reader)
    response = client.get(billing_url(contoso_subscription))
    assert response.status_code == 403
    page = parse(response.content)
    assert page.has_id("error-403")
    assert "You don’t have permission to do this" in page.by_id("main").text
    # The same admin may still look at the subscription.
    assert client.get(detail_url(contoso_subscription)).status_code == 200


def test_view_guarded_by_an_action_answers_403_to_other_roles(
    client, reports_reader, billing_admin
):
    client.force_login(reports_reader)
    assert client.get("/access/billing/").status_code == 403
    client.force_login(billing_admin)
    response = client.get("/access/billing/")
    assert response.status_code == 200
    assert response.content.decode() == "Billing of Contoso"


def test_nonexistent_subscription_is_404(client, global_admin, contoso_subscription):
    client.force_login(global_admin)
    missing = Subscription.objects.order_by("-pk").first().pk + 1000
    assert_not_found(client.get(f"/access/subscriptions/{missing}/"))
    assert_not_found(client.get(f"/access/subscriptions/{missing}/billing/"))


def test_anonymous_visitor_is_sent_to_sign_in(client, contoso_subscription):
    url = detail_url(contoso_subscription)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_directory_user_without_admin_role_gets_403(client, plain_user, contoso_subscription):
    client.force_login(plain_user)
    assert client.get(detail_url(contoso_subscription)).status_code == 403


def test_platform_staff_are_sent_to_the_backoffice(client, contoso_subscription):
    client.force_login(StaffFactory())
    response = client.get(detail_url(contoso_subscription))
    assert response.status_code == 302
    assert response.url == "/admin/"
