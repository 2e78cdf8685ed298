"""Recharge settings and the billing profile (how the credits are paid). No money
moves here: these write settings; the ledger moves money, and the auto-recharge engine
(``credits.billing.services.auto_recharge``) decides when a recharge is due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from credits.billing.choices import PaymentType
from credits.billing.gateway import get_gateway
from credits.billing.models import BillingProfile
from credits.billing.rules import RechargeSettings, credits_available_check, recharge_settings_check
from credits.billing.services.checks import Payment, payment_check
from credits.billing.services.payment_methods import card_save, card_tokenize
from credits.exceptions import InvalidRechargeSettings
from credits.ledger.models.accounts import CreditAccount

if TYPE_CHECKING:
    from accounts.models import User
    from credits.billing.gateway import PaymentGateway
    from credits.billing.models import EnterpriseAgreement, PaymentMethod

_FIELDS = {
    "enabled": "auto_recharge_enabled",
    "amount": "recharge_amount",
    "trigger": "recharge_trigger",
    "monthly_limit": "monthly_recharge_limit",
}


def recharge_settings_write(
    *, account: CreditAccount, acting_user: User | None, settings: RechargeSettings
) -> bool:
    """Store checked settings inside the caller's transaction; audited. Returns whether
    anything changed."""
    before = RechargeSettings.of_account(account).as_json()
    after = settings.as_json()
    if before == after:
        return False
    values = {column: getattr(settings, name) for name, column in _FIELDS.items()}
    values["recharge_settings_updated_at"] = timezone.now()
    CreditAccount.objects.filter(pk=account.pk).update(**values)
    for column, value in values.items():
        setattr(account, column, value)
    audit_record(
        tenant=account.tenant, actor=acting_user, action="credits.recharge_settings_update",
        target=f"Credit account {account.pk}", before=before, after=after,
    )
    return True


def recharge_settings_update(
    *, account: CreditAccount, acting_user: User | None, settings: RechargeSettings
) -> CreditAccount:
    """Modify recharge settings: check them, then store them under the account's lock.

    Auto-recharge needs a way to pay (the billing profile). Raises
    ``InvalidRechargeSettings`` with one message per field; nothing is written then.
    """
    settings = recharge_settings_check(settings, currency=account.currency)
    with transaction.atomic():
        locked = CreditAccount.objects.locked(account)
        if settings.enabled and not BillingProfile.objects.filter(account=locked).exists():
            raise InvalidRechargeSettings(
                {"enabled": _("Choose a payment method for auto-recharge first.")}
            )
        recharge_settings_write(account=locked, acting_user=acting_user, settings=settings)
    for column in _FIELDS.values():
        setattr(account, column, getattr(locked, column))
    return account


def _profile_json(profile: BillingProfile | None) -> dict[str, object]:
    if profile is None:
        return {}
    return {
        "pay_with": profile.payment_type,
        # The expiry tells a renewed card (same number, new expiry) from the old one.
        "card": f"{profile.card.label} ({profile.card.exp_month:02d}/{profile.card.exp_year})"
        if profile.card
        else None,
        "enterprise_agreement": profile.enterprise_agreement.number
        if profile.enterprise_agreement
        else None,
        "po_number": profile.po_number,
    }


def billing_profile_write(
    *,
    account: CreditAccount,
    acting_user: User | None,
    payment_type: str,
    card: PaymentMethod | None = None,
    agreement: EnterpriseAgreement | None = None,
    po_number: str = "",
) -> BillingProfile:
    """Set how the credits are paid, inside the caller's transaction; audited."""
    profile = (
        BillingProfile.objects.select_related("card", "enterprise_agreement")
        .filter(account=account)
        .first()
    )
    before = _profile_json(profile)
    if profile is None:
        profile = BillingProfile(account=account)
    profile.payment_type = payment_type
    profile.card = card if payment_type == PaymentType.CARD else None
    profile.enterprise_agreement = (
        agreement if payment_type == PaymentType.ENTERPRISE_AGREEMENT else None
    )
    profile.po_number = "" if payment_type == PaymentType.CARD else po_number
    profile.updated_at = timezone.now()
    after = _profile_json(profile)
    if before == after:
        return profile
    profile.save()
    audit_record(
        tenant=account.tenant, actor=acting_user, action="credits.billing_profile_update",
        target=f"Credit account {account.pk}", before=before, after=after,
    )
    return profile


def billing_profile_change(
    *,
    account: CreditAccount,
    acting_user: User | None,
    payment: Payment,
    gateway: PaymentGateway | None = None,
) -> BillingProfile:
    """Change how the subscription is paid (a saved card, a new card, invoice or an
    agreement), with the same checks as a purchase: a card not expired, an agreement of
    the tenant's region with a PO number. A new card goes to the gateway first (nothing
    is charged); ``CardRefused`` says why it was not accepted, and nothing is saved.

    The change lifts the auto-recharge back-off: the next charge below the trigger tries
    again with the new payment method."""
    tenant = account.tenant
    credits_available_check(tenant)
    payment = payment_check(tenant, payment)
    tokenized = None
    if payment.new_card is not None:
        tokenized = card_tokenize(payment.new_card, gateway=gateway or get_gateway())
    with transaction.atomic():
        locked = CreditAccount.objects.locked(account)
        card = payment.card
        if tokenized is not None:
            card = card_save(
                tenant=tenant, acting_user=acting_user, tokenized=tokenized,
                holder=payment.new_card.holder,
            )
        return billing_profile_write(
            account=locked, acting_user=acting_user, payment_type=payment.type,
            card=card, agreement=payment.enterprise_agreement,
            po_number=payment.po_number,
        )

