"""The user panel: tabs Account and Licenses and apps, switches, Save, usage location."""

from __future__ import annotations

import pytest

from accounts.models import AdminRole, AuditEvent, User
from tests.accounts.factories import AdminFactory, UserFactory
from tests.accounts.licensing import (
    CONFERENCING,
    CREDITS,
    E5,
    bulk_users,
    codes_of,
    give,
    subscribe,
)
from tests.html_text import parse


@pytest.fixture
def subscriptions(tenant):
    return {
        E5: subscribe(tenant, E5, seats=5),
        CONFERENCING: subscribe(tenant, CONFERENCING, seats=1),
        CREDITS: subscribe(tenant, CREDITS, seats=0),
    }


@pytest.fixture
def adele(tenant, subscriptions):
    return UserFactory(
        tenant=tenant,
        display_name="Adele Vance",
        username="adele@contoso.example",
        department="Retail",
        job_title="Retail Manager",
    )


@pytest.fixture
def outsider(other_tenant):
    return UserFactory(tenant=other_tenant, display_name="Fab User", username="u@fabrikam.example")


def url(user, suffix: str = "") -> str:
    return f"/users/active/{user.pk}/{suffix}"


def switches(response) -> dict[str, dict]:
    page = parse(response.content)
    return {
        box.attrs["value"]: box.attrs
        for box in page.by_id("license-switches").find_all("input", name="products")
    }


# Viewing ------------------------------------------------------------------------------


def test_account_tab_shows_the_users_details(admin_client, adele):
    response = admin_client.get(url(adele))

    assert response.status_code == 200
    page = parse(response.content)
    assert page.by_id("tab-account").attrs["aria-current"] == "page"
    details = page.by_id("panel-account").text
    for text in ("Adele Vance", "adele@contoso.example", "Retail", "Retail Manager", "Unlicensed"):
        assert text in details
    assert page.by_id("id_usage_location").find_all("option", selected="")[0].text == (
        "United States"
    )


def test_licenses_tab_has_a_switch_per_subscribed_product_with_seats(admin_client, adele, tenant):
    give(bulk_users(tenant, 4), E5)
    give([adele], CREDITS)

    response = admin_client.get(url(adele), {"tab": "licenses"})

    page = parse(response.content)
    assert page.by_id("tab-licenses").attrs["aria-current"] == "page"
    boxes = switches(response)
    assert list(boxes) == [E5, CONFERENCING, CREDITS]
    assert all(box["role"] == "switch" for box in boxes.values())
    assert "checked" in boxes[CREDITS] and "checked" not in boxes[E5]
    seats = {
        code: page.find_all(**{"data-seats": code})[0].text for code in (E5, CONFERENCING, CREDITS)
    }
    assert seats == {
        E5: "1 of 5 available",
        CONFERENCING: "1 of 1 available",
        CREDITS: "Unlimited",
    }
    labels = [label.text for label in page.by_id("license-switches").find_all("label")]
    assert "Communications Credits" in labels
    assert page.by_id("licenses-save").text == "Save"


def test_sold_out_product_says_so_without_a_buy_link(admin_client, adele, tenant):
    """Seats of the plans are bought through the account team: no "Buy more licenses"
    link leading to a page that says so."""
    give(bulk_users(tenant, 1), CONFERENCING)

    page = parse(admin_client.get(url(adele), {"tab": "licenses"}).content)

    seats = page.find_all(**{"data-seats": CONFERENCING})[0].text
    assert seats.startswith("0 of 1 available")
    assert "No licenses left" in seats and "Buy more licenses" not in seats
    assert not page.by_id("license-switches").find_all("a")


def test_panel_is_a_full_page_without_javascript_and_a_partial_for_htmx(admin_client, adele):
    full = admin_client.get(url(adele), {"tab": "licenses"})
    partial = admin_client.get(url(adele), {"tab": "licenses"}, headers={"HX-Request": "true"})

    assert b"<html" in full.content and parse(full.content).has_id("console-nav")
    assert b"<html" not in partial.content
    panel = parse(partial.content).by_id("user-panel")
    tab = panel.find_all(id="tab-account")[0]
    assert tab.attrs["href"] == f"{url(adele)}?tab=account"
    assert tab.attrs["hx-get"] == tab.attrs["href"]
    form = panel.find_all(id="licenses-form")[0]
    assert form.attrs["action"] == url(adele, "licenses/")
    assert form.attrs["hx-post"] == form.attrs["action"]


def test_unknown_tab_shows_the_account_tab(admin_client, adele):
    page = parse(admin_client.get(url(adele), {"tab": "<script>"}).content)
    assert page.has_id("panel-account")


