"""Who gets the billing emails beyond the notified roles, and what each admin no longer
wants (README, "Billing notifications"). Both are settings: no money moves here; each
change is audited in its transaction.

- ``billing_recipients_update``: the tenant's chosen admins (beyond the notified roles)
  and up to ``MAX_EXTRA_ADDRESSES`` email addresses outside the directory;
- ``notification_opt_outs_update``: the kinds one admin stops receiving, never a
  critical one (``CRITICAL_KINDS``: a failed recharge, a zero balance, the daily cap, a
  disabled webhook).

``credits.notifications.services.notification_recipients`` reads both when a
notification is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Tenant, User
from accounts.services import audit_record
from credits.exceptions import NotificationSettingsInvalid
from credits.notifications.choices import (
    CRITICAL_KINDS,
    MAX_EXTRA_ADDRESSES,
    NotificationKind,
)
from credits.notifications.models import BillingRecipient, NotificationOptOut

ADDRESS_MAX_LENGTH = 254


def addresses_check(addresses: Iterable[str]) -> list[str]:
    """The extra addresses, stripped, without blanks and repeats (case-insensitive), or
    ``NotificationSettingsInvalid`` saying which address is not one, or that there are
    more than ``MAX_EXTRA_ADDRESSES``."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in addresses:
        if not isinstance(raw, str):
            raise NotificationSettingsInvalid({"addresses": _("Enter email addresses.")})
        address = raw.strip()
        if not address or address.lower() in seen:
            continue
        try:
            if len(address) > ADDRESS_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise NotificationSettingsInvalid(
                {"addresses": _("“%(address)s” is not a valid email address.")
                 % {"address": address[:60]}}
            ) from None
        seen.add(address.lower())
        cleaned.append(address)
    if len(cleaned) > MAX_EXTRA_ADDRESSES:
        raise NotificationSettingsInvalid(
            {"addresses": _("Enter at most %(n)d addresses; you entered %(count)d.")
             % {"n": MAX_EXTRA_ADDRESSES, "count": len(cleaned)}}
        )
    return cleaned


def opt_outs_check(kinds: Iterable[str]) -> list[str]:
    """The kinds as a sorted list, or ``NotificationSettingsInvalid`` for a critical or
    unknown kind."""
    chosen = set(kinds)
    if chosen & CRITICAL_KINDS:
        raise NotificationSettingsInvalid(
            {"kinds": _("Emails about %(kinds)s are always sent: no one can turn them off.")
             % {"kinds": ", ".join(str(NotificationKind(k).label)
                                   for k in sorted(chosen & CRITICAL_KINDS))}}
        )
    if not chosen <= set(NotificationKind.values):
        raise NotificationSettingsInvalid({"kinds": _("Choose among the kinds listed.")})
    return sorted(chosen)


def _recipients_json(tenant: Tenant) -> dict[str, list[str]]:
    rows = BillingRecipient.objects.filter(tenant=tenant).select_related("user")
    return {
        "admins": sorted(r.user.username for r in rows if r.user_id),
        "addresses": sorted(r.email for r in rows if not r.user_id),
    }


def billing_recipients_update(
    *, tenant: Tenant, acting_user: User | None, admin_ids: Iterable[int],
    addresses: Iterable[str],
) -> bool:
    """Replace the tenant's chosen admins and extra addresses; audited. Raises
    ``NotificationSettingsInvalid`` (nothing written) for an address that is not one, more
    than ``MAX_EXTRA_ADDRESSES`` of them, or a user who is not one of the tenant's
    admins. Returns whether anything changed."""
    addresses = addresses_check(addresses)
    ids = set(admin_ids)
    admins = list(User.objects.filter(tenant=tenant, pk__in=ids).admins())
    if len(admins) != len(ids):
        raise NotificationSettingsInvalid(
            {"admins": _("Choose among your organization's admins.")}
        )
    with transaction.atomic():
        Tenant.objects.lock(tenant)
        before = _recipients_json(tenant)
        after = {
            "admins": sorted(user.username for user in admins),
            "addresses": sorted(addresses),
        }
        if before == after:
            return False
        BillingRecipient.objects.filter(tenant=tenant).delete()
        BillingRecipient.objects.bulk_create(
            [BillingRecipient(tenant=tenant, user=user) for user in admins]
            + [BillingRecipient(tenant=tenant, email=address) for address in addresses]
        )
        audit_record(
            tenant=tenant, actor=acting_user, action="credits.billing_recipients_update",
            target="Billing notifications", before=before, after=after,
        )
    return True


def notification_opt_outs_update(*, user: User, kinds: Iterable[str]) -> bool:
    """Replace the kinds ``user`` no longer receives; audited. Raises
    ``NotificationSettingsInvalid`` for a critical kind (nothing written). Returns whether
    anything changed."""
    kinds = opt_outs_check(kinds)
    with transaction.atomic():
        rows = NotificationOptOut.objects.select_for_update().filter(user=user)
        before = sorted(rows.values_list("kind", flat=True))
        if before == kinds:
            return False
        NotificationOptOut.objects.filter(user=user).exclude(kind__in=kinds).delete()
        NotificationOptOut.objects.bulk_create(
            [NotificationOptOut(tenant_id=user.tenant_id, user=user, kind=kind)
             for kind in kinds if kind not in before]
        )
        audit_record(
            tenant=user.tenant, actor=user, action="credits.notification_opt_outs_update",
            target=user.username, before={"opted_out": before}, after={"opted_out": kinds},
        )
    return True
