"""A tenant's spend controls (the unusual-spend alert and the daily cap) and calling
restrictions (premium-rate numbers, international destinations). The rules are
``credits.usage.telephony.controls``; ``credits.usage.services.controls`` writes these rows,
audited. A tenant without a row has no alert, no cap and no restriction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.common.money import money_field
from credits.usage.telephony.controls import (
    DEFAULT_MULTIPLIER,
    MAX_MULTIPLIER,
    MIN_MULTIPLIER,
    InternationalPolicy,
    RestrictionPolicy,
)


class SpendControlsQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> SpendControlsQuerySet:
        return self.filter(tenant=tenant)


class SpendControls(models.Model):
    """The unusual-spend alert and the daily cap of one tenant.

    The days are the tenant's (``Tenant.time_zone``). ``alerted_on`` and ``cap_reached_on``
    are the days the admins were told (once a day each); ``cap_lifted_on`` is the day an
    admin lifted the cap for the rest of that day.
    """

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="spend_controls",
        verbose_name=_("tenant"),
    )
    alert_enabled = models.BooleanField(_("alert on unusual spend"), default=False)
    multiplier = models.DecimalField(
        _("times the daily average"), max_digits=4, decimal_places=1,
        default=DEFAULT_MULTIPLIER,
    )
    daily_amount = money_field(_("daily amount"), null=True, blank=True)
    stop_at_cap = models.BooleanField(
        _("stop paid calls when the daily cap is reached"), default=False
    )
    alerted_on = models.DateField(_("alerted on"), null=True, blank=True)
    cap_reached_on = models.DateField(_("cap reached on"), null=True, blank=True)
    cap_lifted_on = models.DateField(_("cap lifted on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = SpendControlsQuerySet.as_manager()

    class Meta:
        verbose_name = _("spend controls")
        verbose_name_plural = _("spend controls")
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gte=MIN_MULTIPLIER, multiplier__lte=MAX_MULTIPLIER),
                name="credits_spend_multiplier_range",
            ),
            models.CheckConstraint(
                condition=Q(daily_amount__isnull=True) | Q(daily_amount__gt=0),
                name="credits_spend_daily_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(stop_at_cap=False) | Q(daily_amount__isnull=False),
                name="credits_spend_cap_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} spend controls"


class CallingRestrictionsQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> CallingRestrictionsQuerySet:
        return self.filter(tenant=tenant)


class CallingRestrictions(models.Model):
    """What a tenant's users may not call, and who may anyway."""

    INTERNATIONAL_CHOICES = [
        (InternationalPolicy.ALLOW, _("Allow international calls")),
        (InternationalPolicy.BLOCK_ALL, _("Block all international calls")),
        (InternationalPolicy.BLOCK_COUNTRIES, _("Block calls to these countries or regions")),
    ]

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="calling_restrictions",
        verbose_name=_("tenant"),
    )
    block_premium = models.BooleanField(_("block premium-rate numbers"), default=False)
    international = models.CharField(
        _("international calls"), max_length=20, choices=INTERNATIONAL_CHOICES,
        default=InternationalPolicy.ALLOW,
    )
    blocked_countries = models.JSONField(
        _("blocked countries or regions"), default=list, blank=True,
        help_text=_("ISO 3166 two-letter codes."),
    )
    exempt_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+",
        verbose_name=_("users allowed anyway"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = CallingRestrictionsQuerySet.as_manager()

    class Meta:
        verbose_name = _("calling restrictions")
        verbose_name_plural = _("calling restrictions")
        constraints = [
            models.CheckConstraint(
                condition=Q(international__in=InternationalPolicy.VALUES),
                name="credits_restrictions_international_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} calling restrictions"

    def policy(self, exempt: frozenset[int]) -> RestrictionPolicy:
        return RestrictionPolicy(
            block_premium=self.block_premium, international=self.international,
            countries=frozenset(self.blocked_countries or ()), exempt=exempt,
        )