@pytest.mark.parametrize("suffix", ["", "?tab=licenses"])
def test_another_tenants_user_is_404(admin_client, outsider, suffix):
    assert admin_client.get(url(outsider) + suffix).status_code == 404


@pytest.mark.parametrize("pk", ["999999", "9" * 30])
def test_unknown_user_is_404(admin_client, db, pk):
    assert admin_client.get(f"/users/active/{pk}/").status_code == 404
    assert admin_client.post(f"/users/active/{pk}/licenses/").status_code == 404


@pytest.mark.parametrize(
    "role", [AdminRole.REPORTS_READER, AdminRole.BILLING_ADMIN, AdminRole.GLOBAL_READER]
)
def test_roles_without_license_management_see_the_panel_read_only(client, tenant, adele, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))

    licenses = client.get(url(adele), {"tab": "licenses"})
    account = client.get(url(adele))

    assert licenses.status_code == 200
    assert all("disabled" in box for box in switches(licenses).values())
    page = parse(licenses.content)
    assert not page.has_id("licenses-save")
    assert "can view licenses but not change them" in page.by_id("read-only-note").text
    account_page = parse(account.content)
    assert not account_page.has_id("usage-location-form")
    assert account_page.by_id("usage-location-value").text == "United States"


@pytest.mark.parametrize("role", [AdminRole.LICENSE_ADMIN, AdminRole.USER_ADMIN])
def test_license_and_user_administrators_can_change_licenses(client, tenant, adele, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    response = client.post(url(adele, "licenses/"), {"products": [CREDITS]})
    assert response.status_code == 302
    assert codes_of(adele) == {CREDITS}


# Saving licenses ---------------------------------------------------------------------


def test_save_assigns_and_removes_then_redirects_with_a_message(client, license_admin, adele):
    give([adele], E5)
    client.force_login(license_admin)

    response = client.post(url(adele, "licenses/"), {"products": [CREDITS, CONFERENCING]})

    assert response.status_code == 302
    assert response["Location"] == f"{url(adele)}?tab=licenses"
    assert codes_of(adele) == {CREDITS, CONFERENCING}
    page = parse(client.get(response["Location"]).content)
    assert "Licenses updated for Adele Vance." in page.by_id("messages").text
    event = AuditEvent.objects.get(target="adele@contoso.example")
    assert event.actor == license_admin
    assert event.action == "license.update"


def test_save_over_htmx_returns_the_panel_and_refreshes_the_list(client, license_admin, adele):
    client.force_login(license_admin)

    response = client.post(
        url(adele, "licenses/"), {"products": [CREDITS]}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"users-changed": {}}'
    page = parse(response.content)
    assert page.by_id("panel-notice").text == "Licenses updated for Adele Vance."
    assert "checked" in switches(response)[CREDITS]
    assert codes_of(adele) == {CREDITS}


def test_saving_without_changes_says_so(client, license_admin, adele):
    client.force_login(license_admin)
    response = client.post(url(adele, "licenses/"), {}, headers={"HX-Request": "true"})
    assert parse(response.content).by_id("panel-notice").text == (
        "No changes to save for Adele Vance."
    )
    assert not AuditEvent.objects.exists()


def test_no_usage_location_refuses_with_a_clear_message(client, license_admin, adele):
    User.objects.filter(pk=adele.pk).update(usage_location="")
    client.force_login(license_admin)

    response = client.post(url(adele, "licenses/"), {"products": [CREDITS]})

    assert response.status_code == 200
    page = parse(response.content)
    assert (
        "Adele Vance (adele@contoso.example) has no usage location"
        in page.by_id("license-error").text
    )
    assert page.has_id("no-location-warning")
    # What the admin chose is still switched on, so they can save again after fixing it.
    assert "checked" in switches(response)[CREDITS]
    assert codes_of(adele) == set()


def test_disabled_user_refuses_with_a_clear_message(client, license_admin, adele):
    User.objects.filter(pk=adele.pk).update(is_active=False)
    client.force_login(license_admin)

    response = client.post(url(adele, "licenses/"), {"products": [CREDITS]})

    page = parse(response.content)
    assert (
        "Adele Vance (adele@contoso.example) is blocked from signing in"
        in page.by_id("license-error").text
    )
    assert page.has_id("blocked-warning")
    assert codes_of(adele) == set()


def test_not_enough_licenses_says_what_to_do_without_a_buy_link(
    client, license_admin, adele, tenant
):
    give(bulk_users(tenant, 1), CONFERENCING)
    client.force_login(license_admin)

    response = client.post(url(adele, "licenses/"), {"products": [CONFERENCING, CREDITS]})

    page = parse(response.content)
    error = page.by_id("license-error")
    assert "Not enough licenses for Audio Conferencing: 1 needed, 0 available." in error.text
    assert "ask your account team for more" in page.by_id("more-licenses").text
    assert not page.has_id("buy-more") and not error.find_all("a")
    assert codes_of(adele) == set()  # Communications Credits was not assigned either


@pytest.mark.parametrize(
    "data",
    [
        {"products": ["NOT-A-PRODUCT"]},
        {"products": ["MCOPSTN1"]},  # a real product the tenant does not subscribe to
        {"products": ["x" * 5000]},
    ],
)
def test_malformed_license_choices_are_refused_with_nothing_saved(
    client, license_admin, adele, data
):
    client.force_login(license_admin)

    response = client.post(url(adele, "licenses/"), data)

    assert response.status_code == 200
    assert "Select a valid choice" in parse(response.content).by_id("licenses-form").text
    assert codes_of(adele) == set()


def test_reports_reader_cannot_post_licenses(client, reports_reader, adele):
    client.force_login(reports_reader)
    response = client.post(url(adele, "licenses/"), {"products": [CREDITS]})
    assert response.status_code == 403
    assert codes_of(adele) == set()


def test_other_tenants_admin_posting_licenses_gets_404(client, other_tenant_admin, adele):
    client.force_login(other_tenant_admin)
    response = client.post(url(adele, "licenses/"), {"products": [CREDITS]})
    assert response.status_code == 404
    assert codes_of(adele) == set()


def test_other_tenants_reader_gets_404_not_403(client, other_tenant, adele):
    client.force_login(AdminFactory(tenant=other_tenant, roles=[AdminRole.REPORTS_READER]))
    assert client.post(url(adele, "licenses/"), {"products": [CREDITS]}).status_code == 404
    assert client.post(url(adele, "usage-location/"), {"usage_location": "FR"}).status_code == 404


# Usage location ----------------------------------------------------------------------


def test_usage_location_is_saved_audited_and_confirmed(client, license_admin, adele):
    client.force_login(license_admin)

    response = client.post(url(adele, "usage-location/"), {"usage_location": "FR"})

    assert response.status_code == 302
    adele.refresh_from_db()
    assert adele.usage_location == "FR"
    event = AuditEvent.objects.get(action="user.usage_location")
    assert (event.before, event.after) == ({"usage_location": "US"}, {"usage_location": "FR"})
    assert event.actor == license_admin
    page = parse(client.get(response["Location"]).content)
    assert "Usage location of Adele Vance set to France." in page.by_id("messages").text


def test_usage_location_over_htmx_returns_the_panel(client, license_admin, adele):
    client.force_login(license_admin)
    response = client.post(
        url(adele, "usage-location/"), {"usage_location": "DE"}, headers={"HX-Request": "true"}
    )
    assert response["HX-Trigger"] == '{"users-changed": {}}'
    assert parse(response.content).by_id("panel-notice").text == (
        "Usage location of Adele Vance set to Germany."
    )


def test_a_user_without_location_can_be_licensed_once_it_is_set(client, license_admin, adele):
    User.objects.filter(pk=adele.pk).update(usage_location="")
    client.force_login(license_admin)
    client.post(url(adele, "usage-location/"), {"usage_location": "US"})
    client.post(url(adele, "licenses/"), {"products": [CREDITS]})
    assert codes_of(adele) == {CREDITS}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required."),
        ("ZZ", "Select a valid choice."),
        ("us", "Select a valid choice."),
        ("USA", "Select a valid choice."),
        ("U" * 500, "Select a valid choice."),
        ("<b>", "Select a valid choice."),
    ],
)
def test_bad_usage_locations_are_refused(client, license_admin, adele, value, message):
    client.force_login(license_admin)

    response = client.post(url(adele, "usage-location/"), {"usage_location": value})

    assert response.status_code == 200
    assert message in parse(response.content).by_id("usage-location-form").text
    adele.refresh_from_db()
    assert adele.usage_location == "US"
    assert not AuditEvent.objects.exists()


def test_reports_reader_cannot_change_usage_location(client, reports_reader, adele):
    client.force_login(reports_reader)
    response = client.post(url(adele, "usage-location/"), {"usage_location": "FR"})
    assert response.status_code == 403
    adele.refresh_from_db()
    assert adele.usage_location == "US"


def test_usage_location_of_another_tenants_user_is_404(client, license_admin, outsider):
    client.force_login(license_admin)
    response = client.post(url(outsider, "usage-location/"), {"usage_location": "FR"})
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.usage_location == "GB"
