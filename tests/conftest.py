"""Personas shared by every test: admins of Contoso by role, and an admin of another tenant."""

from __future__ import annotations

import functools
import os

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from accounts.management.commands.compile_catalogs import compile_catalogs
from accounts.models import AdminRole
from tests.accounts.factories import AdminFactory, TenantFactory, UserFactory
from tests.accounts.security.helpers import verify_session
from tests.hypothesis_budget import FULL_EXAMPLES

# Hypothesis profiles. "ci" is Hypothesis' defaults, so every property test runs as many
# examples as it is written for (tests/hypothesis_budget.py scales the ones that choose
# their own number); "dev", the default for `make test`, runs a fifth of them. CI=true
# loads "ci"; HYPOTHESIS_PROFILE=ci|dev chooses either.
hypothesis_settings.register_profile("ci", max_examples=FULL_EXAMPLES)
hypothesis_settings.register_profile("dev", max_examples=FULL_EXAMPLES // 5)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"} else "dev"
)
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)

# Management commands speak the terminal's language (README, "Languages and time zones"):
# the tests expect their English, whatever the developer's terminal is set to.
for _locale_variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_locale_variable, None)
os.environ["LANG"] = "C.UTF-8"


def pytest_configure(config: pytest.Config) -> None:
    """The pages are tested in Chinese with the catalogs as they are now: a run compiles any
    .po whose .mo is missing or different (once, before the xdist workers start), as
    `make install` does (README, Languages)."""
    if not hasattr(config, "workerinput"):
        from django.conf import settings

        compile_catalogs(settings.LOCALE_PATHS)


UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` keeps the tests marked ``xdist_group`` on one worker (--dist loadgroup,
    Makefile): pytest-xdist tells the scheduler by a suffix on their node ids. A pytest
    or xdist release where that suffix no longer sticks would split the groups silently
    (each worker seeding the demo again): those tests fail instead, saying why."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid:
            item.stash[UNGROUPED] = (
                "--dist loadgroup did not keep this xdist_group test with its group: this "
                "pytest-xdist does not work with this pytest (pyproject.toml pins them)."
            )


def pytest_report_header() -> str:
    examples = hypothesis_settings.default.max_examples
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} (max_examples={examples})"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``postgres`` prove concurrency guarantees and need PostgreSQL.

    On SQLite (which serializes every write) they are skipped with the reason; CI runs the
    suite once more on PostgreSQL, where they run. A run that asked for PostgreSQL through
    DATABASE_URL but got another engine fails under CI=true instead of skipping quietly.
    """
    if UNGROUPED in item.stash:
        pytest.fail(item.stash[UNGROUPED], pytrace=False)
    if item.get_closest_marker("postgres") is None or connection.vendor == "postgresql":
        return
    reason = f"needs PostgreSQL (DATABASE_URL=postgres://...); the database is {connection.vendor}"
    asked_for_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if os.environ.get("CI", "").lower() == "true" and asked_for_postgres:
        pytest.fail(f"CI=true and DATABASE_URL names PostgreSQL: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def each_test_starts_in_the_default_language():
    """A request leaves its language active in the thread (Django's ``LocaleMiddleware``
    and ``accounts.shell.locale.UserLocaleMiddleware`` activate one per request and the
    next request activates its own): a test after a Chinese page would read the next
    service's messages in Chinese. Each test starts, and ends, in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def force_login_passes_the_second_factor():
    """``client.force_login(user)`` signs in as a person would: the password, then the
    second factor (an authenticator app created for the user), so the tests of Global and
    Billing Administrators run with "Require MFA for admins" on, as tenants have it.
    ``tests.accounts.security.helpers.password_only_login`` stops after the password."""
    original = Client.force_login

    @functools.wraps(original)
    def force_login(self, user, backend=None):
        original(self, user, backend)
        verify_session(self, user)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "force_login", force_login)
        yield


@pytest.fixture
def tenant(db):
    return TenantFactory(name="Contoso", slug="contoso", country="US", currency="USD")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="Fabrikam", slug="fabrikam", country="GB", currency="GBP")


@pytest.fixture
def global_admin(tenant):
    return AdminFactory(
        tenant=tenant, username="admin@contoso.example", display_name="Megan Bowen",
        roles=[AdminRole.GLOBAL_ADMIN],
    )


@pytest.fixture
def billing_admin(tenant):
    return AdminFactory(
        tenant=tenant, username="billing@contoso.example", display_name="Alex Wilber",
        roles=[AdminRole.BILLING_ADMIN],
    )


@pytest.fixture
def reports_reader(tenant):
    return AdminFactory(
        tenant=tenant, username="reports@contoso.example", display_name="Lidia Holloway",
        roles=[AdminRole.REPORTS_READER],
    )


@pytest.fixture
def license_admin(tenant):
    return AdminFactory(
        tenant=tenant, username="license@contoso.example", display_name="Isaiah Langer",
        roles=[AdminRole.LICENSE_ADMIN],
    )


@pytest.fixture
def other_tenant_admin(other_tenant):
    return AdminFactory(
        tenant=other_tenant, username="admin@fabrikam.example", display_name="Fabrikam Admin",
        roles=[AdminRole.GLOBAL_ADMIN],
    )


@pytest.fixture
def plain_user(tenant):
    """A directory user without any admin role."""
    return UserFactory(tenant=tenant, username="adele@contoso.example", display_name="Adele Vance")


@pytest.fixture
def admin_client(client, global_admin):
    client.force_login(global_admin)
    return client
