"""Verified domains: a tenant's usernames end in ``@`` and one of its domains (README,
"Verified domains").

The check comes before any look-up of the username, so the answer to a username of
another organization's domain is the same whether or not that user exists: the console
never tells an admin that a username exists elsewhere.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Tenant, TenantDomain


def tenant_domain_names(tenant: Tenant) -> list[str]:
    """The tenant's verified domains, in order (one query)."""
    return list(TenantDomain.objects.filter(tenant=tenant).values_list("name", flat=True))


def username_domain(username: str) -> str:
    """What follows the last ``@`` of ``username``, in lower case ("" without one)."""
    local, at, domain = username.strip().lower().rpartition("@")
    return domain if at and local else ""


def username_domain_message(*, tenant: Tenant, username: str, domains: list[str]) -> str | None:
    """Why ``username`` can't belong to ``tenant`` (None when it can)."""
    if username_domain(username) in domains:
        return None
    if not domains:
        return _(
            "%(tenant)s has no verified domain yet, so no user can be added. Platform "
            "support verifies an organization's domains."
        ) % {"tenant": tenant.name}
    return _(
        "%(username)s is not in a verified domain of %(tenant)s: usernames end in "
        "%(domains)s."
    ) % {
        "username": username,
        "tenant": tenant.name,
        "domains": ", ".join(f"@{name}" for name in domains),
    }


def username_domain_check(
    *, tenant: Tenant, username: str, domains: list[str] | None = None
) -> None:
    """Raise ``ValidationError`` on ``username`` unless it is in one of the tenant's
    verified domains."""
    if domains is None:
        domains = tenant_domain_names(tenant)
    message = username_domain_message(tenant=tenant, username=username, domains=domains)
    if message:
        raise ValidationError({"username": message})
