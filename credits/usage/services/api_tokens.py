"""Per-tenant API tokens for the usage API: created once, shown once, stored hashed.

A token is ``ccu_`` followed by 43 URL-safe random characters (256 bits). The database
keeps its SHA-256 and the first 12 characters (``prefix``) to recognise it in lists;
the secret itself cannot be recovered, only replaced.

Each token has scopes (``ApiScope``): ``usage:import`` (``POST /api/v1/usage``),
``usage:read`` (the Graph-compatible ``getPstnCalls``) and ``calls:authorize``
(``POST /api/v1/calls/authorize``). Unless told otherwise a token gets import and
authorize, what every token could do before scopes existed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from credits.usage.choices import DEFAULT_API_SCOPES, ApiScope
from credits.usage.models.api import ApiToken, scopes_text

if TYPE_CHECKING:
    from accounts.models import Tenant, User

TOKEN_PREFIX = "ccu_"
PREFIX_LENGTH = 12
MAX_TOKEN_LENGTH = 200


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: Iterable[str] = DEFAULT_API_SCOPES,
    acting_user: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``tenant`` that may do what ``scopes`` say; returns it and the
    secret (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValueError("A token needs a name of 1 to 100 characters.")
    scopes = list(scopes)
    if not scopes:
        raise ValueError("A token needs at least one scope.")
    unknown = [scope for scope in scopes if scope not in ApiScope.values]
    if unknown:
        raise ValueError(
            f"Unknown scope {unknown[0]!r}: the scopes are {', '.join(ApiScope.values)}."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant=tenant, name=name, prefix=secret[:PREFIX_LENGTH],
            token_hash=token_hash(secret), created_by=acting_user, scopes=scopes_text(scopes),
        )
        audit_record(
            tenant=tenant, actor=acting_user, action="credits.api_token_create",
            target=f"API token {token.prefix}…", after={"name": name, "scopes": token.scopes},
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, acting_user: User | None = None) -> ApiToken:
    """Revoke a token at once; it cannot be used again."""
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                tenant=token.tenant, actor=acting_user, action="credits.api_token_revoke",
                target=f"API token {token.prefix}…", after={"name": token.name},
            )
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token whose secret is ``raw`` (with its tenant), or None. Records when
    it was last used."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.active().select_related("tenant").filter(token_hash=token_hash(raw))
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return token
