"""Per-tenant API tokens for the usage API. Only a hash of each token is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.usage.choices import DEFAULT_API_SCOPES, ApiScope

# The scopes, space-separated in ApiScope's order: "usage:import calls:authorize".
SCOPES_PATTERN = (
    r"^(usage:import( usage:read)?( calls:authorize)?|usage:read( calls:authorize)?"
    r"|calls:authorize)?$"
)


def scopes_text(scopes) -> str:
    """``scopes`` as stored: each once, in ApiScope's order, space-separated."""
    chosen = {ApiScope(scope) for scope in scopes}
    return " ".join(scope.value for scope in ApiScope if scope in chosen)


class ApiTokenQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> ApiTokenQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token that lets a system import usage, read it and authorize calls for one
    tenant, as far as its ``scopes`` allow.

    The secret is shown once, when the token is created; the database keeps its SHA-256
    (``token_hash``) and a short non-secret ``prefix`` to tell tokens apart.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="api_tokens",
        verbose_name=_("tenant"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, unique=True, editable=False,
        help_text=_("The token's first characters, to recognise it; not a secret."),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    scopes = models.CharField(
        _("scopes"), max_length=100, default=scopes_text(DEFAULT_API_SCOPES), blank=True,
        help_text=_("What the token may do: import call records, read them, authorize calls."),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="credits_token_hash_sha256"
            ),
            models.CheckConstraint(
                condition=Q(scopes__regex=SCOPES_PATTERN), name="credits_token_scopes_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list
