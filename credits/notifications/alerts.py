"""The low-balance alert (README, "Low-balance alert"): independent of auto-recharge, an
email and a Message center entry when a posting takes the usable balance below the
tenant's threshold, once per crossing.

**Once per crossing.** ``BalanceAlert.alerted_entry_id`` keeps the account's last ledger
entry when the alert was sent. While the balance stays below, nothing more is sent; the
alert is *re-armed* as soon as an entry has left the balance at or above the threshold
(funds added, a reversal) or the threshold changes, and the next fall below alerts again.
The check reads the entries written since the last alert, so a funding that no check saw
(an order paid, a staff credit) still re-arms it.

**Where it runs.** ``balance_alert_check`` runs under the account's lock where the
``balance_zero`` email is decided (the auto-recharge engine's ``recharge_check``, after
each usage import chunk commits), after the backoffice's debit corrections and reversals
(``balance_alert_check_task``), and ``balance_alerts_sweep`` runs in the daily jobs after
the expiry run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Tenant, User
from accounts.services import audit_record
from credits.common.logs import event_log
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry
from credits.ledger.selectors import balance_at
from credits.notifications.choices import NotificationKind
from credits.notifications.models import BalanceAlert, Notification
from credits.notifications.services import notification_create

log = logging.getLogger(__name__)


def balance_alert_of(tenant: Tenant) -> BalanceAlert | None:
    """The tenant's low-balance alert, or None when none was ever set."""
    return BalanceAlert.objects.filter(tenant=tenant).first()


def balance_alert_threshold(tenant: Tenant) -> Decimal | None:
    """The threshold below which the tenant is alerted; None: off."""
    return (
        BalanceAlert.objects.filter(tenant=tenant).values_list("threshold", flat=True).first()
    )


def balance_alert_set(
    *, account: CreditAccount, threshold: Decimal | None, acting_user: User | None
) -> bool:
    """Store the threshold (checked by the caller; None turns the alert off), audited,
    under the account's lock. A new threshold re-arms the alert. Returns whether
    anything changed."""
    with transaction.atomic():
        locked = CreditAccount.objects.locked(account)
        alert, _created = BalanceAlert.objects.select_for_update().get_or_create(
            tenant_id=locked.tenant_id
        )
        if alert.threshold == threshold:
            return False
        before = {"threshold": None if alert.threshold is None else str(alert.threshold)}
        alert.threshold = threshold
        alert.alerted_at = None
        alert.alerted_entry_id = None
        alert.updated_at = timezone.now()
        alert.save()
        audit_record(
            tenant=locked.tenant, actor=acting_user, action="credits.balance_alert_update",
            target=f"Credit account {locked.pk}", before=before,
            after={"threshold": None if threshold is None else str(threshold)},
        )
    return True


def _last_entry_id(account: CreditAccount) -> int:
    return (
        LedgerEntry.objects.filter(account=account).order_by("-id").values_list("id", flat=True)
        .first()
    ) or 0


def _rearmed(alert: BalanceAlert, account: CreditAccount) -> bool:
    """Whether the balance has been at or above the threshold since the last alert."""
    if alert.alerted_entry_id is None:
        return True
    return LedgerEntry.objects.filter(
        account=account, pk__gt=alert.alerted_entry_id, balance_after__gte=alert.threshold
    ).exists()


def balance_alert_evaluate(
    alert: BalanceAlert, account: CreditAccount, *, at: datetime | None = None
) -> Notification | None:
    """Alert once per crossing (see the module docstring); the caller holds the account's
    lock. Returns the notification when one was recorded."""
    if alert.threshold is None or account.is_closed:
        return None
    now = at or timezone.now()
    balance = balance_at(account=account, at=max(now, account.last_posted_at or now))
    if balance >= alert.threshold:
        if alert.alerted_entry_id is not None:
            BalanceAlert.objects.filter(pk=alert.pk).update(alerted_at=None, alerted_entry_id=None)
            alert.alerted_at = alert.alerted_entry_id = None
        return None
    if not _rearmed(alert, account):
        return None
    entry_id = _last_entry_id(account)
    BalanceAlert.objects.filter(pk=alert.pk).update(alerted_at=now, alerted_entry_id=entry_id)
    alert.alerted_at, alert.alerted_entry_id = now, entry_id
    event_log(log, "balance_alert.sent", tenant_id=account.tenant_id, account_id=account.pk,
              balance=balance, threshold=alert.threshold)
    return notification_create(
        tenant=account.tenant, kind=NotificationKind.BALANCE_LOW,
        dedupe_key=f"balance_low:{entry_id}:{alert.threshold}",
        params={"balance": str(balance), "threshold": str(alert.threshold),
                "currency": account.currency, "at": now.astimezone(UTC).isoformat()},
    )


def balance_alert_check(*, account: CreditAccount, at: datetime | None = None) -> None:
    """Alert the tenant if this account's usable balance fell below its threshold; one
    query when no alert is set. Call it under the account's lock (``recharge_check``)
    or through ``balance_alert_recheck``."""
    alert = BalanceAlert.objects.filter(
        tenant_id=account.tenant_id, threshold__isnull=False
    ).first()
    if alert is not None:
        balance_alert_evaluate(alert, account, at=at)


def balance_alert_recheck(*, account_id: int, at: datetime | None = None) -> None:
    """``balance_alert_check`` under the account's lock, for a posting made elsewhere (a
    staff debit correction or reversal; the expiry run)."""
    account = CreditAccount.objects.filter(pk=account_id).first()
    if account is None:
        return
    with transaction.atomic():
        balance_alert_check(account=CreditAccount.objects.locked(account), at=at)


def balance_alerts_sweep(*, at: datetime | None = None) -> int:
    """Check every tenant with a threshold (the daily jobs, after the expiry run): a
    balance lowered by expired funds, or by any posting no check saw, alerts once.
    Returns how many alerts were sent."""
    sent = 0
    accounts = dict(
        CreditAccount.objects.filter(
            tenant__balance_alert__threshold__isnull=False
        ).values_list("tenant_id", "pk")
    )
    for alert in BalanceAlert.objects.filter(
        tenant_id__in=list(accounts), threshold__isnull=False
    ).order_by("pk"):
        account = CreditAccount.objects.get(pk=accounts[alert.tenant_id])
        with transaction.atomic():
            locked = CreditAccount.objects.locked(account)
            alert.refresh_from_db()
            sent += balance_alert_evaluate(alert, locked, at=at) is not None
    return sent
