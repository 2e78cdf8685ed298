"""Purchase services and the Communications Credits set-up through the client: the
catalog, Add funds / Auto-recharge / Recharge with / When the balance falls below, Next,
the payment step, Place order and the confirmation; every refusal explained with nothing
charged or written; a double-submitted Place order charges once; roles and isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AdminRole, ServiceRequestTopic
from credits.models import CreditAccount, Order, OrderStatus, PaymentMethod, SandboxCharge
from tests.accounts.factories import AdminFactory, TenantFactory
from tests.credits.payments import (
    DECLINED,
    INSUFFICIENT,
    SETUP_URL,
    SUBSCRIPTION_URL,
    VISA,
    agreement,
    counts,
    future_year,
    invoicing_approved,
    payment_post,
    saved_card,
    setup_post,
    token,
)
from tests.html_text import parse

pytestmark = pytest.mark.django_db

CATALOG_URL = "/billing/purchase-services/"
PURCHASE_MAX_QUERIES = 9
SETUP_MAX_QUERIES = 8
CONFIRMATION_MAX_QUERIES = 7


@pytest.fixture
def reader(tenant):
    return AdminFactory(tenant=tenant, username="reader@contoso.example",
                        roles=[AdminRole.GLOBAL_READER])


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def place(client, **kwargs):
    return client.post(SETUP_URL, payment_post(**kwargs))


# --- the catalog ----------------------------------------------------------------------


def test_catalog_lists_products_by_category_with_add_ons_holding_credits(billing_client):
    page = parse(billing_client.get(CATALOG_URL).content)
    headings = [h.text for h in page.by_id("catalog").find_all("h2")]
    assert headings == ["Microsoft 365", "Teams Phone", "Calling Plans", "Audio Conferencing",
                        "Add-ons"]
    add_ons = page.by_id("section-add_ons")
    assert "Communications Credits" in add_ons.text
    assert add_ons.by_id("open-communications-credits").attrs["href"] == SETUP_URL
    assert page.by_id("credits-set-up").text == "Set up"


def test_catalog_filters_by_category_and_answers_htmx_with_the_catalog_only(billing_client):
    response = billing_client.get(f"{CATALOG_URL}?category=add_ons", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    page = parse(response.content)
    assert [h.text for h in page.find_all("h2")] == ["Add-ons"]
    assert page.has_id("open-communications-credits")


def test_catalog_says_when_credits_are_set_up(billing_client, account):
    page = parse(billing_client.get(CATALOG_URL).content)
    assert page.by_id("credits-view-subscription").attrs["href"] == SUBSCRIPTION_URL


def test_catalog_says_credits_are_unavailable_in_ru(client):
    tenant = TenantFactory(slug="moscow", country="RU", currency="RUB")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN]))
    page = parse(client.get(CATALOG_URL).content)
    assert page.by_id("credits-unavailable").text == "Not available in your country"
    assert not page.has_id("credits-set-up")


def test_catalog_query_count_is_bounded(billing_client, django_assert_max_num_queries):
    billing_client.get(CATALOG_URL)
    with django_assert_max_num_queries(PURCHASE_MAX_QUERIES):
        assert billing_client.get(CATALOG_URL).status_code == 200


# --- the set-up, step by step ----------------------------------------------------------


def test_set_up_page_offers_the_documented_fields_and_next(billing_client):
    page = parse(billing_client.get(SETUP_URL).content)
    form = page.by_id("setup-form")
    labels = [label.text for label in form.find_all("label")]
    for wanted in ("Add funds", "Auto-recharge", "Recharge with", "When the balance falls below"):
        assert any(text.startswith(wanted) for text in labels), wanted
    assert form.find_all("input", name="auto_recharge")[0].attrs.get("checked") is not None
    assert page.by_id("setup-next").text == "Next"


def test_next_shows_the_payment_step_with_the_summary_and_a_token(billing_client, tenant):
    saved_card(tenant)
    response = billing_client.post(SETUP_URL, setup_post("100", recharge="50", below="20"))
    page = parse(response.content)
    assert page.by_id("summary-amount").text == "$100.00"
    assert page.by_id("summary-recharge").text == (
        "On: recharge with $50.00 when the balance falls below $20.00"
    )
    form = page.by_id("payment-form")
    choices = [i.attrs["value"] for i in form.find_all("input", name="payment")]
    # saved card first; no invoice without an invoicing approval, no EA without VL
    assert choices[1:] == ["new_card"]
    assert choices[0].startswith("card:")
    token_input = form.find_all("input", name="token")[0]
    assert len(token_input.attrs["value"]) == 36
    hidden = {i.attrs["name"]: i.attrs.get("value") for i in form.find_all("input", type="hidden")}
    assert hidden["add_funds"] == "100" and hidden["auto_recharge"] == "True"
    assert page.by_id("place-order").text == "Place order"
    assert not CreditAccount.objects.exists() and not Order.objects.exists()


def test_next_with_htmx_swaps_only_the_checkout(billing_client):
    response = billing_client.post(SETUP_URL, setup_post(), HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    assert parse(response.content).has_id("payment-form")


def test_back_returns_to_step_one_with_the_values(billing_client):
    data = payment_post(setup=setup_post("250", recharge="60", below="15"))
    data["back"] = "1"
    page = parse(billing_client.post(SETUP_URL, data).content)
    form = page.by_id("setup-form")
    assert form.find_all("input", name="add_funds")[0].attrs["value"] == "250"
    assert form.find_all("input", name="recharge_with")[0].attrs["value"] == "60"


def test_place_order_sets_up_credits_and_shows_the_confirmation(billing_client, tenant):
    response = place(billing_client)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == f"/billing/orders/{order.pk}/"
    assert order.status == OrderStatus.SUCCEEDED
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.balance == Decimal("100")
    assert (account.recharge_amount, account.recharge_trigger) == (Decimal("50"), Decimal("20"))

    page = parse(billing_client.get(response.url).content)
    assert page.by_id("order-heading").text == "Thanks for your order"
    assert page.by_id("order-amount").text == "$100.00"
    assert page.by_id("order-payment").text == "Visa •••• 4242"
    assert page.by_id("order-recharge").text == (
        "On: recharge with $50.00 when the balance falls below $20.00"
    )
    assert page.by_id("go-to-subscription").attrs["href"] == SUBSCRIPTION_URL


def test_place_order_with_htmx_redirects_the_whole_page(billing_client):
    response = billing_client.post(SETUP_URL, payment_post(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/billing/orders/{Order.objects.get().pk}/"


def test_a_double_submitted_place_order_charges_once(billing_client, tenant):
    data = payment_post()
    first = billing_client.post(SETUP_URL, data)
    second = billing_client.post(SETUP_URL, data)

    order = Order.objects.get()
    assert first.url == second.url == f"/billing/orders/{order.pk}/"
    assert SandboxCharge.objects.count() == 1
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")
    assert PaymentMethod.objects.count() == 1


def test_set_up_page_leads_to_the_subscription_once_credits_exist(billing_client, account):
    response = billing_client.get(SETUP_URL)
    assert response.status_code == 302 and response.url == SUBSCRIPTION_URL
    before = counts()
    response = place(billing_client)
    assert response.url == SUBSCRIPTION_URL
    assert counts() == before


def test_pay_with_a_saved_card(billing_client, tenant):
    card = saved_card(tenant, holder="Alex Wilber")
    place(billing_client, payment=f"card:{card.pk}", number="", cvc="", expiry="")
    order = Order.objects.get()
    assert order.payment_method == card and order.status == OrderStatus.SUCCEEDED
    assert PaymentMethod.objects.count() == 1


def test_pay_by_invoice_with_an_optional_po_number(billing_client, tenant):
    invoicing_approved(tenant)
    place(billing_client, payment="invoice", po_number="PO 7781")
    order = Order.objects.get()
    assert (order.payment_type, order.po_number) == ("invoice", "PO 7781")
    assert not SandboxCharge.objects.exists()


def test_pay_with_an_agreement_of_the_same_region(billing_client, tenant):
    ea = agreement(tenant, "61234567", "MX")
    response = place(billing_client, payment="ea", enterprise_agreement=str(ea.pk),
                     po_number="4500012345")
    assert response.status_code == 302
    assert Order.objects.get().enterprise_agreement == ea


# --- refusals, each with nothing charged or written ------------------------------------


@pytest.mark.parametrize(
    ("add_funds", "message"),
    [
        ("", "Enter an amount."),
        ("abc", "Enter the amount as a number, for example 1,000.50."),
        ("-50", "The amount can't be negative. Enter at least $50.00."),
        ("49.99", "The minimum is $50.00."),
        ("10000.50", "The maximum for one order is $10,000.00."),
        ("75.125", "Use at most 2 decimal places for USD."),
        ("Infinity", "Enter the amount as a number, for example 1,000.50."),
    ],
)
def test_bad_amounts_are_explained_at_the_field_with_nothing_written(
    billing_client, add_funds, message
):
    before = counts()
    for data in (setup_post(add_funds), payment_post(setup=setup_post(add_funds))):
        page = parse(billing_client.post(SETUP_URL, data).content)
        assert page.has_id("setup-form")
        assert message in page.by_id("setup-form").text
    assert counts() == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recharge": "20"}, "The minimum is $50.00."),
        ({"recharge": ""}, "Enter how much each recharge adds (at least $50.00)."),
        ({"below": ""}, "Enter the balance below which auto-recharge buys more funds."),
        ({"below": "-5"}, "The amount can't be negative; enter 0 or more."),
        ({"below": "ten"}, "Enter the amount as a number, for example 1,000.50."),
        ({"recharge": "100", "limit": "60"},
         "The monthly limit must be at least the recharge amount ($100.00)"),
        ({"recharge": "20000"}, "A recharge can add at most $10,000.00."),
        ({"recharge": "50", "below": "10000"},
         "“When the balance falls below” must be less than “Recharge with” ($50.00)"),
    ],
)
def test_bad_recharge_settings_are_explained_with_nothing_written(billing_client, fields, message):
    before = counts()
    page = parse(billing_client.post(SETUP_URL, setup_post("100", **fields)).content)
    assert message in page.by_id("setup-form").text
    assert counts() == before


def test_with_auto_recharge_off_the_recharge_fields_may_stay_empty(billing_client, tenant):
    response = place(billing_client, setup=setup_post("100", auto=False, recharge="", below=""))
    assert response.status_code == 302
    assert not CreditAccount.objects.get(tenant=tenant).auto_recharge_enabled


@pytest.mark.parametrize("country", ["RU", "KR", "TW"])
def test_tenants_in_ru_kr_tw_are_told_why_and_nothing_is_written(client, country):
    tenant = TenantFactory(slug=f"tenant-{country.lower()}", country=country, currency="USD")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_ADMIN]))
    page = parse(client.get(SETUP_URL).content)
    assert "aren't available for organizations located in" in page.by_id("setup-refused").text
    assert not page.has_id("setup-form")
    before = counts()
    page = parse(client.post(SETUP_URL, payment_post()).content)
    assert page.has_id("setup-refused")
    assert counts() == before


def test_an_agreement_in_another_region_is_refused_with_a_service_request_link(
    billing_client, tenant
):
    ea = agreement(tenant, "71234567", "DE")
    data = payment_post(payment="ea", enterprise_agreement=str(ea.pk), po_number="4500012345")
    before = counts()

    page = parse(billing_client.post(SETUP_URL, data).content)

    error = page.by_id("payment-error")
    assert "Enterprise Agreement 71234567 can't pay for this purchase" in error.text
    assert "Germany (Europe, Middle East and Africa)" in error.text
    assert "United States (Americas)" in error.text
    link = page.by_id("open-service-request").attrs["href"]
    assert link.startswith("/support/requests/?")
    assert f"topic={ServiceRequestTopic.ENTERPRISE_AGREEMENT}" in link
    # What was typed stays.
    form = page.by_id("payment-form")
    assert form.find_all("input", name="po_number")[0].attrs["value"] == "4500012345"
    assert counts() == before

    form_page = parse(billing_client.get(link).content)
    title = form_page.by_id("service-request-form").find_all("input", name="title")[0]
    assert title.attrs["value"] == "Review the billing address of Enterprise Agreement 71234567"


def test_the_po_number_is_optional_with_an_agreement(billing_client, tenant):
    """"PO number (if applicable)": an Enterprise Agreement order without one is placed."""
    ea = agreement(tenant, "61234567", "MX")
    response = place(billing_client, payment="ea", enterprise_agreement=str(ea.pk),
                     po_number="   ")
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.enterprise_agreement, order.po_number) == (ea, "")


def test_the_checkout_labels_the_po_number_if_applicable(billing_client, tenant):
    agreement(tenant, "61234567", "MX")
    page = parse(billing_client.post(SETUP_URL, setup_post()).content)
    form = page.by_id("payment-form")
    assert "PO number (if applicable)" in form.text
    assert "PO number if applicable" in form.text  # the Enterprise Agreement choice


@pytest.mark.parametrize(
    "po_number",
    ["x" * 51, "PO<script>", "45000;12345", "PO\t1", "１２３"],
)
def test_a_po_number_given_is_still_checked(billing_client, tenant, po_number):
    ea = agreement(tenant, "61234567", "MX")
    before = counts()
    page = parse(billing_client.post(
        SETUP_URL,
        payment_post(payment="ea", enterprise_agreement=str(ea.pk), po_number=po_number),
    ).content)
    assert "at most 50 characters" in page.by_id("payment-form").text
    assert counts() == before


def test_the_confirmation_offers_assigning_licenses_only_to_who_can(client, tenant):
    """A Billing admin can't assign licenses: the confirmation doesn't offer it to them;
    a Global admin (who can) gets the link."""
    billing = AdminFactory(tenant=tenant, roles=[AdminRole.BILLING_ADMIN])
    client.force_login(billing)
    response = place(client)
    page = parse(client.get(response.url).content)
    assert page.has_id("go-to-subscription") and not page.has_id("assign-licenses")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_ADMIN]))
    page = parse(client.get(response.url).content)
    assert page.by_id("assign-licenses").attrs["href"] == "/users/active/"


def test_tenants_without_volume_licensing_are_not_offered_agreements(billing_client, tenant):
    ea = agreement(tenant, "61234567", "US")
    tenant.volume_licensing = False
    tenant.save()
    before = counts()
    page = parse(billing_client.post(
        SETUP_URL, payment_post(payment="ea", enterprise_agreement=str(ea.pk), po_number="1")
    ).content)
    assert "Select a valid choice" in page.by_id("payment-form").text
    assert counts() == before


@pytest.mark.parametrize(("number", "reason"), [
    (DECLINED, "The card was declined."),
    (INSUFFICIENT, "The card has insufficient funds."),
])
def test_a_declined_card_keeps_what_was_typed_except_number_and_code(
    billing_client, number, reason
):
    data = payment_post(number=number, holder="Alex Wilber", expiry="11/31", cvc="321")
    before = counts()

    page = parse(billing_client.post(SETUP_URL, data).content)

    assert reason in page.by_id("payment-error").text
    assert "Nothing was charged" in page.by_id("payment-error").text
    form = page.by_id("payment-form")

    def value(name):
        return form.find_all("input", name=name)[0].attrs.get("value")

    assert value("holder") == "Alex Wilber"
    assert value("expiry") == "11/31"
    assert value("card_number") is None and value("cvc") is None
    assert number not in page.text and "321" not in str(page.by_id("payment-form").attrs)
    # The card was verified before any order: nothing recorded, charged or saved.
    assert counts() == before
    assert not Order.objects.exists()
    assert not PaymentMethod.objects.exists()


def test_after_a_decline_another_card_goes_through(billing_client, tenant):
    page = parse(billing_client.post(SETUP_URL, payment_post(number=DECLINED)).content)
    retry_token = page.by_id("payment-form").find_all("input", name="token")[0].attrs["value"]
    response = billing_client.post(SETUP_URL, payment_post(number=VISA, key=retry_token))
    assert response.status_code == 302
    assert CreditAccount.objects.get(tenant=tenant).balance == Decimal("100")


def test_an_expired_card_is_refused_at_the_expiry_field_with_nothing_written(billing_client):
    before = counts()
    page = parse(billing_client.post(
        SETUP_URL, payment_post(expiry=f"01/{(future_year(-4)) % 100:02d}")
    ).content)
    assert "The card has expired." in page.by_id("payment-form").text
    assert counts() == before


@pytest.mark.parametrize(("fields", "message"), [
    ({"number": "4242424242424241"}, "The card number is not valid."),
    ({"number": "12"}, "Enter the card number: 12 to 19 digits."),
    ({"expiry": "13/30"}, "Enter the expiry date as MM/YY, for example 08/29."),
    ({"cvc": "1"}, "Enter the 3 or 4 digits of the security code."),
])
def test_bad_card_details_are_explained_with_nothing_written(billing_client, fields, message):
    before = counts()
    page = parse(billing_client.post(SETUP_URL, payment_post(**fields)).content)
    assert message in page.by_id("payment-form").text
    assert counts() == before


def test_a_tampered_token_is_refused(billing_client):
    before = counts()
    page = parse(billing_client.post(SETUP_URL, payment_post(key="not-a-uuid")).content)
    assert "This form has expired" in page.by_id("payment-form").text
    assert counts() == before


def test_reusing_a_token_for_a_different_order_is_a_conflict(billing_client, tenant):
    invoicing_approved(tenant)
    key = token()
    place(billing_client, key=key, payment="invoice")
    before = counts()
    page = parse(billing_client.post(
        SETUP_URL, payment_post(key=key, payment="invoice", setup=setup_post("300"))
    ).content)
    assert "already used for order" in page.by_id("payment-error").text
    assert counts() == before


# --- roles and isolation --------------------------------------------------------------


def test_global_reader_sees_the_pages_without_buying(client, reader):
    client.force_login(reader)
    assert client.get(CATALOG_URL).status_code == 200
    page = parse(client.get(SETUP_URL).content)
    assert page.has_id("setup-read-only") and not page.has_id("setup-form")
    before = counts()
    assert client.post(SETUP_URL, payment_post()).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("persona", ["reports_reader", "license_admin"])
def test_roles_without_billing_get_403(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(CATALOG_URL).status_code == 403
    assert client.get(SETUP_URL).status_code == 403
    assert client.post(SETUP_URL, payment_post()).status_code == 403
    assert not Order.objects.exists()


def test_another_tenants_order_is_404(client, billing_client, other_tenant_admin):
    place(billing_client)
    order = Order.objects.get()
    client.force_login(other_tenant_admin)
    assert client.get(f"/billing/orders/{order.pk}/").status_code == 404
    assert client.get("/billing/orders/999999/").status_code == 404


def test_orders_of_the_reader_tenant_are_visible_to_the_reader(client, billing_client, reader):
    place(billing_client)
    client.force_login(reader)
    assert client.get(f"/billing/orders/{Order.objects.get().pk}/").status_code == 200


# --- query counts --------------------------------------------------------------------


def test_set_up_page_query_count_is_bounded(billing_client, tenant, django_assert_max_num_queries):
    for _ in range(3):
        saved_card(tenant)
    billing_client.get(SETUP_URL)
    with django_assert_max_num_queries(SETUP_MAX_QUERIES):
        billing_client.get(SETUP_URL)
    with django_assert_max_num_queries(SETUP_MAX_QUERIES):
        billing_client.post(SETUP_URL, setup_post())


def test_payment_step_query_count_does_not_grow_with_saved_cards(billing_client, tenant):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            billing_client.post(SETUP_URL, setup_post())
        return len(queries)

    saved_card(tenant)
    few = measure()
    for _ in range(6):
        saved_card(tenant)
    assert measure() == few <= SETUP_MAX_QUERIES


def test_confirmation_query_count_is_bounded(billing_client, django_assert_max_num_queries):
    url = place(billing_client).url
    with django_assert_max_num_queries(CONFIRMATION_MAX_QUERIES):
        assert billing_client.get(url).status_code == 200
