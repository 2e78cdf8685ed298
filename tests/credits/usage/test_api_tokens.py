"""Per-tenant API tokens: created once and shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent
from credits.models import ApiToken
from credits.usage.services.api_tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)


def test_a_token_is_stored_only_as_a_hash(tenant):
    token, secret = api_token_create(tenant=tenant, name="Billing export")

    assert secret.startswith("ccu_") and len(secret) >= 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert stored.prefix == secret[:12]
    assert AuditEvent.objects.filter(action="credits.api_token_create").count() == 1


def test_authenticate_finds_the_tenant_and_records_the_use(tenant):
    token, secret = api_token_create(tenant=tenant, name="PBX")
    found = api_token_authenticate(raw=secret)
    assert (found.pk, found.tenant) == (token.pk, tenant)
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("raw", ["", "ccu_wrong", "Bearer x", "x" * 500])
def test_unknown_tokens_authenticate_nobody(tenant, raw):
    api_token_create(tenant=tenant, name="PBX")
    assert api_token_authenticate(raw=raw) is None


def test_a_revoked_token_no_longer_works(tenant):
    token, secret = api_token_create(tenant=tenant, name="PBX")
    api_token_revoke(token=token)
    assert api_token_authenticate(raw=secret) is None
    assert AuditEvent.objects.filter(action="credits.api_token_revoke").count() == 1


def test_a_token_needs_a_name(tenant):
    with pytest.raises(ValueError, match="needs a name"):
        api_token_create(tenant=tenant, name="  ")


def test_command_prints_the_secret_once(tenant):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "--tenant", "contoso", "--name", "PBX", stdout=out,
                 stderr=err)
    secret = out.getvalue().strip()
    assert api_token_authenticate(raw=secret).tenant == tenant
    assert "Copy it now: it is not stored and cannot be shown again." in err.getvalue()
    assert secret not in err.getvalue()


def test_command_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant with the slug 'nowhere'"):
        call_command("create_api_token", "--tenant", "nowhere", stdout=StringIO(),
                     stderr=StringIO())
