"""Per-minute rates: what a minute to a country and number type costs in a currency."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models.tenants import validate_country, validate_currency
from credits.common.money import money_field
from credits.usage.choices import (
    NumberType,
)


class RateQuerySet(models.QuerySet):
    def in_currency(self, currency: str) -> RateQuerySet:
        return self.filter(currency=currency)

    def effective_on(self, day: date) -> RateQuerySet:
        """Rates that had taken effect by ``day`` (older versions included)."""
        return self.filter(effective_from__lte=day)


class Rate(models.Model):
    """The price of a minute to ``country``'s ``number_type`` numbers, from a date on.

    Billing is per started minute plus the connection fee once per charged call. A newer
    row for the same country, number type and currency replaces the older one from its
    ``effective_from`` date; calls are rated with the row in effect on their start date.
    """

    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    number_type = models.CharField(_("number type"), max_length=20, choices=NumberType.choices)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    per_minute = money_field(_("per minute"))
    connection_fee = money_field(_("connection fee"))
    effective_from = models.DateField(_("effective from"))
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    objects = RateQuerySet.as_manager()

    class Meta:
        ordering = ["country", "number_type", "currency", "-effective_from"]
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "number_type", "currency", "effective_from"],
                name="credits_rate_unique_version",
            ),
            models.CheckConstraint(
                condition=Q(country__regex=r"^[A-Z]{2}$"), name="credits_rate_country_iso2"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="credits_rate_currency_iso3"
            ),
            models.CheckConstraint(
                condition=Q(per_minute__gte=0), name="credits_rate_per_minute_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(connection_fee__gte=0), name="credits_rate_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(number_type__in=NumberType.values), name="credits_rate_number_type"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.country} {self.get_number_type_display()} {self.per_minute} {self.currency}"
            f"/min from {self.effective_from}"
        )
