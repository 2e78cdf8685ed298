"""Funding advice: "When the balance falls below" about 7 days of spend and "Recharge
with" about 30, from the higher of the 28-day and 90-day daily averages, rounded up to
10 and never under the minimum order; shown on the subscription page, and "Use these
amounts" pre-fills Modify recharge settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AdminRole
from accounts.permissions import Action
from credits.billing.rules import (
    MAX_ORDER_AMOUNT,
    MIN_ORDER_AMOUNT,
    RechargeSettings,
    recharge_settings_check,
)
from credits.billing.selectors.funding_advice import (
    funding_advice,
    funding_advice_context,
    recharge_prefill,
)
from credits.billing.services.checks import Payment
from credits.billing.services.orders import order_place
from credits.ledger import services as ledger
from credits.models import CreditAccount, OrderKind, PaymentType
from tests.accounts.factories import AdminFactory
from tests.credits.factories import CreditAccountFactory, charge, charges, fund, next_key
from tests.credits.payments import RECHARGE_URL, SUBSCRIPTION_URL, saved_card, token
from tests.html_text import parse

AT = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


def spend(account, per_day, *, days: int, at: datetime = AT, start_day: int | None = None):
    """Charge ``per_day(day)`` (or a fixed amount) once a day on each of the ``days``
    whole days up to ``at``'s (day 1 is ``at``'s own day, an hour before it), oldest first
    (the ledger is kept in time order): the windows are whole UTC days, like the PSTN
    usage report's."""
    first = start_day or days
    daily = []
    for day in range(first, first - days, -1):
        amount = per_day(day) if callable(per_day) else per_day
        if Decimal(amount):
            daily.append((amount, at - timedelta(days=day - 1) - timedelta(hours=1)))
    charges(account, daily)


@pytest.fixture
def funded(account):
    """Contoso's account, funded 100 days before AT (so both windows are full)."""
    fund(account, "10000", at=AT - timedelta(days=100))
    return account


# --- the numbers -----------------------------------------------------------------------


def test_no_credit_account_means_no_advice(tenant):
    assert funding_advice(tenant=tenant, at=AT) is None


def test_no_spend_is_insufficient_data(tenant, funded):
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice is not None and not advice.enough_data
    assert advice.trigger is None and advice.amount is None and advice.query == ""
    assert advice.spend_28 == advice.spend_90 == Decimal("0")


def test_steady_spend_gives_a_week_and_a_month_of_calls(tenant, funded):
    spend(funded, "10", days=90)
    advice = funding_advice(tenant=tenant, at=AT)
    assert (advice.spend_28, advice.spend_90) == (Decimal("280.00"), Decimal("900.00"))
    assert (advice.daily_28, advice.daily_90, advice.daily_rate) == (
        Decimal("10.00"), Decimal("10.00"), Decimal("10.00"),
    )
    assert (advice.trigger, advice.amount) == (Decimal("70"), Decimal("300"))
    assert advice.days_covered == 30 and (advice.days_28, advice.days_90) == (28, 90)
    assert not advice.uses_recent_rate


def test_a_recent_surge_uses_the_28_day_rate(tenant, funded):
    spend(funded, lambda day: "20" if day <= 28 else "2", days=90)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.spend_28 == Decimal("560.00")
    assert advice.spend_90 == Decimal("684.00")  # 560 + 62 x 2
    assert advice.daily_90 == Decimal("7.60") and advice.daily_rate == Decimal("20.00")
    assert advice.uses_recent_rate
    assert (advice.trigger, advice.amount) == (Decimal("140"), Decimal("600"))


def test_a_quiet_month_does_not_hide_a_busy_quarter(tenant, funded):
    spend(funded, lambda day: "0" if day <= 28 else "15", days=90)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.spend_28 == Decimal("0.00") and advice.daily_90 == Decimal("10.33")
    assert advice.daily_rate == advice.daily_90 and not advice.uses_recent_rate
    # 930 / 90 = 10.333.. a day: 72.33 -> 80, 310 -> 310
    assert (advice.trigger, advice.amount) == (Decimal("80"), Decimal("310"))


