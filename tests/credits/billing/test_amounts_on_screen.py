"""Amounts on screen are in the currency's minor units (README, "Amounts on screen"): the
balance, the funds, the transactions and the calls round to cents, and the exact amount
the ledger holds is the entry's title; expiries and reversals name what they undo by
date, never by a database id."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from credits.ledger import services as ledger
from tests.credits.factories import charge, fund
from tests.html_text import parse

pytestmark = pytest.mark.django_db

SUBSCRIPTION_URL = "/billing/products/communications-credits/"


def render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


def test_money_shown_rounds_and_keeps_the_exact_amount_as_the_title():
    assert render("{{ a|money_shown:'USD' }}", a=Decimal("24.1665")) == (
        '<span class="money-exact" title="$24.1665" data-exact-amount="24.1665">$24.17</span>'
    )
    assert render("{{ a|money_shown:'USD' }}", a=Decimal("24.1700")) == "$24.17"
    assert render("{{ a|money_shown:'USD' }}", a=None) == ""
    with translation.override("zh-hant"):
        assert 'title="US$0.0575"' in render("{{ a|money_shown:'USD' }}", a=Decimal("0.0575"))


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def test_transactions_and_funds_show_cents_with_the_exact_amount_as_title(billing_client,
                                                                          account):
    fund(account, "148.34")
    charge(account, "24.1665")  # a rated call: 4 decimals
    page = parse(billing_client.get(SUBSCRIPTION_URL).content)
    assert page.by_id("credits-balance").text == "$124.17"
    table = page.by_id("transactions-table")
    cells = [td.text for td in table.find_all("td")]
    assert "-$24.17" in cells and "$124.17" in cells and "+$148.34" in cells
    assert not any("24.1665" in text or "124.1735" in text for text in cells)
    exact = {span.attrs["title"] for span in table.find_all("span")
             if "money-exact" in span.attrs.get("class", "")}
    assert exact == {"-$24.1665", "$124.1735"}
    lots = page.by_id("credits-lots")
    assert "$124.17" in lots.text and "124.1735" not in lots.text


def test_an_expiry_names_the_funds_by_their_purchase_date(billing_client, account):
    bought = timezone.now() - dt.timedelta(days=400)
    fund(account, "60", at=bought)
    ledger.funds_expire(account=account)
    page = parse(billing_client.get(SUBSCRIPTION_URL).content)
    text = page.by_id("transactions-table").text
    assert "Unused funds bought on" in text and "expired" in text
    assert "lot " not in text


def test_a_reversal_names_the_entry_it_undoes(billing_client, account):
    fund(account, "100")
    entry = charge(account, "12.5")
    ledger.entry_reverse(entry=entry, memo="Duplicate call record", idempotency_key="rev-1")
    page = parse(billing_client.get(SUBSCRIPTION_URL).content)
    text = page.by_id("transactions-table").text
    assert "Reverses the Usage charge of" in text and "Duplicate call record" in text
