"""Saved cards: add, make default, remove. Each service owns its transaction and audits.

The card number and security code go straight to the gateway (``tokenize_card``); only
the token, brand, last four digits, holder and expiry are kept. A removed card stays as
an inert row (no token) so the orders it paid still say which card it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Tenant
from accounts.services import audit_record
from credits.billing.gateway import (
    CardDetails,
    CardError,
    PaymentGateway,
    SavedCard,
    TokenizedCard,
    get_gateway,
)
from credits.billing.models import BillingProfile, PaymentMethod
from credits.exceptions import CardRefused, PaymentMethodInUse, PaymentMethodUnavailable

if TYPE_CHECKING:
    from accounts.models import User


def _describe(card: PaymentMethod) -> dict[str, object]:
    return {"card": card.label, "expires": card.expiry, "default": card.is_default}


def card_save(
    *,
    tenant: Tenant,
    acting_user: User | None,
    tokenized: TokenizedCard,
    holder: str = "",
    make_default: bool = False,
) -> PaymentMethod:
    """Keep a tokenized card, inside the caller's transaction. The first card is the
    default; ``make_default`` makes this one the default instead of the current one."""
    current = PaymentMethod.objects.for_tenant(tenant).saved().filter(is_default=True)
    default = make_default or not current.exists()
    if default:
        current.update(is_default=False)
    card = PaymentMethod.objects.create(
        tenant=tenant,
        holder=(holder or "").strip()[:200],
        brand=tokenized.brand,
        last4=tokenized.last4,
        exp_month=tokenized.exp_month,
        exp_year=tokenized.exp_year,
        gateway_token=tokenized.token,
        is_default=default,
        added_by=acting_user if acting_user is not None and acting_user.pk else None,
    )
    audit_record(
        tenant=tenant, actor=acting_user, action="credits.card_add",
        target=f"Payment method {card.pk}", after=_describe(card),
    )
    return card


def card_tokenize(
    card: CardDetails, *, gateway: PaymentGateway, refused_suffix: str = ""
) -> TokenizedCard:
    """Send a typed card to the gateway and verify it (a zero-amount authorization)
    before anything is saved: the payment methods page, Change payment method and the
    checkout all go through here. ``CardRefused`` says why the card can't be used
    (followed by ``refused_suffix``); nothing is charged or saved then."""
    try:
        tokenized = gateway.tokenize_card(card)
        gateway.verify_card(
            SavedCard(
                token=tokenized.token, exp_month=tokenized.exp_month,
                exp_year=tokenized.exp_year,
            )
        )
    except CardError as error:
        message = f"{error.message} {refused_suffix}".strip()
        raise CardRefused(message, card_code=error.code) from None
    return tokenized


def card_add(
    *,
    tenant: Tenant,
    acting_user: User | None,
    card: CardDetails,
    make_default: bool = False,
    gateway: PaymentGateway | None = None,
) -> PaymentMethod:
    """Check the card with the gateway and save it; ``CardRefused`` says why not."""
    tokenized = card_tokenize(card, gateway=gateway or get_gateway())
    with transaction.atomic():
        Tenant.objects.lock(tenant)  # one default card at a time
        return card_save(
            tenant=tenant, acting_user=acting_user, tokenized=tokenized, holder=card.holder,
            make_default=make_default,
        )


def _promote_next_default(tenant: Tenant) -> PaymentMethod | None:
    saved = PaymentMethod.objects.for_tenant(tenant).saved()
    if saved.filter(is_default=True).exists():
        return None
    candidates = [c for c in saved.order_by("-created_at", "-id") if not c.is_expired()]
    if not candidates:
        return None
    candidates[0].is_default = True
    candidates[0].save(update_fields=["is_default"])
    return candidates[0]


def card_forget(*, card: PaymentMethod) -> None:
    """Make a card inert (no token, not default), inside the caller's transaction."""
    card.removed_at = timezone.now()
    card.gateway_token = ""
    card.is_default = False
    card.save(update_fields=["removed_at", "gateway_token", "is_default"])
    _promote_next_default(card.tenant)


def _usable(card: PaymentMethod) -> PaymentMethod:
    fresh = PaymentMethod.objects.select_related("tenant").get(pk=card.pk)
    if fresh.is_removed:
        raise PaymentMethodUnavailable(_("That card was already removed."))
    return fresh


def card_set_default(*, card: PaymentMethod, acting_user: User | None) -> PaymentMethod:
    """Make the card the one chosen first when paying."""
    with transaction.atomic():
        Tenant.objects.lock(card.tenant)
        card = _usable(card)
        if card.is_expired():
            raise CardRefused(
                _("%(card)s has expired and can't be the default.") % {"card": card.label},
                card_code="expired_card",
            )
        if card.is_default:
            return card
        previous = PaymentMethod.objects.for_tenant(card.tenant).saved().filter(is_default=True)
        before = [c.label for c in previous]
        previous.update(is_default=False)
        card.is_default = True
        card.save(update_fields=["is_default"])
        audit_record(
            tenant=card.tenant, actor=acting_user, action="credits.card_set_default",
            target=f"Payment method {card.pk}",
            before={"default": ", ".join(before)}, after={"default": card.label},
        )
    return card


def card_remove(*, card: PaymentMethod, acting_user: User | None) -> PaymentMethod:
    """Remove a saved card, unless it pays for the Communications Credits subscription."""
    with transaction.atomic():
        Tenant.objects.lock(card.tenant)
        card = _usable(card)
        if BillingProfile.objects.filter(card=card).exists():
            raise PaymentMethodInUse(
                _(
                    "%(card)s pays for Communications Credits (auto-recharge and added "
                    "funds). Choose another payment method for the subscription first, "
                    "then remove this card."
                )
                % {"card": card.label}
            )
        before = _describe(card)
        card_forget(card=card)
        audit_record(
            tenant=card.tenant, actor=acting_user, action="credits.card_remove",
            target=f"Payment method {card.pk}", before=before, after={"removed": True},
        )
    return card
