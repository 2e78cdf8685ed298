"""In Chromium, as license@contoso.example: Active users, the user panel, bulk licenses.

The screenshots land in docs/screenshots/ (active-users.png, user-panel-licenses.png,
bulk-licenses.png).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import LicenseAssignment, Product
from tests.accounts.factories import UserFactory
from tests.accounts.licensing import CONFERENCING, CREDITS, E5, PHONE, give, subscribe
from tests.browser.signing_in import sign_in_with_second_factor

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized rollback keeps the product catalog.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

PEOPLE = [
    ("Adele Vance", "adele.vance", "US", "Retail", "Retail Manager"),
    ("Alex Wilber", "alex.wilber", "US", "Marketing", "Marketing Assistant"),
    ("Diego Siciliani", "diego.siciliani", "US", "HR", "HR Manager"),
    ("Grady Archie", "grady.archie", "US", "R&D", "Designer"),
    ("Henrietta Mueller", "henrietta.mueller", "DE", "R&D", "Developer"),
    ("Johanna Lorenz", "johanna.lorenz", "DE", "Engineering", "Senior Engineer"),
    ("Joni Sherman", "joni.sherman", "US", "Legal", "Paralegal"),
    ("Lee Gu", "lee.gu", "CA", "Manufacturing", "Director"),
    ("Lidia Holloway", "lidia.holloway", "US", "Engineering", "Product Manager"),
    ("Lynne Robbins", "lynne.robbins", "GB", "Retail", "Planner"),
    ("Miriam Graham", "miriam.graham", "US", "Sales", "Director"),
    ("Nestor Wilke", "nestor.wilke", "", "Operations", "Director"),
    ("Patti Fernandez", "patti.fernandez", "US", "Executive", "President"),
    ("Pradeep Gupta", "pradeep.gupta", "IN", "Finance", "Accountant"),
]


@pytest.fixture
def contoso(tenant, license_admin, global_admin):
    subscribe(tenant, E5, seats=25)
    subscribe(tenant, PHONE, seats=10)
    subscribe(tenant, CONFERENCING, seats=12)
    subscribe(tenant, CREDITS, seats=0)
    people = {
        name: UserFactory(
            tenant=tenant,
            display_name=name,
            username=f"{local}@contoso.example",
            usage_location=location,
            department=department,
            job_title=title,
        )
        for name, local, location, department, title in PEOPLE
    }
    licensed = [p for p in people.values() if p.usage_location]
    give([license_admin, global_admin, *licensed], E5)
    give(licensed[:4], PHONE)
    give(licensed[5:9], CREDITS)
    return people


def flyout_screenshot(page, name: str) -> None:
    """The flyout is fixed to the viewport: a full-page screenshot would cut it off."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let the slide-in animation finish
    page.screenshot(path=str(SCREENSHOTS / name))


def sign_in(page, username: str = "license@contoso.example") -> None:
    page.goto("/accounts/login/")
    sign_in_with_second_factor(page, username)
    expect(page.locator("#console-nav")).to_be_visible()


def row(page, user):
    return page.locator(f"#user-row-{user.pk}")


def licenses_of(user) -> set[str]:
    return set(LicenseAssignment.objects.filter(user=user).values_list("product__code", flat=True))


def test_license_admin_assigns_credits_in_the_panel_then_conferencing_in_bulk(
    page, live_server, contoso, screenshot
):
    adele = contoso["Adele Vance"]
    adele_before = licenses_of(adele)
    sign_in(page)

    # Users > Active users, from the left navigation.
    nav = page.locator("#console-nav")
    nav.get_by_role("button", name="Users").click()
    nav.get_by_role("link", name="Active users").click()
    expect(page).to_have_url(f"{live_server.url}/users/active/")
    expect(page.get_by_role("heading", name="Active users", level=1)).to_be_visible()
    expect(page.locator("#users-count")).to_have_text("16 users")
    expect(page.locator("#manage-licenses")).to_be_disabled()
    screenshot(page, "active-users.png")

    # Search a user: the table narrows as the admin types.
    page.get_by_label("Search active users").fill("adele")
    expect(page.locator("#users-table tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/users/active/\?.*q=adele"))

    # Open the panel, go to Licenses and apps, switch Communications Credits on, Save.
    page.get_by_role("link", name="Adele Vance").click()
    flyout = page.locator("#flyout")
    expect(flyout).to_be_visible()
    expect(page.locator("#flyout-title")).to_have_text("Adele Vance")
    flyout.get_by_role("link", name="Licenses and apps").click()
    credits = flyout.get_by_role("switch", name="Communications Credits")
    expect(credits).not_to_be_checked()
    expect(flyout.locator(f"[data-seats={CREDITS}]")).to_have_text("Unlimited")
    expect(flyout.locator(f"[data-seats={CONFERENCING}]")).to_have_text("12 of 12 available")
    credits.check()
    flyout.get_by_role("button", name="Save").click()
    expect(flyout.locator("#panel-notice")).to_have_text("Licenses updated for Adele Vance.")
    expect(credits).to_be_checked()
    expect(flyout.locator("#panel-notice")).to_be_focused()
    flyout_screenshot(page, "user-panel-licenses.png")

    # The user's row shows the new license (the list refreshed behind the panel).
    expect(row(page, adele)).to_contain_text("Communications Credits")
    assert licenses_of(adele) == adele_before | {CREDITS}
    page.keyboard.press("Escape")
    expect(flyout).to_be_hidden()

    # Select three users and assign Audio Conferencing in bulk.
    page.get_by_label("Search active users").fill("")
    expect(page.locator("#users-table tbody tr")).to_have_count(16)
    chosen = [contoso[name] for name in ("Alex Wilber", "Diego Siciliani", "Lee Gu")]
    for user in chosen:
        page.get_by_label(f"Select {user.display_name}").check()
    expect(page.locator("#selection-count")).to_have_text("3 selected")
    page.get_by_role("button", name="Manage product licenses").click()
    expect(page.locator("#flyout-title")).to_have_text("Manage product licenses")
    expect(flyout.locator("#bulk-selected")).to_have_text("3 users selected:")
    expect(flyout.get_by_label(re.compile("^Assign more"))).to_be_checked()
    flyout.get_by_role("switch", name="Audio Conferencing").check()
    flyout_screenshot(page, "bulk-licenses.png")
    flyout.get_by_role("button", name="Save changes").click()

    expect(flyout.locator("#bulk-done")).to_have_text(
        "Audio Conferencing assigned to 3 users (3 new licenses)."
    )
    for user in chosen:
        expect(row(page, user)).to_contain_text("Audio Conferencing")
        assert CONFERENCING in licenses_of(user)
    assert LicenseAssignment.objects.filter(product__code=CONFERENCING).count() == 3