def test_amounts_are_rounded_up_to_the_next_ten(tenant, funded):
    spend(funded, "11.30", days=90)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.daily_rate == Decimal("11.30")
    assert (advice.trigger, advice.amount) == (Decimal("80"), Decimal("340"))  # 79.1, 339
    assert advice.days_covered == 30  # 340 / 11.30 = 30.08


def test_small_spend_never_goes_under_the_minimum(tenant, funded):
    spend(funded, "0.50", days=90)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.amount == MIN_ORDER_AMOUNT == Decimal("50")
    assert advice.trigger == Decimal("10")  # 7 days are 3.50, rounded up to the step
    assert advice.days_covered == 100  # 50 at 0.50 a day


@pytest.mark.parametrize("daily", ["0.01", "0.50", "2", "7.50", "40", "333", "1000"])
def test_the_advice_always_passes_the_recharge_settings_check(tenant, funded, daily):
    """Whatever the spend, "Use these amounts" gives settings that Save changes accepts:
    the trigger below the recharge, both within the limits."""
    spend(funded, daily, days=30)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.trigger < advice.amount
    recharge_settings_check(
        RechargeSettings(enabled=True, amount=advice.amount, trigger=advice.trigger),
        currency="USD",
    )


def test_huge_spend_is_capped_at_what_a_recharge_may_buy(tenant, funded):
    spend(funded, "1000", days=10)
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.daily_rate == Decimal("357.14")  # 10,000 / 28
    assert advice.amount == MAX_ORDER_AMOUNT  # 30 days would be 10,714.29
    assert advice.trigger == Decimal("2500")  # 7 days: 2,500.00


def test_a_young_account_divides_by_the_days_it_has_existed(tenant, account):
    fund(account, "500", at=AT - timedelta(days=10))
    spend(account, "10", days=10)
    advice = funding_advice(tenant=tenant, at=AT)
    assert (advice.days_28, advice.days_90) == (10, 10)
    assert advice.daily_rate == Decimal("10.00")
    assert (advice.trigger, advice.amount) == (Decimal("70"), Decimal("300"))


def test_a_day_old_account_divides_by_at_least_a_week(tenant, account):
    fund(account, "500", at=AT - timedelta(hours=20))
    charge(account, "70", at=AT - timedelta(hours=2))
    advice = funding_advice(tenant=tenant, at=AT)
    assert advice.days_28 == 7 and advice.daily_rate == Decimal("10.00")


def test_windows_end_at_the_given_moment(tenant, funded):
    charge(funded, "99", at=AT - timedelta(days=91))  # before both windows
    charge(funded, "28", at=AT - timedelta(days=29))  # in the 90-day window only
    charge(funded, "56", at=AT - timedelta(days=1))
    charge(funded, "1000", at=AT + timedelta(hours=1))  # after: not seen
    advice = funding_advice(tenant=tenant, at=AT)
    assert (advice.spend_28, advice.spend_90) == (Decimal("56.00"), Decimal("84.00"))
    assert advice.daily_rate == Decimal("2.00")


def test_reversed_charges_and_expiries_are_not_spend(tenant, account):
    fund(account, "100", at=AT - timedelta(days=400))
    fund(account, "1000", at=AT - timedelta(days=60))
    wrong = charge(account, "500", at=AT - timedelta(days=40))
    ledger.entry_reverse(entry=wrong, memo="Misrated call", idempotency_key=next_key("rev"),
                         at=AT - timedelta(days=39))
    ledger.funds_expire(account=account, at=AT - timedelta(days=20))  # the 100 of last year
    charge(account, "90", at=AT - timedelta(days=5))
    advice = funding_advice(tenant=tenant, at=AT)
    assert (advice.spend_28, advice.spend_90) == (Decimal("90.00"), Decimal("90.00"))


