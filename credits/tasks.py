"""Background tasks (django-tasks; the database backend's ``db_worker`` runs them).

Services enqueue them with ``transaction.on_commit``; each task is a thin call into a
service, so the work is the same inline (tests use the immediate backend) or in a worker.
"""

from __future__ import annotations

from django_tasks import task


@task()
def recharge_pay_task(order_id: int) -> str:
    from credits.billing.services.auto_recharge import recharge_pay

    return recharge_pay(order_id=order_id).status


@task()
def notification_send_task(notification_id: int) -> str:
    from credits.notifications.services import notification_send

    return notification_send(notification_id=notification_id).status


@task()
def daily_jobs_task() -> dict:
    from credits.daily import daily_jobs_run

    return daily_jobs_run()


@task()
def report_export_task(export_id: int) -> str:
    from credits.reports.services import report_export_run

    return report_export_run(export_id=export_id).status
