"""The usage import's set-based path: the same results, idempotency and errors by line on
SQLite and PostgreSQL (the UsageIds staged with COPY there), the fast parse of plain rows
agreeing with the checks field by field, and planner statistics refreshed after imports."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from credits.common import bulk
from credits.ledger.verification import account_verify
from credits.models import CallDaySummary, CallRecord, LedgerEntry, LotMovement, UsageSource
from credits.usage.choices import CallType
from credits.usage.services import imports as usage
from credits.usage.services.imports import usage_import_csv
from credits.usage.telephony import records
from credits.usage.telephony.records import RecordError, record_parse
from tests.credits.calls import (
    CREDITS,
    DOMESTIC,
    GB_FIXED,
    GB_MOBILE,
    T0,
    US_FIXED,
    csv_text,
    person,
    record,
    test_rates,  # noqa: F401 - fixture
)
from tests.credits.factories import fund, ledger_snapshot
from tests.hypothesis_budget import examples

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY staging and ANALYZE are PostgreSQL's"
)


@pytest.fixture
def staff(tenant, account, test_rates):  # noqa: F811
    fund(account, "500.00")
    return {
        "ana": person(tenant, "ana", DOMESTIC, CREDITS),
        "cy": person(tenant, "cy", CREDITS),
    }


def _file(staff) -> tuple[str, list[dict[str, str]]]:
    """A file of 40 good calls (pools, charges, free calls) with bad rows, a repeat and a
    conflict among them, over several chunks."""
    rows = []
    for n in range(40):
        who = staff["ana" if n % 2 else "cy"].username
        destination = (US_FIXED, GB_MOBILE, GB_FIXED)[n % 3]
        rows.append(record(upn=who, destination=destination, start=T0 + timedelta(minutes=n),
                           seconds=30 + 17 * n))
    rows.insert(5, record(upn=staff["cy"].username, **{"Call Type": "user_sideways"}))
    rows.insert(12, record(upn=staff["cy"].username, **{"Duration Seconds": "-5"}))
    rows.insert(20, dict(rows[3]))  # the same call again: a duplicate in the file
    rows.insert(30, dict(rows[4], **{"Caller ID": GB_FIXED}))  # a conflict
    rows.append(record(upn="ghost@contoso.example"))
    return csv_text(rows), rows


def _import(tenant, text: str, chunk_size: int):
    return usage_import_csv(
        tenant=tenant, text=text, source=UsageSource.FILE, chunk_size=chunk_size
    )


def _problems(result) -> list[tuple]:
    return [(p.line, p.usage_id, p.code, p.reason) for p in result.rejected + result.conflicts]


@pytest.mark.parametrize("chunk_size", [7, 5000])
def test_a_reimport_changes_nothing_and_reports_the_same_errors_by_line(
    tenant, account, staff, chunk_size
):
    text, _rows = _file(staff)

    first = _import(tenant, text, chunk_size)
    after_first = (ledger_snapshot(account), CallRecord.objects.count(),
                   LedgerEntry.objects.count(), LotMovement.objects.count(),
                   sorted(CallDaySummary.objects.values_list("day", "calls", "charge")))
    second = _import(tenant, text, chunk_size)

    assert first.imported == 40 and first.duplicates == 1  # 40 calls, one of them twice
    assert [p[0] for p in _problems(first)] == [7, 14, 46, 32]  # CSV lines, header line 1
    assert [p[2] for p in _problems(first)] == [
        "invalid_record", "invalid_record", "unknown_user", "conflict"
    ]
    assert first.calls_charged > 0 and first.pool_minutes > 0
    # Again: every good call is a duplicate, the same rows refused for the same reasons.
    assert second.imported == 0 and second.duplicates == 41
    assert _problems(second) == _problems(first)
    assert (ledger_snapshot(account), CallRecord.objects.count(),
            LedgerEntry.objects.count(), LotMovement.objects.count(),
            sorted(CallDaySummary.objects.values_list("day", "calls", "charge"))) == after_first
    assert account_verify(account) == []


def _locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()")
        return cursor.fetchone()[0]


@postgresql_only
def test_postgresql_stages_the_usage_ids_with_copy_in_one_table_per_session(
    tenant, account, staff
):
    text, _rows = _file(staff)
    _import(tenant, text, 7)
    held = _locks_held()

    with mock.patch.object(usage, "staging_copy", wraps=bulk.staging_copy) as staged:
        again = _import(tenant, text, 7)

    assert staged.call_count == 6  # one per chunk of 7 of the 41 calls
    assert again.duplicates == 41 and again.imported == 0
    # The staging table is reused, not created per chunk: a long transaction (this test's)
    # holds no more locks after six more chunks.
    assert _locks_held() <= held + 2


# ------------------------------------------------------------------------------ parsing

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12
)


@settings(max_examples=examples(150), deadline=None)
@given(
    usage_id=st.one_of(_TEXT, st.just("call-1"), st.just(" call-1 ")),
    call_type=st.sampled_from(["user_out", "USER_IN", "conf_out", "", "sideways", " user_out"]),
    destination=st.sampled_from([US_FIXED, "", " +12065550100 ", "12"]),
    start=st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-01T10:00:00", "2026-03-01 10:00",
                           "2026-03-01T11:00:00+01:00", "yesterday", ""]),
    seconds=st.integers(-5, 3 * 24 * 3600),
    given_duration=st.one_of(st.none(), st.integers(-3, 200), st.text(max_size=4)),
    location=st.sampled_from(["", "us", "USA", "G1"]),
    upn=st.one_of(_TEXT, st.just("Ana@Contoso.example")),
    long_field=st.sampled_from(["", "x" * 101, "y" * 300]),
    number=st.one_of(st.none(), st.integers(0, 99)),
    # a JSON object may name a column twice (the header's name and snake_case): the last
    # one counts; a value may be an enum member (a str) or something else (bytes, a list)
    twice=st.sampled_from([None, ("usage_id", "call-2"), ("destination_number", "12"),
                           ("call_type", CallType.CONF_OUT), ("upn", b"ana"), ("upn", [])]),
)
def test_the_fast_parse_agrees_with_the_checks(
    usage_id, call_type, destination, start, seconds, given_duration, location, upn,
    long_field, number, twice,
):
    row = record(upn=upn, uid=usage_id or "", **{
        "Call Type": call_type, "Destination Number": destination, "User Location": location,
        "Start Time": start, "Call ID": long_field,
    })
    row["UsageId"] = usage_id
    if start and start != "yesterday":
        try:
            from_ = datetime.fromisoformat(start)
            row["End Time"] = (from_ + timedelta(seconds=seconds)).isoformat()
        except ValueError:
            pass
    row["Duration Seconds"] = "" if given_duration is None else str(given_duration)
    if number is not None:  # JSON gives a number: only the checks take it
        row["Duration Seconds"] = number
    if twice is not None:
        row[twice[0]] = twice[1]

    try:
        expected = records._checked_parse(dict(row), line=4)
    except RecordError as error:
        expected = error.reason
    try:
        got = record_parse(dict(row), line=4)
    except RecordError as error:
        got = error.reason
    assert got == expected


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    ("tuples", "changed", "stale"),
    [(-1, 1, True), (0, 5, True), (1_000_000, 9_999, False), (1_000_000, 10_000, True),
     (50_000, 5_000, False), (50_000, 5_001, True), (50_000, 0, False)],
)
def test_statistics_are_stale_past_ten_percent_or_ten_thousand_rows(tuples, changed, stale):
    assert bulk.statistics_stale(tuples=tuples, changed=changed) is stale


def test_statistics_refresh_is_a_no_op_off_postgresql(db):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL analyzes")
    assert bulk.statistics_refresh({CallRecord: 1_000_000}) == []


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_analyzes_the_tables_it_grew(tenant, account, staff):
    text, _rows = _file(staff)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE credits_callrecord")
    with mock.patch.object(usage, "statistics_refresh", wraps=bulk.statistics_refresh) as refresh:
        result = _import(tenant, text, 5000)

    assert refresh.call_count == 1
    grown = refresh.call_args.args[0]
    assert grown[CallRecord] == result.imported and grown[LedgerEntry] == result.calls_charged
    # The table held no rows at its last ANALYZE: 40 more is more than 10 %.
    assert "credits_callrecord" in result.analyzed
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'credits_callrecord'::regclass"
        )
        assert cursor.fetchone()[0] >= result.imported
    # Only the columns the console's queries plan on were analyzed (the free-text rest is
    # autovacuum's), and the table's size counts as measured: a small import after it
    # has nothing to do.
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_stats WHERE tablename = 'credits_callrecord'")
        analyzed = {name for (name,) in cursor.fetchall()}
    assert analyzed == {
        CallRecord._meta.get_field(name).column for name in usage.CALL_PLANNER_FIELDS
    }
    assert bulk.statistics_refresh({CallRecord: 1}) == []


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_table_that_grew_past_its_statistics_is_analyzed_again(tenant, account, staff):
    text, _rows = _file(staff)
    _import(tenant, text, 5000)  # analyzes the empty table's new rows
    with connection.cursor() as cursor:
        # As if the statistics were taken when the table held a tenth of the calls.
        cursor.execute(
            "UPDATE pg_class SET reltuples = 4 WHERE oid = 'credits_callrecord'::regclass"
        )
    assert bulk.statistics_refresh({CallRecord: 1}) == ["credits_callrecord"]