def test_advice_is_per_tenant(tenant, other_tenant, funded):
    spend(funded, "10", days=30)
    other = CreditAccountFactory(tenant=other_tenant)
    fund(other, "100", at=AT - timedelta(days=50))
    advice = funding_advice(tenant=other_tenant, at=AT)
    assert advice.currency == "GBP" and not advice.enough_data


def test_context_says_who_may_apply_the_advice(tenant, funded, billing_admin, reports_reader):
    assert funding_advice_context(tenant=tenant, user=billing_admin, at=AT)[
        "funding_advice_can_apply"
    ]
    # The others can't act on it, so it is not shown to them at all.
    reader = funding_advice_context(tenant=tenant, user=reports_reader, at=AT)
    assert reader["funding_advice"] is None and not reader["funding_advice_deferred"]


# --- the recharge form pre-fill ----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"amount": "300", "trigger": "70"},
         {"recharge_with": "300", "recharge_below": "70", "auto_recharge": True}),
        ({"amount": "300"}, {"recharge_with": "300", "auto_recharge": True}),
        ({"trigger": "0"}, {"recharge_below": "0", "auto_recharge": True}),
        ({"amount": "49", "trigger": "70"}, {"recharge_below": "70", "auto_recharge": True}),
        ({"amount": "20000", "trigger": "-1"}, {}),
        ({"amount": "abc", "trigger": "1.234"}, {}),
        ({"amount": "NaN", "trigger": "Infinity"}, {}),
        ({"amount": "", "trigger": "20001"}, {}),
        ({"amount": "1" * 200}, {}),
        ({}, {}),
    ],
)
def test_prefill_keeps_only_values_the_settings_accept(params, expected):
    assert recharge_prefill(params, currency="USD") == expected


def test_prefill_respects_the_currency_decimals():
    assert recharge_prefill({"amount": "60.5"}, currency="JPY") == {}
    assert recharge_prefill({"amount": "60.5"}, currency="USD")["recharge_with"] == "60.5"


# --- on the pages ------------------------------------------------------------------------


@pytest.fixture
def live_spend(account):
    """Contoso spending 10 a day for the last 90 days before now."""
    now = timezone.now()
    fund(account, "5000", at=now - timedelta(days=100))
    spend(account, "10", days=90, at=now)
    return account


def test_subscription_page_shows_the_advice_and_its_reasoning(client, billing_admin, live_spend):
    client.force_login(billing_admin)
    page = parse(client.get(SUBSCRIPTION_URL).content)
    card = page.by_id("funding-advice")
    assert page.by_id("advice-trigger").text == "$70.00"
    assert page.by_id("advice-amount").text == "$300.00"
    reasoning = page.by_id("advice-reasoning").text
    assert "$280.00 in the last 28 days ($10.00 a day)" in reasoning
    assert "$900.00 in the last 90 days ($10.00 a day)" in reasoning
    assert "never under the $50.00 minimum" in reasoning
    button = page.by_id("advice-apply")
    assert button.text == "Use these amounts"
    assert button.attrs["href"] == f"{RECHARGE_URL}?amount=300&trigger=70"
    assert button.attrs["hx-get"] == button.attrs["href"]
    assert button.attrs["hx-target"] == "#flyout-body"
    assert "covers about 30 days" in card.text


