"""Bulk helpers shared by the apps (accounts/batching.py)."""

import gc
import threading

import pytest

from accounts.batching import collector_paused, in_batches
from credits.usage.choices import UsageSource
from credits.usage.services import imports
from credits.usage.telephony.records import csv_write_header


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_in_batches_splits_in_order_and_yields_nothing_for_nothing():
    assert [list(batch) for batch in in_batches(list(range(5)), 2)] == [[0, 1], [2, 3], [4]]
    assert list(in_batches([])) == []


def test_the_collector_is_off_during_a_load_and_on_again_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_load_turns_the_collector_back_on(collector_on):
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("bad row")
    assert gc.isenabled()


def test_nested_loads_turn_it_back_on_only_when_the_outer_one_ends(collector_on):
    @collector_paused()
    def inner():
        assert not gc.isenabled()

    with collector_paused():
        inner()
        assert not gc.isenabled()  # the outer load is still running
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_loads_in_two_threads_share_the_pause(collector_on):
    first_in = threading.Event()
    second_done = threading.Event()
    seen: list[bool] = []

    def first():
        with collector_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())  # the other thread's load ended meanwhile

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    second_done.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.django_db
def test_the_usage_import_runs_with_the_collector_off(collector_on, tenant, monkeypatch):
    states: list[bool] = []

    def validated(*args):
        states.append(gc.isenabled())
        return []  # nothing valid: the import ends here

    monkeypatch.setattr(imports, "_validated", validated)
    result = imports.usage_import_csv(
        tenant=tenant, text=csv_write_header(), source=UsageSource.FILE
    )
    assert result.imported == 0
    assert states == [False]
    assert gc.isenabled()
