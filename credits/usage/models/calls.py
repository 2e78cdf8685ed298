"""Call records, the monthly minute pools they draw from, and the tenants' toll-free numbers.

Rows are written only by ``credits.usage.services.imports`` (import, API, simulator); the money a
call costs moves through ``credits.ledger.services`` like every other posting, and the
record points at its ledger entry.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.tenants import validate_country
from credits.common.money import ZERO, money_field
from credits.usage.choices import (
    POOL_CAPABILITIES,
    CallType,
    Capability,
    DestinationType,
    Reach,
    UsageSource,
)
from credits.usage.telephony.numbers import InvalidNumber, number_classify


class CallRecordQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> CallRecordQuerySet:
        return self.filter(tenant=tenant)

    def charged(self) -> CallRecordQuerySet:
        return self.filter(charge__gt=0)

    def between(self, start, end) -> CallRecordQuerySet:
        """Calls with ``start <= start_time < end``."""
        return self.filter(start_time__gte=start, start_time__lt=end)


class CallRecord(models.Model):
    """One rated call, with the columns of the PSTN usage report's export (docs/file-formats.md).

    ``billed_minutes`` is the duration in started minutes; ``pool_minutes`` of them came
    from the pool named by ``pool_capability``, the rest were charged to credits at
    ``per_minute`` plus ``connection_fee``: ``charge`` is that total, posted to the
    ledger as ``entry``. ``capability`` is what paid: credits when anything was charged,
    else the pool, else nothing (a free call).
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="call_records",
        verbose_name=_("tenant"), db_index=False,  # the unique (tenant, usage_id) serves
    )
    usage_id = models.CharField(
        _("UsageId"), max_length=100, help_text=_("The record's idempotency key.")
    )
    call_id = models.CharField(_("call ID"), max_length=100, blank=True)
    conference_id = models.CharField(_("conference ID"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="call_records", verbose_name=_("user"),
        help_text=_("The user who called or was called; the organizer for conferences."),
    )
    user_location = models.CharField(_("user location"), max_length=2, blank=True)
    aad_object_id = models.CharField(_("AAD ObjectId"), max_length=64, blank=True)
    upn = models.CharField(_("UPN"), max_length=254, blank=True)
    user_display_name = models.CharField(_("user display name"), max_length=200, blank=True)
    caller_id = models.CharField(
        _("caller ID"), max_length=32, blank=True,
        help_text=_("The number that made the call (E.164)."),
    )
    call_type = models.CharField(_("call type"), max_length=30, choices=CallType.choices)
    number_type = models.CharField(
        _("number type"), max_length=30, blank=True,
        help_text=_("The organization's number involved: user, service or toll-free."),
    )
    reach = models.CharField(
        _("domestic/international"), max_length=13, choices=Reach.choices, blank=True
    )
    destination_dialed = models.CharField(
        _("destination dialed"), max_length=100, blank=True,
        help_text=_("The country of the number that was rated."),
    )
    destination_number = models.CharField(
        _("destination number"), max_length=32,
        help_text=_("The number that received the call (E.164)."),
    )
    rated_country = models.CharField(
        _("rated country"), max_length=2, blank=True, validators=[validate_country]
    )
    rated_number_type = models.CharField(
        _("rated number type"), max_length=20, choices=DestinationType.choices, blank=True
    )
    start_time = models.DateTimeField(_("start time"))
    end_time = models.DateTimeField(_("end time"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    billed_minutes = models.PositiveIntegerField(
        _("billed minutes"), default=0, help_text=_("Started minutes.")
    )
    pool_minutes = models.PositiveIntegerField(_("minutes from the pool"), default=0)
    pool_capability = models.CharField(
        _("pool"), max_length=12, blank=True, choices=Capability.choices
    )
    per_minute = money_field(_("per minute"), null=True, blank=True)
    connection_fee = money_field(_("connection fee"), default=ZERO)
    charge = money_field(_("charge"), default=ZERO)
    currency = models.CharField(_("currency"), max_length=3)
    capability = models.CharField(
        _("capability"), max_length=12, blank=True, choices=Capability.choices
    )
    entry = models.OneToOneField(
        "credits.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True,
        related_name="call_record", verbose_name=_("ledger entry"),
    )
    fingerprint = models.CharField(
        _("content fingerprint"), max_length=64, editable=False,
        help_text=_("Hash of the call's facts; a re-import of the UsageId must match it."),
    )
    source = models.CharField(_("source"), max_length=20, choices=UsageSource.choices)
    restriction = models.CharField(
        _("restriction"), max_length=30, blank=True, default="", db_default="",
        help_text=_("The calling restriction the call broke when it was imported "
                    "(premium_blocked, international_blocked); empty when none."),
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now, editable=False)

    objects = CallRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-start_time", "-id"]
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        indexes = [
            models.Index(fields=["tenant", "start_time"], name="credits_call_tenant_start_idx"),
            # Reports > PSTN usage sorted by charge: the page walks the tenant's calls in
            # charge order and checks the start time in the index (its last column),
            # stopping at the page's rows instead of sorting every call of the range.
            models.Index(
                fields=["tenant", "charge", "id", "start_time"],
                name="credits_call_tenant_charge_idx",
            ),
            # Covers the PSTN usage report's totals, daily series and top destinations: a
            # range of start times is summed from the index alone, without reading rows.
            models.Index(
                fields=[
                    "tenant", "start_time", "capability", "pool_capability", "rated_country",
                    "billed_minutes", "pool_minutes", "charge",
                ],
                name="credits_call_report_idx",
            ),
            # Reports > PSTN usage's "Restricted calls only": small, as restricted calls are.
            models.Index(
                fields=["tenant", "start_time"], condition=~Q(restriction=""),
                name="credits_call_restricted_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "usage_id"], name="credits_call_unique_usage_id",
                violation_error_message=_("This UsageId was already imported."),
            ),
            models.CheckConstraint(
                condition=~Q(usage_id=""), name="credits_call_usage_id_present"
            ),
            models.CheckConstraint(
                condition=Q(end_time__gte=F("start_time")), name="credits_call_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(pool_minutes__lte=F("billed_minutes")),
                name="credits_call_pool_within_billed",
            ),
            models.CheckConstraint(
                condition=Q(charge__gte=0), name="credits_call_charge_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(connection_fee__gte=0) & Q(connection_fee__lte=F("charge")),
                name="credits_call_fee_within_charge",
            ),
            models.CheckConstraint(
                condition=Q(charge=0, entry__isnull=True) | Q(charge__gt=0, entry__isnull=False),
                name="credits_call_charge_has_entry",
            ),
            models.CheckConstraint(
                condition=Q(call_type__in=CallType.values), name="credits_call_type_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.usage_id} · {self.get_call_type_display()} · {self.charge} {self.currency}"

    @property
    def charged_minutes(self) -> int:
        return self.billed_minutes - self.pool_minutes if self.charge else 0


class CallDaySummaryQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> CallDaySummaryQuerySet:
        return self.filter(tenant=tenant)

    def between_days(self, first, last) -> CallDaySummaryQuerySet:
        """Summaries of the days ``first`` to ``last``, both included."""
        return self.filter(day__gte=first, day__lte=last)


class CallDaySummary(models.Model):
    """The sums of a tenant's call records per UTC day of their start and per what the
    PSTN usage report groups by: call type, what paid, the pool drawn, the rated country.

    A read model, never a record of money: the report's totals, daily chart and top
    destinations read it instead of the calls when no per-user filter applies, so they cost
    the same however many calls there are. ``credits.usage.services.summaries`` keeps it:
    the usage import adds each chunk's new calls in the chunk's transaction, bulk writers
    rebuild a tenant's summaries from its calls.
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="call_day_summaries",
        verbose_name=_("tenant"), db_index=False,  # the unique (tenant, day, ...) serves
    )
    day = models.DateField(_("day"), help_text=_("The UTC day the calls started."))
    call_type = models.CharField(_("call type"), max_length=30, choices=CallType.choices)
    capability = models.CharField(
        _("capability"), max_length=12, blank=True, choices=Capability.choices,
        help_text=_("What paid; empty for free calls."),
    )
    pool_capability = models.CharField(
        _("pool"), max_length=12, blank=True, choices=Capability.choices
    )
    rated_country = models.CharField(_("rated country"), max_length=2, blank=True)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    billed_minutes = models.PositiveIntegerField(_("billed minutes"), default=0)
    pool_minutes = models.PositiveIntegerField(_("minutes from the pool"), default=0)
    charge = money_field(_("charge"), default=ZERO)

    objects = CallDaySummaryQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "day", "call_type", "capability", "pool_capability",
                    "rated_country"]
        verbose_name = _("call day summary")
        verbose_name_plural = _("call day summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "call_type", "capability", "pool_capability",
                        "rated_country"],
                name="credits_call_day_summary_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.day} {self.call_type} {self.capability}: {self.calls}"


class MinutePoolQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> MinutePoolQuerySet:
        return self.filter(tenant=tenant)


class MinutePool(models.Model):
    """Minutes used this calendar month (UTC) from one of a tenant's pools.

    Calling Plan pools are per country (the users' usage location) and plan type; the
    Audio Conferencing dial-out pool is tenant-wide (``country`` empty). The pool's size
    is not stored: it follows the current license assignments (``credits.usage.telephony.pools``).
    """

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="minute_pools",
        verbose_name=_("tenant"), db_index=False,  # the unique (tenant, month, ...) serves
    )
    month = models.DateField(_("month"), help_text=_("The first day of the calendar month."))
    country = models.CharField(_("country"), max_length=2, blank=True)
    capability = models.CharField(_("capability"), max_length=12, choices=Capability.choices)
    minutes_used = models.PositiveIntegerField(_("minutes used"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MinutePoolQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "-month", "capability", "country"]
        verbose_name = _("minute pool")
        verbose_name_plural = _("minute pools")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "month", "country", "capability"],
                name="credits_pool_unique_month",
            ),
            models.CheckConstraint(
                condition=Q(capability__in=[c.value for c in POOL_CAPABILITIES]),
                name="credits_pool_capability",
            ),
            models.CheckConstraint(
                condition=Q(capability=Capability.CONFERENCING, country="")
                | (~Q(capability=Capability.CONFERENCING) & Q(country__regex=r"^[A-Z]{2}$")),
                name="credits_pool_country_by_capability",
            ),
        ]

    def __str__(self) -> str:
        where = self.country or _("all countries")
        return f"{self.tenant} {self.month:%Y-%m} {self.capability} {where}: {self.minutes_used}"


class TollFreeNumberQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> TollFreeNumberQuerySet:
        return self.filter(tenant=tenant)


class TollFreeNumber(models.Model):
    """A toll-free number of the organization: inbound calls to it are paid from credits
    at the caller's country's toll-free inbound rate (no user license needed)."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="toll_free_numbers",
        verbose_name=_("tenant"),
    )
    number = models.CharField(_("number"), max_length=32, unique=True, help_text=_("E.164."))
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TollFreeNumberQuerySet.as_manager()

    class Meta:
        ordering = ["tenant", "number"]
        verbose_name = _("toll-free number")
        verbose_name_plural = _("toll-free numbers")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="credits_toll_free_e164",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.tenant})"

    def clean(self) -> None:
        super().clean()
        try:
            info = number_classify(self.number)
        except InvalidNumber as error:
            raise ValidationError({"number": error.reason}) from None
        if info.number_type != DestinationType.TOLL_FREE:
            raise ValidationError({"number": _("This is not a toll-free number.")})
        self.number, self.country = info.e164, info.country