@pytest.mark.parametrize(
    ("limit", "proposed"),
    [(None, None), ("1500", None), ("5000", None), ("300", "1500"), ("250", "1500")],
)
def test_use_these_amounts_proposes_a_monthly_limit_that_allows_the_proposal(
    client, billing_admin, live_spend, limit, proposed
):
    """A limit under 5 recharges of the proposal is raised to 5 of them in the same form
    (as the set-up form proposes); one that allows them is left alone."""
    live_spend.monthly_recharge_limit = Decimal(limit) if limit else None
    live_spend.save(update_fields=["monthly_recharge_limit"])
    client.force_login(billing_admin)
    page = parse(client.get(SUBSCRIPTION_URL).content)
    href = page.by_id("advice-apply").attrs["href"]
    assert page.has_id("advice-over-limit") is (proposed is not None)
    if proposed is None:
        assert href == f"{RECHARGE_URL}?amount=300&trigger=70"
        return
    assert href == f"{RECHARGE_URL}?amount=300&trigger=70&limit={proposed}"
    note = page.by_id("advice-over-limit").text
    assert f"also proposes a monthly limit of ${int(proposed):,}.00 (5 recharges)" in note
    if limit == "250":
        assert "monthly recharge limit of $250.00 is below $300.00" in note
    form = parse(client.get(href).content)
    assert form.by_id("id_monthly_limit").attrs["value"] == proposed
    assert form.by_id("id_recharge_with").attrs["value"] == "300"
    live_spend.refresh_from_db()
    assert live_spend.monthly_recharge_limit == Decimal(limit)  # nothing saved yet


def test_readers_do_not_see_the_advice(client, tenant, live_spend):
    """Only the admins who can change the recharge settings are told to."""
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    page = parse(client.get(SUBSCRIPTION_URL).content)
    assert page.has_id("credits-balance")
    assert not page.has_id("funding-advice") and not page.has_id("advice-apply")


def test_one_rate_gives_every_days_figure_of_the_card(tenant, funded):
    """The trigger's and the recharge's days are both that amount at the card's rate."""
    spend(funded, "1.04", days=90)  # 7.28 -> 10 and 31.2 -> the 50 minimum
    advice = funding_advice(tenant=tenant, at=AT)
    assert (advice.trigger, advice.amount, advice.daily_rate) == (
        Decimal("10"), Decimal("50"), Decimal("1.04"),
    )
    assert advice.trigger_days == 9 and advice.days_covered == 48


def test_no_spend_shows_the_insufficient_data_state(client, billing_admin, account):
    fund(account, "100")
    client.force_login(billing_admin)
    page = parse(client.get(SUBSCRIPTION_URL).content)
    assert "Not enough usage yet" in page.by_id("advice-no-data").text
    assert not page.has_id("advice-apply")


def test_use_these_amounts_prefills_the_form_and_saves_nothing(client, billing_admin, account):
    client.force_login(billing_admin)
    response = client.get(RECHARGE_URL, {"amount": "300", "trigger": "70"})
    assert response.status_code == 200
    form = parse(response.content).by_id("recharge-form")
    assert form.find_all("input", name="recharge_with")[0].attrs["value"] == "300"
    assert form.find_all("input", name="recharge_below")[0].attrs["value"] == "70"
    assert "checked" in form.find_all("input", name="auto_recharge")[0].attrs
    assert parse(response.content).by_id("recharge-save").text == "Save changes"
    account.refresh_from_db()
    assert not account.auto_recharge_enabled and account.recharge_amount is None


