"""The ledger: append-only entries, and the lot movements that explain each of them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.common.money import money_field
from credits.exceptions import LedgerError
from credits.ledger.choices import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    EntryKind,
    FundSource,
)

# The entry kind a funding of each source writes.
FUNDING_KIND: dict[str, str] = {
    FundSource.PURCHASE: EntryKind.PURCHASE,
    FundSource.TOP_UP: EntryKind.TOP_UP,
    FundSource.AUTO_RECHARGE: EntryKind.RECHARGE,
    FundSource.ADJUSTMENT: EntryKind.ADJUSTMENT,
}
# Expiries are corrected with an adjustment, and a reversal is never reversed.


class LedgerEntryQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> LedgerEntryQuerySet:
        return self.filter(account__tenant=tenant)

    def for_account(self, account) -> LedgerEntryQuerySet:
        return self.filter(account=account)

    def of_kind(self, *kinds: str) -> LedgerEntryQuerySet:
        return self.filter(kind__in=kinds)

    def between(self, start: datetime, end: datetime) -> LedgerEntryQuerySet:
        """Entries with ``start <= created_at < end``."""
        return self.filter(created_at__gte=start, created_at__lt=end)

    def credits(self) -> LedgerEntryQuerySet:
        return self.filter(amount__gt=0)

    def debits(self) -> LedgerEntryQuerySet:
        return self.filter(amount__lt=0)

    def chronological(self) -> LedgerEntryQuerySet:
        return self.order_by("id")


class LedgerEntry(models.Model):
    """One posting: a signed change of the balance, with what caused it. Never edited.

    ``amount`` is positive for money in (purchase, top-up, recharge, credit adjustment,
    reversal of a debit) and negative for money out (usage, expiry, debit adjustment,
    reversal of a credit). ``balance_after`` is the account's balance right after this
    entry; entries are ordered by ``id``, which follows ``created_at``.
    """

    # No index of its own: the two unique and time-order indexes below lead with the
    # account (every index is one more write per entry, and a usage import writes
    # thousands of entries a second).
    account = models.ForeignKey(
        "credits.CreditAccount", on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("credit account"), db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = money_field(_("amount"))
    balance_after = money_field(_("balance after"))
    lot = models.ForeignKey(  # indexed where set: credits_entry_lot_idx
        "credits.FundLot", on_delete=models.PROTECT, null=True, blank=True,
        related_name="entries", verbose_name=_("lot"), db_index=False,
        help_text=_(
            "The lot this entry created (a funding) or forfeited (an expiry). The lots a "
            "charge drew from are its lot movements."
        ),
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reference_type = models.CharField(
        _("reference type"), max_length=40, blank=True,
        help_text=_("What caused the entry: order, call, lot, entry, demo…"),
    )
    reference_id = models.CharField(_("reference"), max_length=100, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("by"), db_index=False,  # credits_entry_actor_idx
        help_text=_("Empty when the system posted the entry."),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    fingerprint = models.CharField(
        _("request fingerprint"), max_length=64, editable=False,
        help_text=_("Hash of what was asked; a replay of the key must match it."),
    )
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    created_at = models.DateTimeField(
        _("at"), help_text=_("When the posting took effect; the ledger is kept in time order.")
    )
    recorded_at = models.DateTimeField(
        _("recorded at"), default=timezone.now, editable=False,
        help_text=_("Wall-clock time the row was written (differs only for replayed history)."),
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        get_latest_by = "id"
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            # An account's entries in time order, ties by id: the transactions' keyset
            # pages and the balance chart's closing balance per day walk it without
            # sorting (a usage import charges a chunk at one moment: thousands of
            # entries share a created_at).
            models.Index(
                fields=["account", "created_at", "id"], name="credits_entry_account_seq_idx"
            ),
            models.Index(fields=["reference_type", "reference_id"], name="credits_entry_ref_idx"),
            # The lot and the acting user are empty on usage entries (nearly all of them):
            # indexed only where set, for the look-ups and the protection of the rows they
            # point to, without an index write per charge.
            models.Index(
                fields=["lot"], condition=Q(lot__isnull=False), name="credits_entry_lot_idx"
            ),
            models.Index(
                fields=["acting_user"], condition=Q(acting_user__isnull=False),
                name="credits_entry_actor_idx",
            ),
            # The Communications Credits page's transactions filtered to one type other than
            # usage (the bulk of the entries, which the account's own index serves) read
            # only that type's newest entries (README, "Transactions and the runway").
            models.Index(
                fields=["account", "kind", "created_at", "id"], condition=~Q(kind="usage"),
                name="credits_entry_kind_at_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="credits_entry_unique_key",
                violation_error_message=_("This idempotency key was already used."),
            ),
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind=EntryKind.EXPIRY),
                name="credits_entry_one_expiry_per_lot",
            ),
            models.CheckConstraint(
                condition=~Q(idempotency_key=""), name="credits_entry_key_present"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="credits_entry_amount_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(CREDIT_KINDS)) | Q(amount__gt=0),
                name="credits_entry_credit_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(DEBIT_KINDS)) | Q(amount__lt=0),
                name="credits_entry_debit_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.REVERSAL, reverses__isnull=False)
                | (~Q(kind=EntryKind.REVERSAL) & Q(reverses__isnull=True)),
                name="credits_entry_reversal_points_at_entry",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=sorted(CREDIT_KINDS | {EntryKind.EXPIRY}))
                | Q(lot__isnull=False),
                name="credits_entry_funding_has_lot",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount:+} {self.account.currency}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise LedgerError("Ledger entries are append-only: post a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerError("Ledger entries are append-only: post a reversal instead.")

    @property
    def reference(self) -> str:
        if not self.reference_type:
            return self.reference_id
        return f"{self.reference_type}:{self.reference_id}"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


class LotMovement(models.Model):
    """How one entry changed one lot's remaining amount (draw, expiry, funding, restore).

    A lot's ``remaining`` is the sum of its movements; an entry's amount is the sum of its
    movements minus the change it made to the deficit. ``remaining_after`` makes the
    remaining amount of a lot at any past moment one row away.
    """

    entry = models.ForeignKey(  # indexed by credits_movement_once_per_lot, which leads with it
        LedgerEntry, on_delete=models.PROTECT, related_name="movements",
        verbose_name=_("entry"), db_index=False,
    )
    lot = models.ForeignKey(
        "credits.FundLot", on_delete=models.PROTECT, related_name="movements",
        verbose_name=_("lot"),
    )
    amount = money_field(_("amount"))
    remaining_after = money_field(_("remaining after"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("lot movement")
        verbose_name_plural = _("lot movements")
        constraints = [
            models.UniqueConstraint(fields=["entry", "lot"], name="credits_movement_once_per_lot"),
            models.CheckConstraint(
                condition=~Q(amount=0), name="credits_movement_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(remaining_after__gte=0), name="credits_movement_remaining_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_id} {self.amount:+} by entry #{self.entry_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise LedgerError("Lot movements are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerError("Lot movements are append-only.")
