"""API token scopes: what each token may do, chosen at creation (default: import and
authorize, what every token could do before scopes), kept by the migration for existing
tokens, checked by every endpoint and shown in the backoffice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from credits.models import ApiToken
from credits.usage.choices import ApiScope
from credits.usage.services.api_tokens import api_token_authenticate, api_token_create
from tests.accounts.factories import StaffFactory
from tests.migrating import migrate_to


def test_a_token_gets_import_and_authorize_unless_told(tenant):
    token, _secret = api_token_create(tenant=tenant, name="PBX")
    assert token.scope_list == ["usage:import", "calls:authorize"]
    assert token.has_scope(ApiScope.IMPORT) and not token.has_scope(ApiScope.READ)


def test_scopes_are_stored_once_each_in_a_fixed_order(tenant):
    token, _ = api_token_create(
        tenant=tenant, name="All", scopes=["calls:authorize", "usage:read", "usage:import",
                                           "usage:read"],
    )
    assert ApiToken.objects.get(pk=token.pk).scopes == "usage:import usage:read calls:authorize"


@pytest.mark.parametrize(("scopes", "says"), [([], "at least one scope"),
                                              (["usage:write"], "Unknown scope 'usage:write'")])
def test_a_token_needs_known_scopes(tenant, scopes, says):
    with pytest.raises(ValueError, match=says):
        api_token_create(tenant=tenant, name="PBX", scopes=scopes)
    assert not ApiToken.objects.exists()


def test_the_database_refuses_an_unknown_scope(tenant):
    token, _ = api_token_create(tenant=tenant, name="PBX")
    for bad in ("usage:write", "usage:read usage:import", " usage:read", "usage:read "):
        with pytest.raises(IntegrityError), transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(scopes=bad)


def test_create_api_token_scope_options(tenant):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "--tenant", "contoso", "--scope", "usage:read",
                 "--scope", "usage:import", stdout=out, stderr=err)
    token = api_token_authenticate(raw=out.getvalue().strip())
    assert token.scopes == "usage:import usage:read"
    assert "scopes: usage:import usage:read" in err.getvalue()

    out = StringIO()
    call_command("create_api_token", "--tenant", "contoso", stdout=out, stderr=StringIO())
    assert api_token_authenticate(raw=out.getvalue().strip()).scopes == (
        "usage:import calls:authorize")


def test_create_api_token_refuses_an_unknown_scope(tenant):
    with pytest.raises(CommandError, match="invalid choice: 'usage:all'"):
        call_command("create_api_token", "--tenant", "contoso", "--scope", "usage:all",
                     stdout=StringIO(), stderr=StringIO())


def test_the_backoffice_shows_each_tokens_scopes(client, tenant):
    api_token_create(tenant=tenant, name="Billing script", scopes=["usage:read"])
    client.force_login(StaffFactory())
    page = client.get(reverse("admin:credits_apitoken_changelist"))
    assert page.status_code == 200
    assert "usage:read (Read call records)" in page.content.decode()
    token = ApiToken.objects.get()
    detail = client.get(reverse("admin:credits_apitoken_change", args=[token.pk]))
    assert "usage:read (Read call records)" in detail.content.decode()


# --- the migration ----------------------------------------------------------------------

BEFORE = [("credits", "0011_notification_params")]
AFTER = [("credits", "0012_api_token_scopes")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tokens_made_before_scopes_keep_import_and_authorize():
    apps = migrate_to(BEFORE)
    try:
        Tenant = apps.get_model("accounts", "Tenant")
        OldToken = apps.get_model("credits", "ApiToken")
        contoso = Tenant.objects.create(name="Contoso", slug="contoso", country="US",
                                        currency="USD")
        OldToken.objects.create(tenant=contoso, name="PBX", prefix="ccu_abcdefgh",
                                token_hash="a" * 64)
        apps = migrate_to(AFTER)
        token = apps.get_model("credits", "ApiToken").objects.get()
        assert token.scopes == "usage:import calls:authorize"
    finally:
        executor = MigrationExecutor(connection)
        migrate_to(executor.loader.graph.leaf_nodes())
