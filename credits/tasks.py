"""Background tasks (django-tasks; the database backend's ``db_worker`` runs them).

Each task is a thin call into a service, so the work is the same inline (tests use the
immediate backend) or in a worker. Services enqueue them by name through
``credits.common.jobs`` after their transaction commits; the app's ``ready()`` imports
this module, which registers them there. The task paths (``credits.tasks.<name>``) are
stored with queued jobs, so they stay put.
"""

from __future__ import annotations

from django_tasks import task

from credits.billing.services.auto_recharge import recharge_pay
from credits.billing.services.recovery import payments_recover
from credits.common.jobs import registered
from credits.daily import daily_jobs_run
from credits.notifications.alerts import balance_alert_recheck
from credits.notifications.services import notification_send
from credits.notifications.webhooks.delivery import webhook_deliver, webhooks_sweep
from credits.reports.services import report_export_run


@registered
@task()
def recharge_pay_task(order_id: int) -> str:
    return recharge_pay(order_id=order_id).status


@registered
@task()
def payments_recover_task(generation: int | None = None) -> dict:
    """The recurring recovery of interrupted payments; it queues its own next run
    (credits.billing.services.schedule)."""
    return payments_recover(generation=generation)


@registered
@task()
def notification_send_task(notification_id: int) -> str:
    return notification_send(notification_id=notification_id).status


@registered
@task()
def balance_alert_check_task(account_id: int) -> None:
    balance_alert_recheck(account_id=account_id)


@registered
@task()
def webhook_deliver_task(delivery_id: int) -> str:
    return webhook_deliver(delivery_id=delivery_id).status


@registered
@task()
def webhooks_sweep_task(generation: int | None = None) -> dict:
    """The retries of webhook deliveries that are due; it queues its own next run
    (credits.notifications.webhooks.delivery)."""
    return webhooks_sweep(generation=generation)


@registered
@task()
def daily_jobs_task() -> dict:
    return daily_jobs_run()


@registered
@task()
def report_export_task(export_id: int) -> str:
    return report_export_run(export_id=export_id).status
