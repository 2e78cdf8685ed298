"""The daily jobs: the expiry run, the low-balance alerts it may cause, the expiry
reminders, recovery of interrupted payments (a backstop: the workers recover them every
minute, and a run here queues that recovery again if it was ever lost), the emails that
could not be delivered, and the deletion of report exports older than a day.

Run once a day by ``manage.py run_daily_jobs`` (cron or a systemd timer); running it
again the same day changes nothing (expiries are per lot, reminders once per threshold).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.services.tallies import tallies_compact
from credits.billing.services.recovery import payments_recover
from credits.ledger.choices import CreditAccountStatus
from credits.ledger.models.lots import FundLot
from credits.ledger.services import funds_expire_due
from credits.notifications.alerts import balance_alerts_sweep
from credits.notifications.choices import NotificationKind
from credits.notifications.services import notification_create, notifications_retry
from credits.notifications.webhooks.delivery import webhooks_sweep
from credits.notifications.webhooks.events import funds_expired_emit
from credits.reports.services import report_exports_delete_expired

REMINDER_DAYS = (30, 7)


def expiry_reminders_send(*, at: datetime | None = None) -> int:
    """Remind the admins of lots with funds left that expire within 30 and 7 days; once
    per lot and threshold (the 7-day one only, when a lot is already that close)."""
    now = at or timezone.now()
    sent = 0
    lots = (
        FundLot.objects.active(now)
        .filter(expires_at__lte=now + timedelta(days=max(REMINDER_DAYS)))
        .exclude(account__status=CreditAccountStatus.CLOSED)
        .select_related("account__tenant")
        .order_by("expires_at", "pk")
    )
    for lot in lots:
        days_left = (lot.expires_at - now).days
        threshold = min(d for d in REMINDER_DAYS if lot.expires_at <= now + timedelta(days=d))
        account = lot.account
        created = notification_create(
            tenant=account.tenant, kind=NotificationKind.EXPIRY_REMINDER,
            dedupe_key=f"expiry:{lot.pk}:{threshold}",
            params={
                "days": threshold, "remaining": str(lot.remaining),
                "currency": account.currency, "lot_id": lot.pk,
                "bought": lot.purchased_at.astimezone(UTC).isoformat(),
                "expires": lot.expires_at.astimezone(UTC).isoformat(),
                "left": max(days_left, 0),
            },
        )
        sent += created is not None
    return sent


def daily_jobs_run(*, at: datetime | None = None) -> dict:
    now = at or timezone.now()
    recovered = payments_recover(at=now)
    expired = funds_expire_due(at=now)
    return {
        "expired_entries": expired,
        "balance_alerts": balance_alerts_sweep(at=now),
        "reminders": expiry_reminders_send(at=now),
        "recharges_recovered": recovered["recharges"],
        "orders_recovered": recovered["reconciled"],
        "notifications_retried": notifications_retry(at=now),
        "exports_deleted": report_exports_delete_expired(at=now),
        # funds.expired for the expiry entries above (and any a stopped run missed), and
        # the webhook retries that are due (a backstop: the workers send them).
        "webhooks_expired": funds_expired_emit(at=now),
        "webhooks_retried": webhooks_sweep(at=now)["sent"],
        "directory_tallies_folded": tallies_compact(),
    }
