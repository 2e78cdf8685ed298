"""The usage import: idempotent by UsageId, bad rows by line, conflicts, batching, the
recharge hook, and the ledger reconciling afterwards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credits.exceptions import UsageInvalid
from credits.ledger.verification import account_verify
from credits.models import CallRecord, CreditAccount, CreditAccountStatus, LedgerEntry, UsageSource
from credits.usage.services.imports import ChargeAt, usage_import_csv
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    GB_MOBILE,
    T0,
    US_FIXED,
    call_of,
    csv_text,
    import_rows,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund, ledger_snapshot


@pytest.fixture
def staff(tenant, account, test_rates):  # noqa: F811
    fund(account, "100.00")
    return {
        "ana": person(tenant, "ana", DOMESTIC, CREDITS),
        "cy": person(tenant, "cy", CREDITS),
    }


def mixed_rows(staff) -> list[dict[str, str]]:
    return [
        record(upn=staff["ana"].username, destination=US_FIXED, seconds=120),  # pool
        record(upn=staff["cy"].username, destination=GB_MOBILE, seconds=150),  # 0.31
        record(upn=staff["cy"].username, destination=GB_FIXED, seconds=60),  # 0.05
        record(upn=staff["ana"].username, call_type="user_in", destination=US_FIXED,
               caller=GB_FIXED, seconds=600),  # free
    ]


def import_csv(tenant, text: str, **kwargs):
    return usage_import_csv(tenant=tenant, text=text, source=UsageSource.FILE, **kwargs)


def test_a_file_is_rated_charged_and_summarized(tenant, account, staff):
    result = import_csv(tenant, csv_text(mixed_rows(staff)))

    assert (result.received, result.imported, result.duplicates) == (4, 4, 0)
    assert (result.rejected, result.conflicts) == ([], [])
    assert (result.pool_minutes, result.calls_charged, result.charged_minutes) == (2, 2, 4)
    assert (result.amount_charged, result.currency) == (Decimal("0.36"), "USD")
    account.refresh_from_db()
    assert account.balance == Decimal("99.64")
    assert LedgerEntry.objects.filter(reference_type="call").count() == 2  # one per charged call
    assert account_verify(account) == []


def test_the_same_file_twice_charges_once(tenant, account, staff):
    text = csv_text(mixed_rows(staff))
    import_csv(tenant, text)
    before = ledger_snapshot(account)

    again = import_csv(tenant, text)

    assert (again.imported, again.duplicates, again.amount_charged) == (0, 4, 0)
    assert ledger_snapshot(account) == before
    assert CallRecord.objects.count() == 4
    assert account_verify(account) == []


def test_our_own_export_imports_as_duplicates(tenant, account, staff):
    rows = mixed_rows(staff)
    import_rows(tenant, rows)
    for row in rows:  # what an export writes back: the charges filled in
        call = call_of(tenant, row)
        row.update({"Charge": str(call.charge), "Connection Fee": str(call.connection_fee),
                    "Currency": "USD", "Capability": call.capability,
                    "Domestic/International": call.reach, "User Location": "US"})
    assert import_rows(tenant, rows).duplicates == 4


def test_the_same_usage_id_with_other_content_is_a_conflict(tenant, account, staff):
    row = record(upn=staff["cy"].username, destination=GB_FIXED, seconds=60)
    import_rows(tenant, [row])
    before = ledger_snapshot(account)
    changed = dict(row, **{"Duration Seconds": "61"})

    result = import_rows(tenant, [changed])

    [conflict] = result.conflicts
    assert (conflict.line, conflict.usage_id, conflict.code) == (2, row["UsageId"], "conflict")
    assert "already imported with different content" in conflict.reason
    assert result.imported == 0
    assert ledger_snapshot(account) == before
    assert call_of(tenant, row).duration_seconds == 60


def test_repeats_inside_one_file(tenant, account, staff):
    row = record(upn=staff["cy"].username, destination=GB_FIXED, seconds=60)
    other = dict(row, **{"Destination Number": GB_MOBILE})

    result = import_rows(tenant, [row, dict(row), other])

    assert (result.imported, result.duplicates) == (1, 1)
    [conflict] = result.conflicts
    assert conflict.line == 4 and "also on line 2" in conflict.reason
    assert LedgerEntry.objects.filter(reference_type="call").count() == 1


def test_bad_rows_are_reported_by_line_and_good_rows_go_in(tenant, account, staff):
    good = record(upn=staff["cy"].username, destination=GB_FIXED)
    rows = [
        good,
        record(upn=staff["cy"].username, **{"Call Type": "user_sideways"}),
        record(upn=staff["cy"].username, **{"Start Time": "yesterday"}),
        record(upn=staff["cy"].username, **{"UsageId": ""}),
        record(upn=staff["cy"].username, **{"Duration Seconds": "-5"}),
        record(upn=staff["cy"].username, **{"Duration Seconds": "9999"}),
        record(upn=staff["cy"].username, **{"End Time": "2025-01-01T00:00:00Z"}),
        record(upn=staff["cy"].username, destination="+4412"),
        record(upn=staff["cy"].username, **{"Currency": "EUR"}),
        record(upn="ghost@contoso.example"),
    ]
    text = csv_text(rows)

    result = import_csv(tenant, text)

    assert result.imported == 1 and call_of(tenant, good) is not None
    reasons = {problem.line: problem.reason for problem in result.rejected}
    assert sorted(reasons) == list(range(3, 12))  # CSV lines: the header is line 1
    assert "Call Type 'user_sideways' is not one of" in reasons[3]
    assert reasons[4] == "Start Time 'yesterday' is not an ISO 8601 date and time"
    assert reasons[5] == "UsageId is missing"
    assert reasons[6] == "Duration Seconds cannot be negative"
    assert reasons[7].startswith("Duration Seconds (9999) is longer than the time between")
    assert reasons[8] == "End Time is before Start Time"
    assert "+4412 is not a valid phone number" in reasons[9]
    assert reasons[10] == "Currency is EUR, but Contoso is billed in USD"
    assert reasons[11] == "ghost@contoso.example is not a user of this organization"


def test_a_row_with_the_wrong_number_of_fields(tenant, account, staff):
    text = csv_text([record(upn=staff["cy"].username)]) + "only,three,fields\n"
    result = import_csv(tenant, text)
    assert [(p.line, p.reason) for p in result.rejected] == [
        (3, "has 3 fields, the header has 20")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("UsageId,Call Type\n1,user_out\n", "the header lacks Destination Number"),
        ("UsageId,Call Type,Destination Number,Start Time,End Time,Colour\n",
         "unknown column 'Colour'"),
    ],
)
def test_a_file_without_the_header_imports_nothing(tenant, account, staff, text, message):
    with pytest.raises(UsageInvalid, match=message):
        import_csv(tenant, text)
    assert not CallRecord.objects.exists()


def test_too_many_records_imports_nothing(tenant, account, staff):
    rows = [record(upn=staff["cy"].username) for _ in range(4)]
    with pytest.raises(UsageInvalid, match="More than 3 call records"):
        import_csv(tenant, csv_text(rows), max_records=3)
    assert not CallRecord.objects.exists()


def test_the_minimal_header_is_enough(tenant, account, staff):
    text = (
        "UsageId,UPN,Call Type,Destination Number,Start Time,End Time\n"
        f"min-1,{staff['cy'].username},user_out,{GB_FIXED},{T0:%Y-%m-%dT%H:%M:%SZ},"
        f"{T0 + timedelta(seconds=90):%Y-%m-%dT%H:%M:%SZ}\n"
    )
    result = import_csv(tenant, text)
    call = CallRecord.objects.get(usage_id="min-1")
    assert (result.imported, call.duration_seconds, call.charge) == (1, 90, Decimal("0.09"))


def test_chunks_commit_separately_and_a_rerun_completes_the_import(tenant, account, staff):
    rows = [record(upn=staff["cy"].username, destination=GB_FIXED) for _ in range(7)]
    first = import_rows(tenant, rows[:4], chunk_size=2)
    result = import_rows(tenant, rows, chunk_size=3)
    assert (first.imported, result.imported, result.duplicates) == (4, 3, 4)
    assert LedgerEntry.objects.filter(reference_type="call").count() == 7
    assert account_verify(account) == []


def test_a_closed_account_charges_nothing_and_rejects_paid_calls(tenant, account, staff):
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccountStatus.CLOSED)
    before = ledger_snapshot(account)

    result = import_rows(tenant, mixed_rows(staff))

    assert result.imported == 2  # the pooled and the free call
    assert [p.code for p in result.rejected] == ["not_covered", "not_covered"]
    assert ledger_snapshot(account) == before


def test_the_recharge_check_runs_after_each_charged_chunk_commits(
    tenant, account, staff, django_capture_on_commit_callbacks
):
    with (
        mock.patch("credits.usage.services.imports.recharge_check") as check,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        import_rows(tenant, mixed_rows(staff), chunk_size=2)
        assert check.call_count == 0  # not before the commit
    # chunk 1 (a pool call and a free call) charged nothing (the others: the ledger's log lines)
    checks = [c for c in callbacks if getattr(c, "func", None) is check]
    assert len(checks) == 2
    assert check.call_count == 2
    assert check.call_args.kwargs["account"].pk == account.pk


def test_no_recharge_check_when_nothing_was_charged(
    tenant, account, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        import_rows(tenant, [record(upn=staff["ana"].username, destination=US_FIXED)])
    assert callbacks == []


def test_rating_reads_in_batches_not_per_row(tenant, account, staff):
    def queries_for(count: int) -> int:
        rows = [
            record(upn=staff["cy" if n % 2 else "ana"].username,
                   destination=GB_FIXED if n % 2 else US_FIXED)
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            import_rows(tenant, rows)
        return len([q for q in captured if not q["sql"].startswith("INSERT")])

    assert queries_for(3) == queries_for(60)


def test_charges_can_take_effect_at_each_calls_end(tenant, other_tenant, test_rates):  # noqa: F811
    from datetime import timedelta

    from credits.exceptions import LedgerError
    from tests.credits.calls import T0
    from tests.credits.factories import CreditAccountFactory

    account = CreditAccountFactory(tenant=other_tenant)
    account.currency = "GBP"
    fund(account, "20.00", at=T0 - timedelta(days=1))
    cy = person(other_tenant, "cy", CREDITS, location="GB")
    call = record(upn=cy.username, destination=US_FIXED, start=T0, seconds=60)  # 0.015 GBP

    import_rows(other_tenant, [call], charge_at=ChargeAt.CALL_END)

    entry = call_of(other_tenant, call).entry
    assert entry.created_at == call_of(other_tenant, call).end_time
    earlier = record(upn=cy.username, destination=US_FIXED, start=T0 - timedelta(hours=1))
    with pytest.raises(LedgerError, match="time order"):
        import_rows(other_tenant, [earlier], charge_at=ChargeAt.CALL_END)
    assert call_of(other_tenant, earlier) is None
    assert account_verify(account) == []


def test_the_fast_insert_writes_every_column_of_a_call_record():
    from credits.usage.services.imports import CALL_COLUMNS

    columns = {f.attname for f in CallRecord._meta.concrete_fields if not f.primary_key}
    assert set(CALL_COLUMNS) == columns and len(CALL_COLUMNS) == len(columns)
