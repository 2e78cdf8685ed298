"""The ledger's day rollup: per account and UTC day, what was spent and funded.

A read model kept by the ledger service in the same transaction as each posting, so the
Funding advice reads at most 90 rows per account instead of summing every entry.
``ledger_verify`` checks it against the entries.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from credits.common.money import ZERO, money_field
from credits.ledger.choices import CREDIT_KINDS, EntryKind


def day_figures(kind: str, amount: Decimal, reversed_kind: str | None) -> tuple[Decimal, Decimal]:
    """What one entry adds to its day's ``spent`` and ``funded``: a reversal counts as
    the kind of the entry it reverses, with its own (opposite) amount."""
    counted = reversed_kind if kind == EntryKind.REVERSAL else kind
    if counted == EntryKind.USAGE:
        return -amount, ZERO
    if counted in CREDIT_KINDS:
        return ZERO, amount
    return ZERO, ZERO


class LedgerDaySummary(models.Model):
    """The sums of one account's entries dated one UTC day.

    - ``spent``: minus the usage entries' amounts, net of their reversals (a reversal of
      a charge posted another day makes that day's ``spent`` negative).
    - ``funded``: the purchases, top-ups and auto-recharges, net of their reversals.
    - ``entries``: every entry of the day, of any kind.
    """

    account = models.ForeignKey(
        "credits.CreditAccount", on_delete=models.CASCADE, related_name="day_summaries",
        verbose_name=_("credit account"),
    )
    day = models.DateField(_("day (UTC)"))
    spent = money_field(_("spent"), default=ZERO)
    funded = money_field(_("funded"), default=ZERO)
    entries = models.PositiveIntegerField(_("entries"), default=0)

    class Meta:
        ordering = ["account", "day"]
        verbose_name = _("ledger day summary")
        verbose_name_plural = _("ledger day summaries")
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="credits_ledger_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: spent {self.spent}, funded {self.funded}"
