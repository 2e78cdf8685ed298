"""``{% load money %}``: ``{{ amount|money:currency }}`` formats an amount with Babel for
the active language in the currency's decimals (``$1,234.50``, ``1.234,50 €``);
``{{ amount|money_exact:currency }}`` keeps finer decimals (``-$0.0575``) for ledger rows."""

from __future__ import annotations

from django import template

from credits.common.formatting import format_money

register = template.Library()


@register.filter(name="money")
def money(amount, currency: str = "") -> str:
    if not currency:
        return "" if amount is None else str(amount)
    return format_money(amount, currency)


@register.filter(name="money_exact")
def money_exact(amount, currency: str = "") -> str:
    if not currency:
        return "" if amount is None else str(amount)
    return format_money(amount, currency, exact=True)
