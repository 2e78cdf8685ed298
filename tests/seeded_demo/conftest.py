"""The tests in this package read the demo as ``seed_demo`` makes it (README, "Demo
sign-ins"). Seeding takes 13–20 s, so it is done once for the package, not once per test:
every module here is marked ``xdist_group("seeded_demo")`` (`make test` keeps the group on
one worker, Makefile) and every test runs inside the package's transaction, in its own
savepoint, so what a test adds (a second seed, ``--users``) is rolled back after it. The
package's transaction is rolled back when its last test ends.

A test that needs the demo seeded another way (another day, other options) does not
belong here: it seeds in its own test (``tests/credits/demo/``).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase

DEMO_PASSWORD = "demo-password-1"


@pytest.fixture(scope="package", autouse=True)
def seeded_demo(django_db_setup, django_db_blocker) -> str:
    """What the first ``seed_demo`` printed. Its on-commit work runs as under ``make
    demo`` (the auto-recharge today's calls start is paid)."""
    # The services' durable transactions nest in it as they do in a test's (Django marks a
    # TestCase's own blocks so).
    outer = transaction.atomic()
    outer._from_testcase = True
    out = StringIO()
    with django_db_blocker.unblock(), outer:
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", "--password", DEMO_PASSWORD, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seed_again():
    """Runs ``seed_demo`` again (inside the test's savepoint), its on-commit work run too;
    returns what it printed."""

    def seed(*args: str) -> str:
        out = StringIO()
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", "--password", DEMO_PASSWORD, *args, stdout=out)
        return out.getvalue()

    return seed
