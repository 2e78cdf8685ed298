"""The low-balance alert: a threshold on the Communications Credits page; an email and a
Message center entry once per crossing, re-armed once the balance has been back at or
above it; checked after usage charges, the expiry run and staff corrections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent
from credits.billing.services.auto_recharge import recharge_check
from credits.daily import daily_jobs_run
from credits.models import BalanceAlert, CreditAccount, Notification, NotificationKind
from credits.notifications.alerts import (
    balance_alert_check,
    balance_alert_recheck,
    balance_alert_set,
    balance_alerts_sweep,
)
from tests.accounts.backoffice import admin_url, form_data
from tests.accounts.factories import StaffFactory
from tests.credits.factories import charge, fund
from tests.html_text import parse

pytestmark = pytest.mark.django_db

URL = "/billing/products/communications-credits/balance-alert/"
SUBSCRIPTION = "/billing/products/communications-credits/"


def _alerts() -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.BALANCE_LOW).order_by("pk"))


def _set(account, threshold) -> None:
    balance_alert_set(
        account=account, threshold=None if threshold is None else Decimal(threshold),
        acting_user=None,
    )


def _after(account, capture, post) -> int:
    """Post to the ledger (``post``), then run the check as the usage import does (the
    recharge check after the commit); returns how many low-balance alerts exist."""
    post()
    with capture(execute=True):
        recharge_check(account=account)
    return len(_alerts())


@pytest.fixture
def funded(account, global_admin):
    fund(account, "100")
    account.refresh_from_db()
    return account


def test_falling_below_alerts_once_per_crossing_and_funds_rearm_it(
    funded, global_admin, django_capture_on_commit_callbacks
):
    account, capture = funded, django_capture_on_commit_callbacks
    _set(account, "30")
    assert _after(account, capture, lambda: charge(account, "60")) == 0  # 40: above
    assert _after(account, capture, lambda: charge(account, "15")) == 1  # 25: crossed
    assert _after(account, capture, lambda: charge(account, "5")) == 1  # still below: once
    assert _after(account, capture, lambda: charge(account, "5")) == 1
    # Funds bring it back above (no check runs then), a call takes it below again.
    fund(account, "50")  # 65
    assert _after(account, capture, lambda: charge(account, "40")) == 2  # 25: a new crossing
    assert _after(account, capture, lambda: charge(account, "1")) == 2


def test_a_check_at_or_above_the_threshold_rearms_it(
    funded, django_capture_on_commit_callbacks
):
    account, capture = funded, django_capture_on_commit_callbacks
    _set(account, "50")
    assert _after(account, capture, lambda: charge(account, "60")) == 1  # 40
    assert BalanceAlert.objects.get().alerted_entry_id is not None
    assert _after(account, capture, lambda: fund(account, "10")) == 1  # 50: at it, re-armed
    assert BalanceAlert.objects.get().alerted_entry_id is None
    assert _after(account, capture, lambda: charge(account, "0.01")) == 2  # 49.99


def test_a_new_threshold_rearms_the_alert(funded, django_capture_on_commit_callbacks):
    account, capture = funded, django_capture_on_commit_callbacks
    _set(account, "50")
    assert _after(account, capture, lambda: charge(account, "60")) == 1  # 40
    _set(account, "45")
    assert _after(account, capture, lambda: charge(account, "1")) == 2  # 39 < 45: told again
    _set(account, None)
    assert _after(account, capture, lambda: charge(account, "30")) == 2  # off


def test_the_alert_is_independent_of_auto_recharge(funded, django_capture_on_commit_callbacks):
    account = funded
    assert not account.auto_recharge_enabled
    _set(account, "30")
    _after(account, django_capture_on_commit_callbacks, lambda: charge(account, "80"))
    (alert,) = _alerts()
    assert alert.params == {
        "balance": "20.0000", "threshold": "30.0000", "currency": "USD",
        "at": alert.params["at"],
    }


def test_the_email_and_the_message_center_say_the_balance_and_the_threshold(
    funded, global_admin, billing_admin, reports_reader, client,
    django_capture_on_commit_callbacks,
):
    account = funded
    _set(account, "30")
    mail.outbox.clear()
    _after(account, django_capture_on_commit_callbacks, lambda: charge(account, "75.5"))
    assert {m.to[0] for m in mail.outbox} == {global_admin.username, billing_admin.username}
    message = mail.outbox[0]
    assert message.subject.startswith("Your Communications Credits balance is below $30.00")
    assert "The balance is $24.50, below your low-balance alert of $30.00." in message.body
    client.force_login(global_admin)
    page = parse(client.get("/message-center/").content).text
    assert "Your Communications Credits balance is below $30.00" in page


def test_no_alert_set_costs_one_query(account, django_assert_num_queries):
    fund(account, "10")
    with django_assert_num_queries(1):
        balance_alert_check(account=account)
    assert _alerts() == []


def test_the_check_does_not_grow_with_entries(funded, django_assert_max_num_queries):
    account = funded
    _set(account, "30")
    for _ in range(30):
        charge(account, "1")
    with django_assert_max_num_queries(6):  # alert, balance, re-armed?, last entry, write, notify
        balance_alert_recheck(account_id=account.pk)
    assert len(_alerts()) == 0  # 70: above
    for _ in range(45):
        charge(account, "1")
    with django_assert_max_num_queries(15):  # ... + the notification, its recipients
        balance_alert_recheck(account_id=account.pk)
    assert len(_alerts()) == 1


def test_expired_funds_alert_in_the_daily_jobs_once(account, global_admin):
    bought = timezone.now() - dt.timedelta(days=400)
    fund(account, "20", at=bought)
    fund(account, "100")
    _set(account, "90")
    lot_expiry = account.lots.order_by("expires_at").first().expires_at
    summary = daily_jobs_run(at=lot_expiry + dt.timedelta(hours=1))
    assert summary["balance_alerts"] == 0  # 100 left after the expiry: above
    charge(account, "15")
    assert balance_alerts_sweep() == 1  # 85
    assert balance_alerts_sweep() == 0
    assert daily_jobs_run()["balance_alerts"] == 0
    assert len(_alerts()) == 1


def test_the_expiry_run_taking_the_balance_below_alerts(account, global_admin):
    fund(account, "60", at=timezone.now() - dt.timedelta(days=360))
    fund(account, "40")
    _set(account, "50")  # 100 until the first lot expires
    expiry = account.lots.order_by("expires_at").first().expires_at
    summary = daily_jobs_run(at=expiry + dt.timedelta(hours=1))
    assert summary["expired_entries"] == 1 and summary["balance_alerts"] == 1
    (alert,) = _alerts()
    assert alert.params["balance"] == "40.0000"
    assert daily_jobs_run(at=expiry + dt.timedelta(hours=2))["balance_alerts"] == 0


def test_a_staff_debit_correction_alerts(funded, client, django_capture_on_commit_callbacks):
    _set(funded, "50")
    client.force_login(StaffFactory())
    url = admin_url(CreditAccount, "changelist")
    page = client.post(url, {"action": "debit_correction", "index": "0",
                             "_selected_action": [funded.pk]})
    data = form_data(page.content, "operation-form")
    data.update({"amount": ["60"], "reason": ["Duplicate top-up"]})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    (alert,) = _alerts()
    assert alert.params["balance"] == "40.0000"


def test_a_closed_account_is_not_alerted(funded, django_capture_on_commit_callbacks):
    _set(funded, "50")
    charge(funded, "60")
    CreditAccount.objects.filter(pk=funded.pk).update(status="closed")
    balance_alert_recheck(account_id=funded.pk)
    assert _alerts() == []


# ---------------------------------------------------------------------- the dialog


@pytest.fixture
def billing_client(client, billing_admin, account):
    fund(account, "100")
    client.force_login(billing_admin)
    return client


def test_the_subscription_page_shows_the_alert_and_its_dialog(billing_client, account):
    page = parse(billing_client.get(SUBSCRIPTION).content)
    assert page.by_id("billing-balance-alert").text == "Off"
    assert page.by_id("modify-balance-alert").attrs["href"] == URL
    _set(account, "25")
    page = parse(billing_client.get(SUBSCRIPTION).content)
    assert page.by_id("billing-balance-alert").text == "Below $25.00"


def test_saving_a_threshold_is_audited_and_shown_again(billing_client, billing_admin, account):
    response = billing_client.post(URL, {"threshold": "1,250.50"})
    assert response.status_code == 302 and response["Location"] == SUBSCRIPTION
    assert BalanceAlert.objects.get(tenant=account.tenant).threshold == Decimal("1250.5")
    event = AuditEvent.objects.get(action="credits.balance_alert_update")
    assert event.actor == billing_admin and event.tenant == account.tenant
    assert event.before == {"threshold": None} and event.after == {"threshold": "1250.5000"}
    assert 'value="1250.5"' in billing_client.get(URL).content.decode()
    # Saving the same again changes nothing and writes no audit row.
    billing_client.post(URL, {"threshold": "1250.50"})
    assert AuditEvent.objects.filter(action="credits.balance_alert_update").count() == 1


def test_empty_turns_the_alert_off(billing_client, account):
    _set(account, "25")
    response = billing_client.post(URL, {"threshold": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "credits-changed" in response["HX-Trigger"]
    body = response.content.decode()
    assert "Low-balance alert turned off." in body and "<html" not in body
    assert BalanceAlert.objects.get(tenant=account.tenant).threshold is None
    event = AuditEvent.objects.get(action="credits.balance_alert_update", after={"threshold": None})
    assert event.before == {"threshold": "25.0000"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The amount can't be negative. Enter at least $1.00."),
        ("0.5", "The minimum is $1.00."),
        ("10001", "Enter at most $10,000.00."),
        ("99999999999999999999", "Enter at most $10,000.00."),
        ("10.123", "Use at most 2 decimal places for USD."),
        ("abc", "Enter the amount as a number"),
        ("1e3", "exponent"),
        ("25,5", "Use a point for decimals: 25.5"),
    ],
)
def test_a_wrong_threshold_is_explained_and_nothing_is_saved(
    billing_client, account, typed, message
):
    response = billing_client.post(URL, {"threshold": typed})
    assert response.status_code == 200
    errors = parse(response.content).by_id("balance-alert-form").text
    assert message.lower() in errors.lower()
    assert not BalanceAlert.objects.filter(threshold__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="credits.balance_alert_update").exists()


def test_the_dialog_as_an_htmx_partial(billing_client):
    response = billing_client.get(URL, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="balance-alert-panel"' in body and "<html" not in body


def test_the_dialog_reads_a_few_queries(billing_client, django_assert_max_num_queries):
    billing_client.get(URL)
    with django_assert_max_num_queries(8):
        assert billing_client.get(URL).status_code == 200


def test_another_tenants_alert_is_untouched(billing_client, other_account, other_tenant):
    fund(other_account, "100")
    balance_alert_set(account=other_account, threshold=Decimal("40"), acting_user=None)
    billing_client.post(URL, {"threshold": "20"})
    assert BalanceAlert.objects.get(tenant=other_tenant).threshold == Decimal("40")


def test_the_change_shows_in_the_recent_changes(billing_client, billing_admin):
    billing_client.post(URL, {"threshold": "25"})
    history = parse(billing_client.get(SUBSCRIPTION).content).text
    assert "Low-balance alert changed" in history and "$25.00" in history
