"""The demo's call history (seed_demo): months of calls through the simulator and the
import, posted in time order with the credit history. Seeded just after midnight:
tests/credits/demo/test_demo_spend.py; as seeded now, and seeded twice:
tests/seeded_demo/test_call_history.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from credits.demo.calls import call_history_prepare
from credits.demo.history import history_days, seed_credit_history
from credits.demo.payments import seed_payment_demo
from credits.ledger.verification import account_verify
from credits.models import (
    CallRecord,
)
from credits.usage.telephony.records import calls_kept_since

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_calls_are_charged_at_their_end_in_time_order_with_the_fundings(tenant, other_tenant):
    from tests.accounts.factories import UserFactory
    from tests.credits.calls import person

    for slug, target in (("contoso", tenant), ("fabrikam", other_tenant)):
        person(target, "caller", "MCOPSTNC", "MCOPSTN1", "MCOEV",
               location=target.country)
        UserFactory(tenant=target)
        seed_payment_demo(tenant=target, scenario=slug, now=NOW)
        history = call_history_prepare(tenant=target, scenario=slug, now=NOW)
        account = seed_credit_history(tenant=target, scenario=slug, now=NOW,
                                      before_posting=history)
        entries = list(account.entries.order_by("id").values_list("created_at", flat=True))
        assert entries == sorted(entries)
        calls = CallRecord.objects.filter(tenant=target)
        assert calls.count() == history.result.imported > 0
        days = {moment.date() for moment in calls.values_list("start_time", flat=True)}
        # Calls since the first order, within the 13 months the import keeps.
        first = max(NOW.date() - timedelta(days=history_days(slug)),
                    calls_kept_since(NOW).date() + timedelta(days=1))
        assert min(days) == first
        assert max(days) == NOW.date() - timedelta(days=1)
        for charged in calls.filter(charge__gt=0).select_related("entry")[:20]:
            assert charged.entry.created_at == charged.end_time
        assert account_verify(account, at=NOW) == []
        assert account.balance > 0


def test_no_call_history_for_a_tenant_without_a_scenario(db):
    from tests.accounts.factories import TenantFactory

    northwind = TenantFactory(slug="northwind", country="DE", currency="EUR")
    assert call_history_prepare(tenant=northwind, scenario="northwind", now=NOW) is None
