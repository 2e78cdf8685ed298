"""Spend controls and calling restrictions: the settings (checked, audited), lifting the
daily cap for the rest of a day (audited), and the spend check the usage import runs after
each chunk with charges (``spend_check``: the unusual-spend alert and the daily cap, each
notified once a day). The rules are ``credits.usage.telephony.controls``; call
authorization (``credits.usage.services.authorize``) applies them to new calls."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.countries import country_codes
from accounts.models import Tenant, User
from accounts.services import audit_record
from credits.billing.rules import amount_problem
from credits.common.money import amount_parse, quantize
from credits.exceptions import InvalidControls
from credits.notifications.choices import NotificationKind
from credits.notifications.services import notification_create
from credits.usage.models.controls import CallingRestrictions, SpendControls
from credits.usage.selectors import daily_average_before, day_spend, spend_controls_of
from credits.usage.telephony.controls import (
    MAX_DAILY_AMOUNT,
    MIN_DAILY_AMOUNT,
    InternationalPolicy,
    SpendVerdict,
    countries_problem,
    day_of,
    multiplier_problem,
    multiplier_read,
    spend_verdict,
    zone_of,
)


def _spend_json(controls: SpendControls | None) -> dict[str, object]:
    if controls is None:
        return {}
    return {
        "alert_enabled": controls.alert_enabled,
        "multiplier": str(controls.multiplier),
        "daily_amount": None if controls.daily_amount is None else str(controls.daily_amount),
        "stop_at_cap": controls.stop_at_cap,
    }


def spend_controls_check(
    *,
    currency: str,
    alert_enabled: bool,
    multiplier: object,
    daily_amount: object,
    stop_at_cap: bool,
) -> tuple[Decimal, Decimal | None]:
    """The multiplier and daily amount checked, or ``InvalidControls`` by field."""
    errors: dict[str, str] = {}
    problem = multiplier_problem(multiplier)
    if problem:
        errors["multiplier"] = problem
    amount = None
    if daily_amount not in (None, ""):
        problem = amount_problem(
            daily_amount, currency=currency, minimum=MIN_DAILY_AMOUNT, maximum=MAX_DAILY_AMOUNT,
        )
        if problem:
            errors["daily_amount"] = problem
        else:
            typed = isinstance(daily_amount, str)
            amount = quantize(amount_parse(daily_amount) if typed else Decimal(daily_amount))
    if stop_at_cap and daily_amount in (None, "") and "daily_amount" not in errors:
        errors["daily_amount"] = _(
            "Enter the daily cap: paid calls stop when a day's spend reaches it."
        )
    if errors:
        raise InvalidControls(errors)
    return multiplier_read(multiplier), amount


def spend_controls_update(
    *,
    tenant: Tenant,
    acting_user: User | None,
    alert_enabled: bool,
    multiplier: object,
    daily_amount: object,
    stop_at_cap: bool,
) -> SpendControls:
    """Store the tenant's spend controls (checked; audited when they change), then check
    today's spend against them."""
    k, amount = spend_controls_check(
        currency=tenant.currency, alert_enabled=alert_enabled, multiplier=multiplier,
        daily_amount=daily_amount, stop_at_cap=stop_at_cap,
    )
    with transaction.atomic():
        controls, _created = SpendControls.objects.select_for_update().get_or_create(
            tenant=tenant
        )
        before = _spend_json(None if _created else controls)
        controls.alert_enabled = bool(alert_enabled)
        controls.multiplier = k
        controls.daily_amount = amount
        controls.stop_at_cap = bool(stop_at_cap)
        after = _spend_json(controls)
        if before != after:
            controls.updated_at = timezone.now()
            controls.save()
            audit_record(
                tenant=tenant, actor=acting_user, action="credits.spend_controls_update",
                target="Spend controls", before=before, after=after,
            )
        transaction.on_commit(functools.partial(spend_check, tenant=tenant))
    return controls


def spend_cap_lift(*, tenant: Tenant, acting_user: User | None, at: datetime | None = None) -> bool:
    """Let paid calls start again for the rest of today (the tenant's day) although the
    daily cap is reached; audited. Returns False when there was nothing to lift."""
    day = day_of(at or timezone.now(), zone_of(tenant.time_zone))
    with transaction.atomic():
        controls = SpendControls.objects.select_for_update().filter(tenant=tenant).first()
        if controls is None or not controls.stop_at_cap or controls.cap_lifted_on == day:
            return False
        controls.cap_lifted_on = day
        controls.save(update_fields=["cap_lifted_on"])
        audit_record(
            tenant=tenant, actor=acting_user, action="credits.spend_cap_lift",
            target="Spend controls", before={"cap_lifted_on": None},
            after={"cap_lifted_on": day.isoformat()},
        )
    return True


def spend_cap_status(
    *, tenant: Tenant, controls: SpendControls | None, at: datetime | None = None
) -> tuple[bool, Decimal]:
    """Whether the daily cap refuses paid calls now, and today's spend (one sum, only
    when a cap stops paid calls and was not lifted today)."""
    if controls is None or not controls.stop_at_cap or controls.daily_amount is None:
        return False, Decimal("0")
    day = day_of(at or timezone.now(), zone_of(tenant.time_zone))
    if controls.cap_lifted_on == day:
        return False, Decimal("0")
    spend = day_spend(tenant=tenant, day=day)
    return spend >= controls.daily_amount, spend


