"""Support > Service requests: a simple form and the organization's list."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from accounts.models import AdminRole, AuditEvent, ServiceRequest, ServiceRequestStatus
from tests.accounts.factories import AdminFactory
from tests.html_text import parse

pytestmark = pytest.mark.django_db

URL = "/support/requests/"
MAX_QUERIES = 8


def open_request(client, **data):
    return client.post(URL, {"topic": "billing", "title": "Invoice question",
                             "description": "Where is our March invoice?", **data})


def test_an_admin_opens_a_request_and_sees_it(admin_client, global_admin, tenant):
    response = open_request(admin_client)
    opened = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/support/requests/{opened.pk}/"
    assert (opened.tenant, opened.created_by, opened.status) == (
        tenant, global_admin, ServiceRequestStatus.OPEN,
    )
    page = parse(admin_client.get(response.url).content)
    assert page.by_id("service-request-status").text == "Open"
    assert page.by_id("service-request-description").text == "Where is our March invoice?"
    event = AuditEvent.objects.get(action="accounts.service_request_create")
    assert event.actor == global_admin and event.after["title"] == "Invoice question"

    rows = parse(admin_client.get(URL).content).by_id("service-request-list").table_rows()
    assert rows[0][0] == opened.number and rows[0][1].startswith("Invoice question")


@pytest.mark.parametrize(("data", "message"), [
    ({"title": ""}, "This field is required."),
    ({"description": ""}, "This field is required."),
    ({"topic": "nonsense"}, "Select a valid choice."),
    ({"description": "x" * 4001}, "Ensure this value has at most 4000 characters"),
])
def test_an_incomplete_request_is_explained_and_not_saved(admin_client, data, message):
    response = open_request(admin_client, **data)
    assert response.status_code == 200
    assert message in parse(response.content).by_id("service-request-form").text
    assert not ServiceRequest.objects.exists()


def test_the_form_is_filled_in_from_the_link_that_sent_the_admin(admin_client):
    query = urlencode({"topic": "enterprise_agreement", "title": "Review EA 71234567",
                       "description": "Its billing address is in another region."})
    form = parse(admin_client.get(f"{URL}?{query}").content).by_id("service-request-form")
    assert form.find_all("input", name="title")[0].attrs["value"] == "Review EA 71234567"
    selected = form.find_all("option", selected="")
    assert [o.attrs["value"] for o in selected] == ["enterprise_agreement"]
    assert "another region" in form.find_all("textarea")[0].text


def test_the_read_only_roles_see_the_list_but_cannot_open_requests(client, tenant, global_admin):
    ServiceRequest.objects.create(tenant=tenant, topic="billing", title="Earlier", description="d",
                                  created_by=global_admin)
    reader = AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER])
    client.force_login(reader)
    page = parse(client.get(URL).content)
    assert not page.has_id("service-request-form")
    assert page.by_id("service-request-list").table_rows()[0][1].startswith("Earlier")
    assert open_request(client).status_code == 403
    assert ServiceRequest.objects.count() == 1


def test_another_tenants_request_is_404_and_not_listed(client, tenant, global_admin,
                                                      other_tenant_admin):
    theirs = ServiceRequest.objects.create(tenant=tenant, topic="billing", title="Contoso only",
                                           description="d", created_by=global_admin)
    client.force_login(other_tenant_admin)
    assert client.get(f"/support/requests/{theirs.pk}/").status_code == 404
    assert b"Contoso only" not in client.get(URL).content


def test_query_count_does_not_grow_with_requests(admin_client, tenant, global_admin,
                                                 django_assert_max_num_queries):
    for n in range(30):
        ServiceRequest.objects.create(tenant=tenant, topic="billing", title=f"R{n}",
                                      description="d", created_by=global_admin)
    admin_client.get(URL)
    with django_assert_max_num_queries(MAX_QUERIES):
        admin_client.get(URL)
