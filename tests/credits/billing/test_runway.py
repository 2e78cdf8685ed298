"""The runway: "At the current rate, the balance lasts about N days" on Home's
Communications Credits card and on the Communications Credits page, from the funding
advice's daily rate."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AdminRole
from credits.billing.selectors.funding_advice import funding_advice
from credits.billing.selectors.runway import credits_runway, runway_of
from credits.ledger import services as ledger
from credits.ledger.selectors import balance_at
from tests.accounts.factories import AdminFactory
from tests.credits.factories import charge, fund, next_key
from tests.credits.payments import SUBSCRIPTION_URL
from tests.html_text import parse

pytestmark = pytest.mark.django_db


def spent(account, *, funded: str, used: str = "280") -> None:
    """Funded 100 days ago, ``used`` spent on calls 10 days ago: with 280, 10.00 a day
    over the last 28 days (the higher rate, as the advice takes it)."""
    now = timezone.now()
    fund(account, funded, at=now - timedelta(days=100))
    if Decimal(used):
        charge(account, used, at=now - timedelta(days=10))


def shown(client, url: str, element: str) -> str | None:
    response = client.get(url)
    assert response.status_code == 200
    page = parse(response.content)
    return page.by_id(element).text if page.has_id(element) else None


def on_home(client) -> str | None:
    return shown(client, "/", "home-credits-runway")


def on_page(client) -> str | None:
    return shown(client, SUBSCRIPTION_URL, "credits-runway")


@pytest.fixture
def billing_client(client, billing_admin):
    client.force_login(billing_admin)
    return client


def test_the_balance_lasts_its_days_at_the_advices_rate(billing_client, tenant, account):
    spent(account, funded="1000")  # 720 left, 10.00 a day
    expected = "At the current rate, the balance lasts about 72 days."
    assert on_home(billing_client) == expected
    assert on_page(billing_client) == expected
    advice = funding_advice(tenant=tenant, account=account)
    assert advice.daily_rate == Decimal("10.00")
    runway = credits_runway(tenant=tenant, account=account, balance=balance_at(account=account))
    assert runway.days == int(Decimal("720") / advice.daily_rate) == 72


@pytest.mark.parametrize(
    ("funded", "sentence"),
    [
        ("300", "At the current rate, the balance lasts about 2 days."),
        ("295", "At the current rate, the balance lasts about 1 day."),
        ("285", "At the current rate, the balance lasts less than a day."),
        ("5000", "At the current rate, the balance lasts more than a year; unused funds "
                 "expire 12 months after purchase."),
    ],
)
def test_days_are_rounded_down_and_said_in_the_right_number(billing_client, account, funded,
                                                            sentence):
    spent(account, funded=funded)
    assert on_page(billing_client) == sentence
    assert on_home(billing_client) == sentence


def test_a_reversed_charge_no_longer_shortens_the_runway(billing_client, account):
    now = timezone.now()
    fund(account, "1000", at=now - timedelta(days=100))
    charge(account, "140", at=now - timedelta(days=12))
    wrong = charge(account, "140", at=now - timedelta(days=10))
    ledger.entry_reverse(entry=wrong, memo="Rated twice", idempotency_key=next_key("rev"),
                         at=now - timedelta(days=9))
    # 860 left at 5.00 a day
    assert on_page(billing_client) == "At the current rate, the balance lasts about 172 days."


def test_no_recent_spend_is_said_on_the_page_and_nothing_on_home(billing_client, account):
    spent(account, funded="100", used="0")
    assert on_page(billing_client) == "No recent spend on calls."
    assert on_home(billing_client) is None


def test_nothing_is_said_at_or_below_zero(billing_client, account):
    spent(account, funded="280")
    assert on_page(billing_client) is None
    assert on_home(billing_client) is None


def test_a_global_reader_sees_the_runway_without_the_advice(client, tenant, account):
    spent(account, funded="1000")
    client.force_login(AdminFactory(tenant=tenant, roles=[AdminRole.GLOBAL_READER]))
    response = client.get(SUBSCRIPTION_URL)
    page = parse(response.content)
    assert not page.has_id("funding-advice")
    assert page.by_id("credits-runway").text == (
        "At the current rate, the balance lasts about 72 days."
    )


def test_runway_of_says_nothing_without_advice_or_funds():
    assert runway_of(balance=Decimal("10"), advice=None) is None
    assert runway_of(balance=None, advice=None) is None


def test_credits_runway_reads_nothing_at_zero(account, tenant, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert credits_runway(tenant=tenant, account=account, balance=Decimal("0")) is None


def test_credits_runway_reads_only_the_advices_spend(
    account, tenant, django_assert_max_num_queries
):
    spent(account, funded="1000")
    with django_assert_max_num_queries(2):  # the funding advice's read, nothing of its own
        runway = credits_runway(tenant=tenant, account=account, balance=Decimal("720"))
    assert runway.days == 72 and runway.daily_rate == Decimal("10.00")
