from __future__ import annotations

import zoneinfo

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


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not an IANA time zone, e.g. Europe/London."), params={"value": value}
        )


def validate_domain(value: str) -> None:
    labels = value.split(".")
    if (
        value != value.lower()
        or len(labels) < 2
        or not all(label and len(label) <= 63 for label in labels)
        or not all(ch.isalnum() or ch in "-." for ch in value)
    ):
        raise ValidationError(
            _("%(value)s is not a domain name in lower case, e.g. contoso.example."),
            params={"value": value},
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
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA time zone in which the console shows this organization's times."),
    )
    require_mfa_for_admins = models.BooleanField(
        _("require MFA for admins"),
        default=True,
        help_text=_(
            "Global and Billing Administrators must sign in with a second factor "
            "(an authenticator app code or a recovery code)."
        ),
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


class TenantDomain(models.Model):
    """A domain verified for a tenant: its users' usernames end in one of them."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="domains", verbose_name=_("tenant")
    )
    name = models.CharField(
        _("domain"),
        max_length=253,
        unique=True,
        validators=[validate_domain],
        help_text=_("In lower case, e.g. contoso.example; one tenant only."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("verified domain")
        verbose_name_plural = _("verified domains")

    def __str__(self) -> str:
        return self.name
