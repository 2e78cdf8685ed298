"""Run the daily jobs once: the expiry run, expiry reminders, stale recharge recovery,
undelivered notifications, and report exports older than 24 hours.

Schedule it once a day (cron or a systemd timer); a second run the same day is harmless.
``--enqueue`` hands the work to a ``db_worker`` instead of running it here.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.commands import ConsoleCommand
from credits.daily import daily_jobs_run
from credits.tasks import daily_jobs_task


class Command(ConsoleCommand):
    help = _lazy(
        "Run the daily jobs: expiry entries, expiry reminders, stale recharge recovery."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue", action="store_true", help=_("Enqueue the jobs for a db_worker.")
        )

    def handle(self, *args, **options) -> None:
        if options["enqueue"]:
            result = daily_jobs_task.enqueue()
            self.stdout.write(_("Enqueued the daily jobs (task %(id)s).") % {"id": result.id})
            return
        summary = daily_jobs_run()
        self.stdout.write(
            _(
                "Expiry entries written: %(expired_entries)s; reminders sent: %(reminders)s; "
                "stale recharges finished: %(recharges_recovered)s; undelivered "
                "notifications retried: %(notifications_retried)s; old exports deleted: "
                "%(exports_deleted)s."
            ) % summary
        )
