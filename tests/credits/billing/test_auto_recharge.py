"""The auto-recharge engine: single-flight, payment-gated, capped, failures, emails."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AdminRole
from credits.billing.services.auto_recharge import MAX_FAILURES_PER_DAY, recharge_check
from credits.billing.services.recharge_settings import billing_profile_write
from credits.models import (
    BillingProfile,
    CreditAccount,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Order,
    OrderKind,
    OrderStatus,
    PaymentType,
    SandboxCharge,
)
from tests.accounts.factories import AdminFactory
from tests.credits.factories import charge
from tests.credits.payments import MASTERCARD, SUBSCRIPTION_URL, expired_card, saved_card
from tests.credits.recharge_helpers import auto_recharge_account
from tests.html_text import parse


def _charge_and_check(account, amount, capture):
    charge(account, amount)
    with capture(execute=True):
        order = recharge_check(account=account)
    account.refresh_from_db()
    return order


@pytest.fixture
def notified(global_admin, billing_admin, reports_reader):
    """Megan (Global) and Alex (Billing) are notified; Lidia (Reports Reader) is not."""
    return {global_admin.username, billing_admin.username}


def test_crossing_the_trigger_recharges_once_and_emails_the_notified_admins(
    tenant, notified, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, balance="100", amount="50", trigger="20")
    order = _charge_and_check(account, "85", django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert order.kind == OrderKind.AUTO_RECHARGE and order.status == OrderStatus.SUCCEEDED
    assert account.balance == Decimal("65")
    assert SandboxCharge.objects.filter(succeeded=True).count() == 1
    assert order.ledger_entry.reference_id == str(order.pk)
    assert {m.to[0] for m in mail.outbox} == notified
    message = mail.outbox[0]
    assert "Auto-recharge succeeded" in message.subject and "Contoso" in message.subject
    assert "$50.00" in message.body and "http://testserver" not in message.body
    assert "/billing/products/communications-credits/" in message.body
    html = message.alternatives[0][0]
    assert "Contoso" in html and "$65.00" in html
    notification = Notification.objects.get(kind=NotificationKind.RECHARGE_SUCCEEDED)
    assert notification.status == DeliveryStatus.SENT
    assert {r["status"] for r in notification.recipients} == {DeliveryStatus.SENT}


def test_no_recharge_while_the_balance_stays_at_or_above_the_trigger(
    tenant, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, balance="100", trigger="20")
    assert _charge_and_check(account, "80", django_capture_on_commit_callbacks) is None
    assert not Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).exists()


def test_no_recharge_when_auto_recharge_is_off(tenant, django_capture_on_commit_callbacks):
    account = auto_recharge_account(tenant, balance="100")
    CreditAccount.objects.filter(pk=account.pk).update(auto_recharge_enabled=False)
    assert _charge_and_check(account, "90", django_capture_on_commit_callbacks) is None
    assert SandboxCharge.objects.count() == 0


def test_the_database_refuses_a_second_pending_recharge(tenant):
    account = auto_recharge_account(tenant)
    card = BillingProfile.objects.get(account=account).card

    def pending(key):
        return Order.objects.create(
            tenant=tenant, kind=OrderKind.AUTO_RECHARGE, status=OrderStatus.PENDING,
            amount=Decimal("50"), currency="USD", payment_type=PaymentType.CARD,
            payment_method=card, idempotency_key=key, fingerprint="x",
        )

    pending("one")
    with pytest.raises(IntegrityError), transaction.atomic():
        pending("two")


def test_a_pending_recharge_blocks_another_check(tenant, django_capture_on_commit_callbacks):
    account = auto_recharge_account(tenant, balance="100")
    charge(account, "90")
    first = recharge_check(account=account)  # its payment is not run (no commit here)
    assert first is not None and first.status == OrderStatus.PENDING
    assert recharge_check(account=account) is None
    assert Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).count() == 1


def test_one_recharge_that_leaves_the_balance_below_the_trigger_does_not_loop(
    tenant, django_capture_on_commit_callbacks
):
    """Only a deficit can leave the balance below the trigger after a recharge (the
    trigger is less than the recharge): one recharge per charge, never a loop."""
    account = auto_recharge_account(tenant, balance="10", amount="50", trigger="20")
    _charge_and_check(account, "45", django_capture_on_commit_callbacks)  # a call's full cost
    assert account.balance == Decimal("15")  # -35 + 50: still below 20
    assert Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).count() == 1
    _charge_and_check(account, "1", django_capture_on_commit_callbacks)
    assert Order.objects.filter(kind=OrderKind.AUTO_RECHARGE, status="succeeded").count() == 2
    assert account.balance == Decimal("64")


def test_expired_card_fails_once_emails_once_and_waits_for_a_new_card(
    tenant, notified, global_admin, client, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, card=expired_card(tenant), balance="100")
    order = _charge_and_check(account, "90", django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.failure_reason
    assert account.balance == Decimal("10")
    failure_mails = [m for m in mail.outbox if "Auto-recharge failed" in m.subject]
    assert {m.to[0] for m in failure_mails} == notified and len(failure_mails) == 2
    assert order.failure_reason in failure_mails[0].body

    client.force_login(global_admin)
    home = client.get("/").content.decode()
    assert "Auto-recharge failed" in home and "home-recharge-failed-fix" in home
    page = client.get(SUBSCRIPTION_URL).content.decode()
    assert "Auto-recharge failed" in page and "credits-recharge-failed-fix" in page

    # More charges: no second attempt, no second email.
    assert _charge_and_check(account, "1", django_capture_on_commit_callbacks) is None
    assert Order.objects.filter(kind=OrderKind.AUTO_RECHARGE).count() == 1
    assert len(mail.outbox) == 2

    # A new card saved for the credits: the next charge recharges.
    billing_profile_write(
        account=account, acting_user=global_admin, payment_type=PaymentType.CARD,
        card=saved_card(tenant, MASTERCARD),
    )
    order = _charge_and_check(account, "1", django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCEEDED and account.balance == Decimal("58")
    assert "Auto-recharge failed" not in client.get("/").content.decode()


def test_the_failure_banner_leads_to_a_dialog_where_a_new_card_restarts_recharges(
    tenant, notified, billing_admin, client, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, card=expired_card(tenant), balance="100")
    _charge_and_check(account, "90", django_capture_on_commit_callbacks)
    client.force_login(billing_admin)
    home = parse(client.get("/").content)
    fix_url = home.by_id("home-recharge-failed-fix").attrs["href"]
    assert client.get(fix_url).status_code == 200

    response = client.post(fix_url, {
        "payment": "new_card", "holder": "Alex Wilber", "card_number": "4242424242424242",
        "expiry": "12/40", "cvc": "123",
    })
    assert response.status_code == 302

    order = _charge_and_check(account, "1", django_capture_on_commit_callbacks)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCEEDED and order.payment_method.last4 == "4242"
    assert account.balance == Decimal("59")
    assert "home-recharge-failed-fix" not in client.get("/").content.decode()


def test_failures_back_off_and_stop_after_three_a_day(
    tenant, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, card=expired_card(tenant), balance="100")
    charge(account, "90")
    now = timezone.now()
    for hours in range(0, 7 * (MAX_FAILURES_PER_DAY + 1), 7):
        with django_capture_on_commit_callbacks(execute=True):
            recharge_check(account=account, at=now + timedelta(hours=hours))
    # The 4th slot (21 h later) is refused: three failures within 24 hours.
    assert Order.objects.filter(status=OrderStatus.FAILED).count() == MAX_FAILURES_PER_DAY
    # Within the back-off, nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        assert recharge_check(account=account, at=now + timedelta(hours=1)) is None


def test_monthly_limit_stops_recharges_and_emails_once(
    tenant, notified, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, balance="100", amount="50", trigger="40",
                                    limit="100")
    for _ in range(4):
        _charge_and_check(account, "45", django_capture_on_commit_callbacks)
    assert Order.objects.filter(kind=OrderKind.AUTO_RECHARGE, status="succeeded").count() == 2
    limit = [m for m in mail.outbox if "Monthly recharge limit" in m.subject]
    assert {m.to[0] for m in limit} == notified and len(limit) == 2
    assert Notification.objects.filter(kind=NotificationKind.LIMIT_REACHED).count() == 1


def test_zero_balance_emails_once_per_crossing(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    account = auto_recharge_account(tenant, balance="10")
    CreditAccount.objects.filter(pk=account.pk).update(auto_recharge_enabled=False)
    _charge_and_check(account, "10", django_capture_on_commit_callbacks)
    _charge_and_check(account, "1", django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=NotificationKind.BALANCE_ZERO).count() == 1
    from tests.credits.factories import fund

    fund(account, "20")
    _charge_and_check(account, "25", django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=NotificationKind.BALANCE_ZERO).count() == 2
    assert len([m for m in mail.outbox if "reached zero" in m.subject]) == 2


def test_admins_without_a_notified_role_or_disabled_get_nothing(
    tenant, reports_reader, django_capture_on_commit_callbacks
):
    AdminFactory(tenant=tenant, username="gone@contoso.example", is_active=False,
                 roles=[AdminRole.BILLING_ADMIN])
    account = auto_recharge_account(tenant, balance="100")
    _charge_and_check(account, "90", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Notification.objects.get().recipients == []


def test_email_amounts_follow_the_tenants_conventions(
    tenant, global_admin, django_capture_on_commit_callbacks
):
    tenant.country, tenant.currency = "DE", "EUR"
    tenant.save(update_fields=["country", "currency"])
    account = auto_recharge_account(tenant, card=expired_card(tenant), balance="100")
    _charge_and_check(account, "90", django_capture_on_commit_callbacks)
    failure = next(m for m in mail.outbox if "Auto-recharge failed" in m.subject)
    assert "50,00\xa0€" in failure.body  # German conventions, English words
