"""Every directory user has a stable object ID (a GUID, ``User.object_id``): unique, given
when the user is created, never edited, shown on the user's Account tab; the migration that
added it gave every existing user their own."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.html_text import parse
from tests.migrating import migrate_to


@pytest.mark.django_db
def test_each_user_gets_their_own_object_id_that_never_changes(tenant):
    first = UserFactory(tenant=tenant, username="a@contoso.example")
    second = UserFactory(tenant=tenant, username="b@contoso.example")
    assert isinstance(first.object_id, uuid.UUID) and first.object_id.version == 4
    assert first.object_id != second.object_id
    kept = first.object_id
    first.username = "renamed@contoso.example"
    first.save()
    first.refresh_from_db()
    assert first.object_id == kept
    assert not User._meta.get_field("object_id").editable


@pytest.mark.django_db
def test_two_users_cannot_share_an_object_id(tenant):
    first = UserFactory(tenant=tenant, username="a@contoso.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(tenant=tenant, username="b@contoso.example", object_id=first.object_id)


@pytest.mark.django_db
def test_the_account_tab_shows_the_object_id(admin_client, tenant):
    user = UserFactory(tenant=tenant, username="adele@contoso.example")
    page = parse(admin_client.get(f"/users/active/{user.pk}/").content)
    assert page.by_id("user-object-id").text == str(user.object_id)


BEFORE = [("accounts", "0004_tenant_domains_time_zone_mfa_language")]
AFTER = [("accounts", "0005_user_object_id")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_every_existing_user_their_own_object_id():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate_to(BEFORE)
        Tenant, OldUser = old.get_model("accounts", "Tenant"), old.get_model("accounts", "User")
        contoso = Tenant.objects.create(name="Contoso", slug="contoso", country="US",
                                        currency="USD")
        for n in range(5):
            OldUser.objects.create(username=f"u{n}@contoso.example", display_name=f"U{n}",
                                   tenant=contoso)
        new = migrate_to(AFTER)
        ids = list(new.get_model("accounts", "User").objects.values_list("object_id", flat=True))
        assert len(ids) == 5 and None not in ids and len(set(ids)) == 5
    finally:
        migrate_to(leaves)