def test_prefilled_form_in_the_flyout_is_the_panel(client, billing_admin, account):
    client.force_login(billing_admin)
    response = client.get(RECHARGE_URL, {"amount": "300", "trigger": "70"},
                          headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="recharge-panel"') and "<html" not in body
    form = parse(body).by_id("recharge-form")
    assert form.find_all("input", name="recharge_with")[0].attrs["value"] == "300"


def test_saving_the_prefilled_form_applies_the_advice(client, tenant, billing_admin):
    order_place(
        tenant=tenant, acting_user=billing_admin, kind=OrderKind.PURCHASE,
        amount=Decimal("100"), payment=Payment(type=PaymentType.CARD, card=saved_card(tenant)),
        idempotency_key=token(), recharge=RechargeSettings(enabled=False),
    )
    client.force_login(billing_admin)
    response = client.post(RECHARGE_URL, {"auto_recharge": "on", "recharge_with": "300",
                                          "recharge_below": "70"})
    assert response.status_code == 302
    account = CreditAccount.objects.get(tenant=tenant)
    assert account.auto_recharge_enabled
    assert (account.recharge_amount, account.recharge_trigger) == (Decimal("300"), Decimal("70"))


@pytest.mark.parametrize(
    "params", [{"amount": "abc", "trigger": "xyz"}, {"amount": "5", "trigger": "-3"},
               {"amount": "99999999", "trigger": "1e400"}],
)
def test_bad_advice_parameters_are_ignored(client, billing_admin, account, params):
    CreditAccount.objects.filter(pk=account.pk).update(
        auto_recharge_enabled=False, recharge_amount=Decimal("60"), recharge_trigger=Decimal("25")
    )
    client.force_login(billing_admin)
    response = client.get(RECHARGE_URL, params)
    assert response.status_code == 200
    form = parse(response.content).by_id("recharge-form")
    assert form.find_all("input", name="recharge_with")[0].attrs["value"] == "60"
    assert form.find_all("input", name="recharge_below")[0].attrs["value"] == "25"
    assert "checked" not in form.find_all("input", name="auto_recharge")[0].attrs


def test_readers_cannot_open_the_prefilled_form(client, tenant, account):
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    assert client.get(RECHARGE_URL, {"amount": "300", "trigger": "70"}).status_code == 403


def test_another_tenants_admin_sees_advice_from_their_own_spend(
    client, other_tenant_admin, other_tenant, live_spend
):
    other = CreditAccountFactory(tenant=other_tenant)
    fund(other, "100")
    client.force_login(other_tenant_admin)
    page = parse(client.get(SUBSCRIPTION_URL).content)
    assert page.has_id("advice-no-data") and not page.has_id("advice-amount")


# --- the card loaded after the page (PSTN usage report) ----------------------------------

ADVICE_URL = "/billing/funding-advice/"


def test_deferred_context_reads_nothing(tenant, billing_admin, live_spend,
                                        django_assert_num_queries):
    billing_admin.has_action(Action.MANAGE_BILLING)  # the request has read the roles
    with django_assert_num_queries(0):
        context = funding_advice_context(tenant=tenant, user=billing_admin, deferred=True)
    assert context == {"funding_advice": None, "funding_advice_deferred": True}


def test_pstn_usage_report_loads_the_card_after_the_page(client, global_admin, live_spend):
    client.force_login(global_admin)
    page = parse(client.get("/reports/pstn-usage/").content)
    placeholder = page.by_id("funding-advice")
    assert placeholder.attrs["hx-get"] == ADVICE_URL
    assert placeholder.attrs["hx-trigger"] == "load"


@pytest.mark.parametrize("role", [AdminRole.REPORTS_READER, AdminRole.TEAMS_ADMIN])
def test_report_readers_and_teams_admins_are_not_shown_the_card(client, tenant, live_spend,
                                                                 role):
    """They see PSTN usage but can't change the recharge settings: no card, and its
    URL answers 403."""
    client.force_login(AdminFactory(tenant=tenant, roles=[role]))
    response = client.get("/reports/pstn-usage/")
    assert response.status_code == 200
    assert not parse(response.content).has_id("funding-advice")
    assert client.get(ADVICE_URL, headers={"HX-Request": "true"}).status_code == 403


def test_the_card_for_a_billing_admin_has_the_button(client, billing_admin, live_spend):
    client.force_login(billing_admin)
    page = parse(client.get(ADVICE_URL).content)
    assert page.by_id("advice-apply").attrs["href"] == f"{RECHARGE_URL}?amount=300&trigger=70"


def test_the_card_is_empty_without_credits(client, billing_admin):
    client.force_login(billing_admin)
    response = client.get(ADVICE_URL)
    assert response.status_code == 200 and not parse(response.content).has_id("funding-advice")


def test_the_card_shows_only_the_admins_own_tenant(client, other_tenant_admin, live_spend):
    client.force_login(other_tenant_admin)
    response = client.get(ADVICE_URL)
    assert response.status_code == 200 and not parse(response.content).has_id("advice-amount")