def test_bulk_refusal_names_who_and_why(page, contoso):
    nestor = contoso["Nestor Wilke"]  # no usage location
    sign_in(page)
    page.goto("/users/active/")
    page.get_by_label("Select Nestor Wilke").check()
    page.get_by_label("Select Adele Vance").check()
    page.get_by_role("button", name="Manage product licenses").click()
    flyout = page.locator("#flyout")
    flyout.get_by_role("switch", name="Communications Credits").check()
    flyout.get_by_role("button", name="Save changes").click()

    error = flyout.locator("#license-error")
    expect(error).to_contain_text("No licenses were changed")
    expect(error).to_contain_text(
        "Nestor Wilke (nestor.wilke@contoso.example) has no usage location"
    )
    assert licenses_of(nestor) == set()
    assert CREDITS not in licenses_of(contoso["Adele Vance"])


def test_the_panel_works_with_the_keyboard_alone(page, contoso):
    lynne = contoso["Lynne Robbins"]
    sign_in(page)
    page.goto("/users/active/")

    link = page.get_by_role("link", name="Lynne Robbins")
    link.focus()
    page.wait_for_function("() => !!document.activeElement['htmx-internal-data']")
    page.keyboard.press("Enter")
    flyout = page.locator("#flyout")
    expect(flyout.locator("#user-panel")).to_be_visible()
    # Bootstrap focuses the flyout itself when its opening transition ends: wait for it,
    # as a person does, before moving through the panel.
    page.wait_for_function(
        "() => { const f = document.getElementById('flyout');"
        " return f.classList.contains('show') && !f.classList.contains('showing'); }"
    )

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                # htmx wires swapped-in content when it settles (20 ms later): a key
                # pressed before that would go to the browser, not to htmx. People are
                # never that fast; a test is.
                page.wait_for_function(
                    "() => !!document.activeElement.closest('[hx-get], [hx-post], form')"
                    "['htmx-internal-data']"
                )
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    tab_to("#tab-licenses")
    page.keyboard.press("Enter")
    expect(flyout.locator("#panel-licenses")).to_be_visible()
    # htmx gives the focus back to the tab it replaced.
    expect(flyout.locator("#tab-licenses")).to_be_focused()
    tab_to(f"#license-{CREDITS}")
    page.keyboard.press("Space")
    expect(flyout.get_by_role("switch", name="Communications Credits")).to_be_checked()
    tab_to("#licenses-save")
    page.keyboard.press("Enter")
    expect(flyout.locator("#panel-notice")).to_be_visible()
    assert CREDITS in licenses_of(lynne)
    # The keyboard focus stays in the flyout, on the confirmation.
    expect(flyout.locator("#panel-notice")).to_be_focused()

    page.keyboard.press("Escape")
    expect(flyout).to_be_hidden()
    # Focus goes back to the row the panel was opened from.
    expect(page.locator(f"#open-user-{lynne.pk}")).to_be_focused()


def test_without_javascript_the_panel_is_a_page_and_save_still_works(browser, live_server, contoso):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/users/active/")
        page.get_by_role("link", name="Pradeep Gupta").click()
        expect(page).to_have_url(re.compile(r"/users/active/\d+/$"))
        expect(page.get_by_role("heading", name="Pradeep Gupta")).to_be_visible()
        page.get_by_role("link", name="Licenses and apps").click()
        page.get_by_role("switch", name="Communications Credits").check()
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(re.compile(r"/users/active/\d+/\?tab=licenses$"))
        expect(page.locator("#messages")).to_contain_text("Licenses updated for Pradeep Gupta.")
        assert CREDITS in licenses_of(contoso["Pradeep Gupta"])
    finally:
        context.close()


def test_a_reader_sees_switches_disabled_and_no_commands(page, tenant, contoso):
    from accounts.models import AdminRole
    from tests.accounts.factories import AdminFactory

    AdminFactory(tenant=tenant, username="reader@contoso.example", roles=[AdminRole.GLOBAL_READER])
    sign_in(page, "reader@contoso.example")
    page.goto("/users/active/")
    expect(page.get_by_role("button", name="Manage product licenses")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a user")).to_have_count(0)
    page.get_by_role("link", name="Adele Vance").click()
    flyout = page.locator("#flyout")
    flyout.get_by_role("link", name="Licenses and apps").click()
    expect(flyout.get_by_role("switch", name="Microsoft 365 E5")).to_be_disabled()
    expect(flyout.get_by_role("switch", name="Microsoft 365 E5")).to_be_checked()
    expect(flyout.get_by_role("button", name="Save")).to_have_count(0)
    assert Product.objects.filter(code=CREDITS).exists()
