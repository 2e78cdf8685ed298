"""``{% load money %}``: ``{{ amount|money:currency }}`` formats an amount with Babel for
the active language in the currency's decimals (``$1,234.50``, ``1.234,50 €``);
``{{ amount|money_exact:currency }}`` keeps finer decimals (``-$0.0575``), for rates;
``{{ amount|money_shown:currency }}`` shows the currency's decimals with the exact amount
as a title when the ledger holds more (transactions, funds, calls)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

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


@register.filter(name="money_shown")
def money_shown(amount, currency: str = "") -> str:
    """The amount in the currency's decimals as people read it (``$24.17``); when the
    ledger holds finer decimals (a rated charge, ``$24.1665``), the exact amount is the
    element's title, for reconciling an entry (README, "Amounts on screen")."""
    if not currency:
        return "" if amount is None else str(amount)
    shown, exact = format_money(amount, currency), format_money(amount, currency, exact=True)
    if not shown or shown == exact:
        return shown
    return format_html(
        '<span class="money-exact" title="{}" data-exact-amount="{}">{}</span>',
        exact, amount, shown,
    )
