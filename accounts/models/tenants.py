from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_codes, country_name


def validate_country(value: str) -> None:
    if value and value not in country_codes():
        raise ValidationError(
            _("%(value)s is not an ISO 3166 country code."), params={"value": value}
        )


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code."), params={"value": value}
        )


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant) -> TenantQuerySet:
        return self.filter(pk=tenant.pk)

    def lock(self, tenant: Tenant) -> None:
        """Take the tenant's row lock until the caller's transaction ends (FOR NO KEY
        UPDATE on PostgreSQL; SQLite serializes write transactions anyway).

        The one tenant lock: it serializes a tenant's usage imports, summary rebuilds,
        orders being recorded and changes to its cards, while other transactions may
        still insert rows that reference the tenant."""
        list(self.select_for_update(no_key=True).filter(pk=tenant.pk).values_list("pk"))


class Tenant(models.Model):
    """An organization: its directory, subscriptions and credits balance."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[validate_country],
        help_text=_("ISO 3166 code of the country the organization is located in."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        validators=[validate_currency],
        help_text=_("ISO 4217 code; every amount of this tenant is in it."),
    )
    volume_licensing = models.BooleanField(
        _("volume licensing"),
        default=False,
        help_text=_("Buys through an Enterprise Agreement and may pay with an EA number."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="tenant_country_iso2"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="tenant_currency_iso3"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def country_name(self) -> str:
        return country_name(self.country)
