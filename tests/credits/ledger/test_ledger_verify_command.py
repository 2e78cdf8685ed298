"""``manage.py ledger_verify`` recomputes every account and names the ones that lie."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from credits.models import CreditAccount, FundLot, LedgerEntry
from tests.credits.factories import T0, charge, fund


@pytest.fixture
def books(account, other_account):
    fund(account, "100", at=T0)
    charge(account, "30", at=T0 + timedelta(days=1))
    fund(other_account, "40", at=T0)
    charge(other_account, "50", at=T0 + timedelta(days=1))  # a deficit
    return account, other_account


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("ledger_verify", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_clean_ledger_passes(books):
    out, err = run()
    assert "2 credit accounts reconcile." in out
    assert err == ""


def test_tampered_cached_balance_fails_naming_the_account(books):
    account, _ = books
    CreditAccount.objects.filter(pk=account.pk).update(balance=Decimal("170"))

    with pytest.raises(CommandError, match="1 of 2 credit account") as error:
        run()

    assert f"credit account {account.pk} of Contoso (contoso, USD)" in str(error.value)
    assert "Fabrikam" not in str(error.value)


def test_mismatch_details_go_to_stderr(books):
    account, _ = books
    CreditAccount.objects.filter(pk=account.pk).update(balance=Decimal("170"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ledger_verify", stdout=StringIO(), stderr=err)
    assert "cached balance 170.0000 != sum of entries 70.0000" in err.getvalue()


def test_tampered_lot_fails(books):
    account, _ = books
    FundLot.objects.filter(account=account).update(remaining=Decimal("75"))
    with pytest.raises(CommandError, match="Contoso"):
        run()


def test_tampered_entry_amount_fails(books):
    _, other = books
    LedgerEntry.objects.filter(account=other, kind="usage").update(amount=Decimal("-45"))
    with pytest.raises(CommandError, match="Fabrikam"):
        run()


def test_tampered_deficit_fails(books):
    _, other = books
    CreditAccount.objects.filter(pk=other.pk).update(deficit=Decimal("0"), balance=Decimal("0"))
    with pytest.raises(CommandError, match="Fabrikam"):
        run()


def test_one_tenant_can_be_checked(books):
    account, other = books
    CreditAccount.objects.filter(pk=other.pk).update(balance=Decimal("1"))
    out, _ = run("--tenant", "contoso")
    assert "1 credit account reconciles." in out
    with pytest.raises(CommandError, match="No credit account for tenant"):
        run("--tenant", "nowhere")


def test_manage_py_exits_with_status_1_naming_the_account(books, capsys):
    """As operators run it: ``manage.py ledger_verify`` exits non-zero on a mismatch."""
    account, _ = books
    CreditAccount.objects.filter(pk=account.pk).update(balance=Decimal("11"))

    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "ledger_verify"])

    assert exit_status.value.code == 1
    err = capsys.readouterr().err
    assert f"MISMATCH credit account {account.pk} of Contoso (contoso, USD)" in err
    assert "CommandError: 1 of 2 credit accounts do not reconcile" in err


def test_manage_py_exits_with_status_0_when_clean(books, capsys):
    execute_from_command_line(["manage.py", "ledger_verify"])
    assert "2 credit accounts reconcile." in capsys.readouterr().out
