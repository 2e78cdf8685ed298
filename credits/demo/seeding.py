"""What credits adds to ``manage.py seed_demo`` (registered in ``credits.console``):
sample rates, each demo tenant's credit history, calls, payment methods and today's
auto-recharge crossing, and ``--calls N`` for a year of Contoso's calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from django.utils.translation import gettext as _

from accounts.demo import DemoRefused, SeedResult
from accounts.models import Tenant, User
from credits.common.bulk import statistics_refresh
from credits.demo.alerts import demo_balance_alert_on
from credits.demo.bulk_calls import (
    BULK_TENANT,
    MAX_CALLS,
    BulkCallsRefused,
    bulk_calls_check,
    bulk_calls_prepare,
)
from credits.demo.calls import call_history_prepare
from credits.demo.history import seed_credit_history
from credits.demo.payments import seed_payment_demo
from credits.demo.recharge import demo_recharge_crossing
from credits.demo.spend import demo_spend_alert_on, demo_spend_check
from credits.usage.selectors import rating_reference_kept
from credits.usage.services.rates import sample_rates_load


class CreditsDemo:
    """The credits part of the demo (see ``accounts.demo.DemoSeeder``)."""

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--calls",
            type=int,
            default=0,
            metavar="N",
            help=_(
                "Also give Contoso N call records over the past year, through the usage import "
                "(charged, paid by monthly demo purchases); at most %(max)s. Needs a fresh "
                "database; again with the same N adds nothing."
            ) % {"max": f"{MAX_CALLS:,}"},
        )

    def check(self, *, options: dict, now: datetime) -> None:
        try:
            bulk_calls_check(
                tenant=Tenant.objects.filter(slug=BULK_TENANT).first(),
                calls=options.get("calls") or 0, now=now,
            )
        except BulkCallsRefused as refusal:
            raise DemoRefused(str(refusal)) from None

    def seed(
        self,
        *,
        result: SeedResult,
        options: dict,
        now: datetime,
        write: Callable[[str], None],
        warn: Callable[[str], None],
    ) -> list[str]:
        calls = options.get("calls") or 0
        # --users N grew the directory: fresh planner statistics before the calls look
        # their users up (the imports refresh the call and ledger tables they grow).
        statistics_refresh({User: result.created_users})
        balances: list[str] = []
        calls_done: list[str] = []
        recharges: list[str] = []
        sample_rates_load()
        # The history imports a day at a time: the rates and the products' inclusions
        # are read once for all of them.
        with rating_reference_kept():
            for tenant in result.tenants:
                billing = User.objects.filter(
                    tenant=tenant, username__startswith="billing@"
                ).first()
                # The cards first: the history's orders are paid with them.
                seed_payment_demo(
                    tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing
                )
                history = call_history_prepare(tenant=tenant, scenario=tenant.slug, now=now)
                bulk = None
                if calls and tenant.slug == BULK_TENANT:
                    bulk = bulk_calls_prepare(
                        tenant=tenant, calls=calls, now=now, history=history, acting_user=billing,
                        progress=lambda done, total, day: write(
                            "  " + _("seeded calls: %(done)s of %(total)s (up to %(day)s)")
                            % {"done": f"{done:,}", "total": f"{total:,}", "day": f"{day:%Y-%m-%d}"}
                        ),
                    )
                    if bulk is None:
                        write(
                            _("%(tenant)s has its %(calls)s seeded calls already.")
                            % {"tenant": tenant.name, "calls": f"{calls:,}"}
                        )
                started = time.perf_counter()
                account = seed_credit_history(
                    tenant=tenant, scenario=tenant.slug, now=now, acting_user=billing,
                    before_posting=bulk or history,
                )
                if bulk is not None:
                    _bulk_report(tenant, bulk, time.perf_counter() - started, write, warn)
                alerted = account is not None and demo_spend_alert_on(
                    tenant=tenant, acting_user=billing
                )
                demo_balance_alert_on(tenant=tenant, acting_user=billing)
                recharge = demo_recharge_crossing(tenant=tenant, now=now)
                if alerted:
                    demo_spend_check(tenant=tenant, now=now)
                if recharge is not None:
                    status = recharge.get_status_display()
                    recharges.append(f"{tenant.name} {recharge.number} ({status})")
                if account is not None:
                    account.refresh_from_db()
                    balances.append(f"{tenant.name} {account.balance:.2f} {account.currency}")
                if history is not None:
                    calls_done.append(f"{tenant.name} {history.result.imported}")
        summary = []
        if balances:
            summary.append(_("Credits balances: %(list)s") % {"list": ", ".join(balances)})
        if calls_done:
            summary.append(
                _("Calls imported (simulated history): %(list)s") % {"list": ", ".join(calls_done)}
            )
        if recharges:
            summary.append(
                _(
                    "Auto-recharge started by today's calls: %(list)s (the background worker "
                    "pays it; then see the subscription's transactions and the Message center)"
                ) % {"list": ", ".join(recharges)}
            )
        return summary


def _bulk_report(
    tenant: Tenant, bulk, seconds: float, write: Callable[[str], None], warn: Callable[[str], None]
) -> None:
    rate = bulk.imported / seconds if seconds else 0
    write(
        _(
            "Seeded calls (--calls): %(tenant)s %(calls)s in %(seconds)s s (%(rate)s calls/s, "
            "with the demo history); %(charged)s charged calls, %(funded)s %(currency)s of "
            "monthly demo purchases to pay for them"
        ) % {"tenant": tenant.name, "calls": f"{bulk.imported:,}", "seconds": f"{seconds:.1f}",
             "rate": f"{rate:,.0f}", "charged": f"{bulk.result.calls_charged:,}",
             "funded": f"{bulk.funded:,.2f}", "currency": tenant.currency}
    )
    if bulk.result.rejected:
        first = bulk.result.rejected[0]
        warn(
            _("%(count)s seeded calls were not imported, e.g. %(usage_id)s: %(reason)s")
            % {"count": f"{len(bulk.result.rejected):,}", "usage_id": first.usage_id,
               "reason": first.reason}
        )
