"""Fund lots: every funding is a lot that expires 12 calendar months after purchase."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.common.money import money_field
from credits.ledger.choices import (
    FundSource,
)


class FundLotQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> FundLotQuerySet:
        return self.filter(account__tenant=tenant)

    def for_account(self, account) -> FundLotQuerySet:
        return self.filter(account=account)

    def unexpired(self, at: datetime | None = None) -> FundLotQuerySet:
        """Lots whose funds are still usable at ``at`` (expiry is exclusive: at < expires_at)."""
        return self.filter(expires_at__gt=at or timezone.now())

    def expired(self, at: datetime | None = None) -> FundLotQuerySet:
        return self.filter(expires_at__lte=at or timezone.now())

    def active(self, at: datetime | None = None) -> FundLotQuerySet:
        """Unexpired lots with funds left: what a charge at ``at`` may draw from."""
        return self.unexpired(at).filter(remaining__gt=0)

    def expiring(self, within: timedelta, at: datetime | None = None) -> FundLotQuerySet:
        """Active lots whose funds expire within ``within`` of ``at`` (the 30-day alert)."""
        at = at or timezone.now()
        return self.active(at).filter(expires_at__lte=at + within)

    def due_for_expiry(self, at: datetime | None = None) -> FundLotQuerySet:
        """Expired lots whose remaining funds the expiry run has not forfeited yet."""
        return self.expired(at).filter(remaining__gt=0)

    def draw_order(self) -> FundLotQuerySet:
        """The order charges draw in: the lot expiring first, then the older lot."""
        return self.order_by("expires_at", "purchased_at", "id")


class FundLot(models.Model):
    """Funds from one purchase, top-up, auto-recharge or adjustment.

    ``remaining`` is what is left to spend; only the ledger service changes it, and every
    change is a ``LotMovement`` of a ledger entry, so it always equals the sum of the lot's
    movements. ``amount`` is what the funding added to the balance; part of it may have gone
    to cover a deficit at once, so ``remaining`` may start below ``amount``.
    """

    account = models.ForeignKey(
        "credits.CreditAccount", on_delete=models.PROTECT, related_name="lots",
        verbose_name=_("credit account"),
    )
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    amount = money_field(_("amount"))
    remaining = money_field(_("remaining"))
    purchased_at = models.DateTimeField(_("purchased at"))
    expires_at = models.DateTimeField(
        _("expires at"), help_text=_("12 calendar months after the purchase.")
    )

    objects = FundLotQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at", "purchased_at", "id"]
        verbose_name = _("fund lot")
        verbose_name_plural = _("fund lots")
        indexes = [
            models.Index(fields=["account", "expires_at"], name="credits_lot_account_exp_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credits_lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0), name="credits_lot_remaining_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(remaining__lte=F("amount")), name="credits_lot_remaining_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("purchased_at")),
                name="credits_lot_expires_after_purchase",
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.pk} · {self.get_source_display()} {self.amount} {self.account.currency}"

    def is_expired(self, at: datetime | None = None) -> bool:
        return self.expires_at <= (at or timezone.now())
