"""Users > Active users: the table, search, filters, sorting, pagination, roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AdminRole
from tests.accounts.factories import AdminFactory, UserFactory
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, bulk_users, give, subscribe
from tests.html_text import parse

URL = "/users/active/"


@pytest.fixture
def directory(tenant, other_tenant, global_admin):
    subscribe(tenant, CREDITS, seats=0)
    subscribe(tenant, CONFERENCING, seats=10)
    nestor = UserFactory(
        tenant=tenant, display_name="Nestor Wilke", username="nestor@contoso.example"
    )
    adele = UserFactory(
        tenant=tenant,
        display_name="Adele Vance",
        username="adele@contoso.example",
        usage_location="CA",
    )
    zoe = UserFactory(
        tenant=tenant,
        display_name="Zoe Zhang",
        username="zoe@contoso.example",
        usage_location="",
        is_active=False,
    )
    give([nestor], CREDITS)
    give([nestor, adele], CONFERENCING)
    UserFactory(tenant=other_tenant, display_name="Fabrikam Person", username="f@fabrikam.example")
    return {"nestor": nestor, "adele": adele, "zoe": zoe}


def names(response) -> list[str]:
    """The display names in the table, in order."""
    table = parse(response.content).by_id("users-table")
    return [a.text for a in table.find_all("a") if "console-user-link" in a.attrs.get("class", "")]


def test_url_and_navigation_entry():
    assert reverse("accounts:active_users") == URL


def test_lists_the_tenants_users_with_licenses_and_location(admin_client, directory):
    response = admin_client.get(URL)

    assert response.status_code == 200
    rows = {row[2]: row for row in parse(response.content).by_id("users-table").table_rows()}
    assert "f@fabrikam.example" not in rows
    assert rows["nestor@contoso.example"][3] == "Audio Conferencing, Communications Credits"
    assert rows["adele@contoso.example"][4] == "Canada"
    assert rows["zoe@contoso.example"][3] == "Unlicensed"
    assert rows["zoe@contoso.example"][4] == "Not set"
    assert "Sign-in blocked" in rows["zoe@contoso.example"][1]
    assert "Admin" in rows["admin@contoso.example"][1]
    page = parse(response.content)
    assert "Active users" in page.by_id("console-nav").text
    assert page.by_id("users-count").text == "4 users"


def test_each_row_links_to_the_user_panel_as_a_flyout_and_a_page(admin_client, directory):
    page = parse(admin_client.get(URL).content)
    link = page.by_id(f"open-user-{directory['nestor'].pk}")
    assert link.attrs["href"] == f"/users/active/{directory['nestor'].pk}/"
    assert link.attrs["hx-get"] == link.attrs["href"]
    assert link.attrs["hx-target"] == "#flyout-body"


def test_search_by_name_or_username(admin_client, directory):
    assert names(admin_client.get(URL, {"q": "nestor"})) == ["Nestor Wilke"]
    assert names(admin_client.get(URL, {"q": "ADELE@CONTOSO"})) == ["Adele Vance"]
    response = admin_client.get(URL, {"q": "nobody-like-this"})
    assert (
        parse(response.content).by_id("users-empty").text == "No users match your search or filter."
    )


def test_search_never_finds_another_tenants_users(admin_client, directory):
    response = admin_client.get(URL, {"q": "fabrikam"})
    assert parse(response.content).has_id("users-empty")


@pytest.mark.parametrize(
    ("filter_by", "expected"),
    [
        ("licensed", ["Adele Vance", "Nestor Wilke"]),
        ("unlicensed", ["Megan Bowen", "Zoe Zhang"]),  # the admin Megan Bowen has none
        ("admins", ["Megan Bowen"]),
        ("blocked", ["Zoe Zhang"]),
        (f"product:{CREDITS}", ["Nestor Wilke"]),
        (f"product:{CONFERENCING}", ["Adele Vance", "Nestor Wilke"]),
    ],
)
def test_filters(admin_client, directory, filter_by, expected):
    assert names(admin_client.get(URL, {"filter": filter_by})) == expected


def test_filter_lists_each_subscribed_product(admin_client, directory):
    page = parse(admin_client.get(URL).content)
    options = [o.text for o in page.by_id("users-filter-select").find_all("option")]
    assert options == [
        "All users",
        "Licensed users",
        "Unlicensed users",
        "Admins",
        "Sign-in blocked",
        "Licensed: Audio Conferencing",
        "Licensed: Communications Credits",
    ]


def test_sorting_by_each_column(admin_client, directory):
    assert names(admin_client.get(URL))[0] == "Adele Vance"
    assert names(admin_client.get(URL, {"sort": "-display_name"}))[0] == "Zoe Zhang"
    assert names(admin_client.get(URL, {"sort": "username"}))[:2] == [
        "Adele Vance",  # adele@ sorts before admin@
        "Megan Bowen",
    ]
    assert names(admin_client.get(URL, {"sort": "-username"}))[0] == "Zoe Zhang"
    assert names(admin_client.get(URL, {"sort": "usage_location"}))[0] == "Zoe Zhang"  # empty
    assert names(admin_client.get(URL, {"sort": "-usage_location"}))[0] == "Megan Bowen"  # US


def test_sort_headers_toggle_and_announce_the_order(admin_client, directory):
    page = parse(admin_client.get(URL, {"sort": "username"}).content)
    headers = {th.text: th for th in page.by_id("users-table").find_all("th") if th.text}
    assert headers["Username"].attrs["aria-sort"] == "ascending"
    assert headers["Display name"].attrs["aria-sort"] == "none"
    link = headers["Username"].find_all("a")[0]
    assert "sort=-username" in link.attrs["href"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 101}, "Search active users"),
        ({"filter": "product:NOPE"}, "Filter"),
        ({"filter": "'; drop table"}, "Filter"),
        ({"sort": "password"}, "Sort"),
    ],
)
def test_bad_search_values_are_explained_and_everyone_is_shown(
    admin_client, directory, params, field
):
    response = admin_client.get(URL, params)

    assert response.status_code == 200
    errors = parse(response.content).by_id("users-filter-errors").text
    assert errors.startswith(f"{field}:")
    assert "Showing every user instead." in errors
    assert len(names(response)) == 4


def test_pagination_keeps_the_search_and_filter(admin_client, tenant, directory):
    bulk_users(tenant, 120, prefix="page")
    response = admin_client.get(URL, {"q": "page", "sort": "username"})
    page = parse(response.content)

    assert len(page.by_id("users-table").table_rows()) == 50
    assert "?q=page&sort=username&page=2" in page.hrefs()
    second = admin_client.get(URL, {"q": "page", "sort": "username", "page": 3})
    assert len(parse(second.content).by_id("users-table").table_rows()) == 20
    # A page number that is not one is answered with a page, not an error.
    assert admin_client.get(URL, {"page": "abc"}).status_code == 200
    assert admin_client.get(URL, {"page": "99999"}).status_code == 200


def test_htmx_request_gets_only_the_table(admin_client, directory):
    response = admin_client.get(URL, {"q": "nestor"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" not in response.content
    page = parse(response.content)
    assert page.by_id("users-table").attrs["hx-get"] == "/users/active/?q=nestor"
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(admin_client, directory):
    response = admin_client.get(
        URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in response.content


def test_license_managers_get_the_command_bar_and_checkboxes(client, directory, license_admin):
    client.force_login(license_admin)
    page = parse(client.get(URL).content)

    for element_id in ("add-user", "import-users", "manage-licenses", "select-all"):
        assert page.has_id(element_id), element_id
    box = page.by_id(f"select-{directory['nestor'].pk}")
    assert box.attrs["aria-label"] == "Select Nestor Wilke"
    assert box.attrs["form"] == "users-selection"
    assert page.by_id("manage-licenses").attrs["hx-get"] == "/users/active/licenses/"


@pytest.mark.parametrize("role", [AdminRole.REPORTS_READER, AdminRole.GLOBAL_READER])
def test_other_admin_roles_see_the_list_without_actions(client, tenant, directory, role):
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    response = client.get(URL)

    assert response.status_code == 200
    page = parse(response.content)
    for element_id in ("add-user", "import-users", "manage-licenses", "select-all"):
        assert not page.has_id(element_id), element_id
    assert not page.find_all("input", name="user")


def test_other_tenants_admin_sees_only_their_own_directory(client, directory, other_tenant_admin):
    client.force_login(other_tenant_admin)
    rows = parse(client.get(URL).content).by_id("users-table").table_rows()
    assert sorted(row[2] for row in rows) == ["admin@fabrikam.example", "f@fabrikam.example"]


def test_e5_not_subscribed_is_not_offered_as_a_filter(admin_client, directory):
    options = [o.attrs["value"] for o in parse(admin_client.get(URL).content).find_all("option")]
    assert f"product:{E5}" not in options