def spend_check(
    *,
    tenant: Tenant,
    at: datetime | None = None,
    first: datetime | None = None,
    last: datetime | None = None,
) -> SpendVerdict | None:
    """Judge a day's spend against the spend controls and tell the admins, once a day each:
    ``spend_anomaly`` when it is unusual (alert on), ``daily_cap_reached`` when the cap
    starts refusing paid calls (today only: the cap refuses today's calls).

    The day is today in the tenant's time zone (of ``at``); after an import, ``first`` and
    ``last`` are the start times of the calls it charged, and the days checked are today
    and yesterday among the days they started on (a late evening's calls imported after
    midnight count for their own day; older history is not judged again). Returns the
    last day's verdict (None when nothing was judged). Costs one query when there are no
    controls or the day was already told; two more per day judged, and the notification's
    when it is sent."""
    controls = spend_controls_of(tenant=tenant)
    if controls is None or not (controls.alert_enabled or controls.stop_at_cap):
        return None
    zone = zone_of(tenant.time_zone)
    today = day_of(at or timezone.now(), zone)
    days = [today]
    if first is not None:
        low, high = day_of(first, zone), day_of(last or first, zone)
        days = [day for day in (today - timedelta(days=1), today) if low <= day <= high]
    verdict = None
    for day in days:
        verdict = _day_check(tenant, controls, day, today=today) or verdict
    return verdict


def _day_check(
    tenant: Tenant, controls: SpendControls, day: date, *, today: date
) -> SpendVerdict | None:
    alert_due = controls.alert_enabled and controls.alerted_on != day
    cap_due = (
        day == today and controls.stop_at_cap and controls.cap_reached_on != day
        and controls.cap_lifted_on != day
    )
    if not alert_due and not cap_due:
        return None
    spend = day_spend(tenant=tenant, day=day)
    average = daily_average_before(tenant=tenant, day=day)
    verdict = spend_verdict(
        spend=spend, average=average, multiplier=controls.multiplier,
        daily_amount=controls.daily_amount, stop_at_cap=controls.stop_at_cap,
    )
    # The cap's own message says the daily amount was reached: the alert adds the
    # k-times-the-average reason, or the amount when the cap does not stop calls.
    unusual = verdict.over_average or (verdict.over_amount and not controls.stop_at_cap)
    alert = alert_due and unusual
    cap = cap_due and verdict.cap_reached
    if not alert and not cap:
        return verdict
    params = {
        "day": day.isoformat(), "spend": str(spend), "average": str(average),
        "multiplier": str(controls.multiplier), "currency": tenant.currency,
        "daily_amount": None if controls.daily_amount is None else str(controls.daily_amount),
    }
    with transaction.atomic():
        locked = SpendControls.objects.select_for_update().get(pk=controls.pk)
        changed = []
        if alert and locked.alerted_on != day:
            # Once per day by its key, whatever the order the days are judged in.
            notification_create(
                tenant=tenant, kind=NotificationKind.SPEND_ANOMALY,
                dedupe_key=f"spend_anomaly:{day.isoformat()}",
                params={**params, "over_average": verdict.over_average,
                        "over_amount": verdict.over_amount},
            )
            locked.alerted_on = max(locked.alerted_on or day, day)
            changed.append("alerted_on")
        if cap and locked.cap_reached_on != day:
            notification_create(
                tenant=tenant, kind=NotificationKind.DAILY_CAP_REACHED,
                dedupe_key=f"daily_cap_reached:{day.isoformat()}", params=params,
            )
            locked.cap_reached_on = day
            changed.append("cap_reached_on")
        if changed:
            locked.save(update_fields=changed)
    controls.alerted_on, controls.cap_reached_on = locked.alerted_on, locked.cap_reached_on
    return verdict


# ---------------------------------------------------------------------- calling restrictions


def _restrictions_json(row: CallingRestrictions | None, exempt: list[str]) -> dict[str, object]:
    if row is None:
        return {}
    return {
        "block_premium": row.block_premium,
        "international": row.international,
        "blocked_countries": sorted(row.blocked_countries or []),
        "exempt_users": exempt,
    }


def calling_restrictions_check(
    *, international: str, countries: object
) -> list[str]:
    """The countries to store (sorted, empty unless blocking by country), or
    ``InvalidControls`` by field."""
    if international not in InternationalPolicy.VALUES:
        raise InvalidControls({"international": _("Choose one of the options.")})
    if international != InternationalPolicy.BLOCK_COUNTRIES:
        return []
    codes = countries
    if isinstance(countries, list | tuple) and all(isinstance(c, str) for c in countries):
        codes = [c.strip().upper() for c in countries]
    problem = countries_problem(codes, known=country_codes())
    if problem:
        raise InvalidControls({"countries": problem})
    return sorted(set(codes))


def calling_restrictions_update(
    *,
    tenant: Tenant,
    acting_user: User | None,
    block_premium: bool,
    international: str,
    countries: object = (),
    exempt_users: list[User] | tuple[User, ...] = (),
) -> CallingRestrictions:
    """Store the tenant's calling restrictions (checked; audited when they change). The
    users allowed anyway must be the tenant's."""
    codes = calling_restrictions_check(international=international, countries=countries)
    if any(user.tenant_id != tenant.pk for user in exempt_users):
        raise InvalidControls(
            {"exempt_users": _("Choose users of your organization.")}
        )
    with transaction.atomic():
        row, created = CallingRestrictions.objects.select_for_update().get_or_create(
            tenant=tenant
        )
        old_exempt = sorted(row.exempt_users.values_list("username", flat=True))
        before = {} if created else _restrictions_json(row, old_exempt)
        row.block_premium = bool(block_premium)
        row.international = international
        row.blocked_countries = codes
        new_exempt = sorted(user.username for user in exempt_users)
        after = _restrictions_json(row, new_exempt)
        if before != after:
            row.updated_at = timezone.now()
            row.save()
            row.exempt_users.set(exempt_users)
            audit_record(
                tenant=tenant, actor=acting_user, action="credits.calling_restrictions_update",
                target="Calling restrictions", before=before, after=after,
            )
    return row
