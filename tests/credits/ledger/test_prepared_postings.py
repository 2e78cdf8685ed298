"""A posting's lock, read and write are server-side prepared statements on PostgreSQL
(docs/operations.md, "The ledger"); ``CREDITS_PREPARED_STATEMENTS=false`` turns them off."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits.ledger import services as ledger
from credits.ledger.choices import FundSource
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.verification import account_verify
from tests.accounts.factories import TenantFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def acct(db):
    return CreditAccountFactory(tenant=TenantFactory())


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _post(account: CreditAccount, prefix: str, count: int = 3) -> None:
    ledger.funds_add(
        account=account, amount=Decimal("10.00"), currency=account.currency,
        source=FundSource.TOP_UP, idempotency_key=f"{prefix}:fund",
    )
    for index in range(count):
        ledger.usage_charge(
            account=account, amount=Decimal("0.0123"), currency=account.currency,
            idempotency_key=f"{prefix}:{index}",
        )


def test_postings_use_prepared_statements_and_stay_correct(acct):
    _post(acct, "prepared")
    statements = _prepared()
    assert any("FOR NO KEY UPDATE OF a" in text for text in statements)
    assert any(text.startswith("WITH new_entries") for text in statements)
    assert any("credits_fundlot l ON l.account_id" in text for text in statements)
    acct.refresh_from_db()
    assert acct.balance == Decimal("10.00") - 3 * Decimal("0.0123")
    assert account_verify(acct) == []
    # A replayed key answers from the same prepared read, without a second entry.
    again = ledger.usage_charge(
        account=acct, amount=Decimal("0.0123"), currency=acct.currency,
        idempotency_key="prepared:0",
    )
    acct.refresh_from_db()
    assert acct.balance == Decimal("10.00") - 3 * Decimal("0.0123")
    assert again.idempotency_key == "prepared:0"


def test_the_locked_account_is_the_orm_s(acct):
    locked_raw = CreditAccount.objects.locked(acct)
    expected = CreditAccount.objects.select_related("tenant").get(pk=acct.pk)
    for field in CreditAccount._meta.concrete_fields:
        assert getattr(locked_raw, field.attname) == getattr(expected, field.attname)
    assert locked_raw.tenant == expected.tenant
    assert locked_raw.tenant.name == expected.tenant.name


def test_a_missing_account_is_does_not_exist(acct):
    ghost = CreditAccount(pk=acct.pk + 10_000, tenant=acct.tenant)
    with pytest.raises(CreditAccount.DoesNotExist):
        CreditAccount.objects.locked(ghost)


def test_setting_off_prepares_nothing(acct, settings):
    settings.CREDITS_PREPARED_STATEMENTS = False
    before = _prepared()
    with CaptureQueriesContext(connection) as posted:
        _post(acct, "plain")
    assert _prepared() == before  # nothing prepared by these postings
    assert any("FOR NO KEY UPDATE OF a" in q["sql"] for q in posted.captured_queries)
    acct.refresh_from_db()
    assert account_verify(acct) == []
