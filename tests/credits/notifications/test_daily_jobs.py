"""The daily jobs: expiry run and expiry reminders (30 and 7 days, once each)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from credits.daily import daily_jobs_run, expiry_reminders_send
from credits.models import (
    DeliveryStatus,
    EntryKind,
    LedgerEntry,
    Notification,
    NotificationKind,
)
from tests.credits.factories import T0, fund


def test_reminders_come_once_at_30_and_once_at_7_days(
    account, global_admin, django_capture_on_commit_callbacks
):
    lot = fund(account, "100", at=T0).lot
    with django_capture_on_commit_callbacks(execute=True):
        assert expiry_reminders_send(at=lot.expires_at - timedelta(days=40)) == 0
        assert expiry_reminders_send(at=lot.expires_at - timedelta(days=29)) == 1
        assert expiry_reminders_send(at=lot.expires_at - timedelta(days=20)) == 0
        assert expiry_reminders_send(at=lot.expires_at - timedelta(days=6)) == 1
        assert expiry_reminders_send(at=lot.expires_at - timedelta(days=2)) == 0
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Communications Credits expire in 30 days · Contoso",
        "Communications Credits expire in 7 days · Contoso",
    ]
    assert "$100.00" in mail.outbox[0].body
    assert mail.outbox[0].to == [global_admin.username]


def test_no_reminder_for_a_lot_already_spent(account, global_admin):
    lot = fund(account, "10", at=T0).lot
    from tests.credits.factories import charge

    charge(account, "10", at=T0 + timedelta(days=1))
    assert expiry_reminders_send(at=lot.expires_at - timedelta(days=5)) == 0


def test_the_daily_run_writes_the_expiry_entries_once(account, global_admin):
    lot = fund(account, "100", at=T0).lot
    summary = daily_jobs_run(at=lot.expires_at + timedelta(hours=1))
    assert summary["expired_entries"] == 1
    assert daily_jobs_run(at=lot.expires_at + timedelta(hours=2))["expired_entries"] == 0
    entry = LedgerEntry.objects.get(account=account, kind=EntryKind.EXPIRY)
    assert entry.amount == Decimal("-100") or abs(entry.amount) == Decimal("100")
    account.refresh_from_db()
    assert account.balance == 0


def test_run_daily_jobs_command_reports_what_it_did(account, global_admin):
    fund(account, "100", at=T0)
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    assert "Expiry entries written: 1" in out.getvalue()
    assert not Notification.objects.filter(kind=NotificationKind.EXPIRY_REMINDER).exists()


def test_run_daily_jobs_enqueue_hands_the_work_to_a_worker(account):
    out = StringIO()
    call_command("run_daily_jobs", "--enqueue", stdout=out)
    assert "Enqueued the daily jobs" in out.getvalue()


def test_a_notification_whose_task_was_lost_is_sent_by_the_daily_run(
    account, global_admin, django_capture_on_commit_callbacks
):
    from credits.notifications.services import notification_create

    with django_capture_on_commit_callbacks(execute=False):  # the worker never ran it
        created = notification_create(
            tenant=account.tenant, kind=NotificationKind.BALANCE_ZERO, dedupe_key="lost",
            params={"balance": "0", "currency": "USD"},
        )
    now = timezone.now()
    assert daily_jobs_run(at=now)["notifications_retried"] == 0  # maybe still queued
    assert daily_jobs_run(at=now + timedelta(hours=2))["notifications_retried"] == 1
    created.refresh_from_db()
    assert created.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [[global_admin.username]]
