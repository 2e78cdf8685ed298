"""Forms of the billing pages. They validate and lay out (crispy); they never move money.

The amount and recharge rules are ``credits.billing.rules``, shared with the services, so a
problem is explained next to its field and a request that skips the form is refused the
same way. Card number and security code inputs never render a value back: a form shown
again after a refusal keeps everything typed except those two.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from babel.numbers import get_currency_symbol
from crispy_bootstrap5.bootstrap5 import Switch
from crispy_forms.bootstrap import PrependedText
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from credits.billing.choices import PaymentType
from credits.billing.gateway import CardDetails
from credits.billing.gateway.cards import normalize_number
from credits.billing.models import EnterpriseAgreement, PaymentMethod
from credits.billing.rules import (
    INVOICE_NET_DAYS,
    MAX_BALANCE_ALERT,
    MAX_ORDER_AMOUNT,
    MIN_BALANCE_ALERT,
    MIN_ORDER_AMOUNT,
    PO_NUMBER_MAX_LENGTH,
    PROPOSED_RECHARGES_PER_MONTH,
    RechargeSettings,
    amount_problem,
    balance_alert_check,
    po_number_check,
    recharge_settings_check,
)
from credits.billing.services.checks import Payment
from credits.common.formatting import active_locale, format_money
from credits.common.money import amount_parse
from credits.exceptions import AmountNotReadable, InvalidRechargeSettings, OrderError

NEW_CARD = "new_card"
INVOICE = "invoice"
AGREEMENT = "ea"
CARD_PREFIX = "card:"
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def _helper(layout: Layout) -> FormHelper:
    """Crispy lays the fields out; templates write the <form> tag (htmx attributes)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


def currency_symbol(currency: str) -> str:
    return get_currency_symbol(currency, locale=active_locale())


class AmountInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class SecretInput(forms.TextInput):
    """A text input that never renders its value (card number, security code)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


def _typed_amount(form: forms.Form, name: str, text: str) -> Decimal | None:
    """The amount typed in field ``name`` (read by ``amount_parse``: thousands separators
    and the language's decimal point), or None after adding the reason to the field."""
    try:
        return amount_parse(text)
    except AmountNotReadable as error:
        form.add_error(name, error.message)
        return None


# ---------------------------------------------------------------------- recharge settings


class RechargeFieldsMixin(forms.Form):
    """Auto-recharge, Recharge with, When the balance falls below, and the monthly limit."""

    auto_recharge = forms.BooleanField(
        label=_("Auto-recharge"),
        required=False,
        help_text=_(
            "Recommended: when the balance falls below the amount you choose, the recharge "
            "amount is bought with your payment method, so calls keep working."
        ),
    )
    recharge_with = forms.CharField(
        label=_("Recharge with"), required=False, max_length=30, widget=AmountInput()
    )
    recharge_below = forms.CharField(
        label=_("When the balance falls below"), required=False, max_length=30,
        widget=AmountInput(),
    )
    monthly_limit = forms.CharField(
        label=_("Monthly recharge limit (optional)"), required=False, max_length=30,
        widget=AmountInput(),
        help_text=_(
            "The most auto-recharge may buy in a calendar month, so a fault or fraud can't "
            "drain your card. Leave empty for no limit."
        ),
    )

    ERROR_FIELDS = {
        "enabled": "auto_recharge",
        "amount": "recharge_with",
        "trigger": "recharge_below",
        "monthly_limit": "monthly_limit",
    }

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["recharge_with"].help_text = _(
            "At least %(min)s and at most %(max)s each time."
        ) % {
            "min": format_money(MIN_ORDER_AMOUNT, currency),
            "max": format_money(MAX_ORDER_AMOUNT, currency),
        }
        self.fields["recharge_below"].help_text = _("0 or more, in %(currency)s.") % {
            "currency": currency
        }
        self.recharge: RechargeSettings | None = None

    def _recharge_fields(self) -> list:
        symbol = currency_symbol(self.currency)
        return [
            Switch("auto_recharge"),
            Div(
                Row(
                    Column(_prepended("recharge_with", symbol), css_class="col-sm-6"),
                    Column(_prepended("recharge_below", symbol), css_class="col-sm-6"),
                ),
                _prepended("monthly_limit", symbol),
                css_id="recharge-fields",
            ),
        ]

    def _number(self, name: str) -> Decimal | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        return _typed_amount(self, name, text)

    def clean(self):
        cleaned = super().clean()
        values = {
            "amount": self._number("recharge_with"),
            "trigger": self._number("recharge_below"),
            "monthly_limit": self._number("monthly_limit"),
        }
        if any(self.has_error(f) for f in ("recharge_with", "recharge_below", "monthly_limit")):
            return cleaned
        settings = RechargeSettings(enabled=bool(cleaned.get("auto_recharge")), **values)
        try:
            self.recharge = recharge_settings_check(settings, currency=self.currency)
        except InvalidRechargeSettings as error:
            for key, message in error.errors.items():
                self.add_error(self.ERROR_FIELDS.get(key), message)
        return cleaned

    def initial_from(self, settings: RechargeSettings) -> None:
        def text(value: Decimal | None) -> str:
            return "" if value is None else f"{value.normalize():f}"

        self.initial.update(
            {
                "auto_recharge": settings.enabled,
                "recharge_with": text(settings.amount),
                "recharge_below": text(settings.trigger),
                "monthly_limit": text(settings.monthly_limit),
            }
        )


def _prepended(name: str, symbol: str) -> PrependedText:
    return PrependedText(name, symbol)


class CreditsSetupForm(RechargeFieldsMixin):
    """Step 1 of the set-up: Add funds, Auto-recharge, Recharge with, When the balance
    falls below."""

    add_funds = forms.CharField(label=_("Add funds"), max_length=30, required=False,
                                widget=AmountInput())

    field_order = ["add_funds", "auto_recharge", "recharge_with", "recharge_below",
                   "monthly_limit"]

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, currency=currency, **kwargs)
        self.fields["add_funds"].help_text = _(
            "A one-time amount: at least %(min)s, at most %(max)s per order. Funds expire "
            "12 months after purchase."
        ) % {
            "min": format_money(MIN_ORDER_AMOUNT, currency),
            "max": format_money(MAX_ORDER_AMOUNT, currency),
        }
        limit = self.fields["monthly_limit"]
        limit.help_text = _(
            "We propose %(n)d recharges a month, filled in from “Recharge with”: the most "
            "auto-recharge may buy in a calendar month, so a fault or fraud can't drain your "
            "card. Change it, or clear it for no limit."
        ) % {"n": PROPOSED_RECHARGES_PER_MONTH}
        limit.widget.attrs.update(
            {
                "data-proposed-limit": str(PROPOSED_RECHARGES_PER_MONTH),
                "data-proposed-from": "recharge_with",
            }
        )
        self.helper = _helper(
            Layout(_prepended("add_funds", currency_symbol(currency)), *self._recharge_fields())
        )

    def clean_add_funds(self) -> Decimal:
        value = (self.cleaned_data.get("add_funds") or "").strip()
        problem = amount_problem(value, currency=self.currency)
        if problem:
            raise forms.ValidationError(problem)
        return amount_parse(value)


class RechargeSettingsForm(RechargeFieldsMixin):
    """Modify recharge settings on the subscription page; ends in Save changes."""

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, currency=currency, **kwargs)
        self.helper = _helper(Layout(*self._recharge_fields()))


# ---------------------------------------------------------------------------- payments


def _card_label(card: PaymentMethod) -> str:
    label = _("%(card)s · expires %(expiry)s") % {"card": card.label, "expiry": card.expiry}
    if card.is_expired():
        label = _("%(card)s · expired %(expiry)s") % {"card": card.label, "expiry": card.expiry}
    return str(label)


def card_details_clean(form: forms.Form, cleaned: dict) -> CardDetails | None:
    """The typed card, or None after adding field errors to ``form``."""
    number = normalize_number(cleaned.get("card_number") or "")
    if not number:
        form.add_error("card_number", _("Enter the card number."))
    elif not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19):
        form.add_error("card_number", _("Enter the card number: 12 to 19 digits."))
    match = _EXPIRY.match(cleaned.get("expiry") or "")
    month = year = 0
    if not match or not 1 <= int(match.group(1)) <= 12:
        form.add_error("expiry", _("Enter the expiry date as MM/YY, for example 08/29."))
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
    cvc = (cleaned.get("cvc") or "").strip()
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        form.add_error("cvc", _("Enter the 3 or 4 digits of the security code."))
    if any(form.has_error(f) for f in ("card_number", "expiry", "cvc")):
        return None
    return CardDetails(
        number=number, exp_month=month, exp_year=year, cvc=cvc,
        holder=(cleaned.get("holder") or "").strip(),
    )


class PaymentForm(forms.Form):
    """How to pay: a saved card, a new card, invoice (only for a tenant approved for
    invoicing: ``invoicing``), or an Enterprise Agreement + PO."""

    payment = forms.ChoiceField(
        label=_("Payment method"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to pay.")},
    )
    holder = forms.CharField(
        label=_("Name on card"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    card_number = forms.CharField(
        label=_("Card number"), required=False, max_length=30,
        widget=SecretInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric",
                   "placeholder": "1234 1234 1234 1234"}
        ),
    )
    expiry = forms.CharField(
        label=_("Expiry date (MM/YY)"), required=False, max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "MM/YY"}),
    )
    cvc = forms.CharField(
        label=_("Security code"), required=False, max_length=4,
        widget=SecretInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric",
                                  "placeholder": "CVC"}),
    )
    enterprise_agreement = forms.ChoiceField(label=_("EA number"), required=False)
    po_number = forms.CharField(
        label=_("PO number"), required=False, max_length=PO_NUMBER_MAX_LENGTH,
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args,
        cards: list[PaymentMethod],
        agreements: list[EnterpriseAgreement],
        allow_new_card: bool = True,
        with_token: bool = True,
        selected: str = "",
        invoicing: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cards = {str(card.pk): card for card in cards}
        self.agreements = {str(a.pk): a for a in agreements}
        self.with_token = with_token
        choices = [(f"{CARD_PREFIX}{card.pk}", _card_label(card)) for card in cards]
        if allow_new_card:
            choices.append((NEW_CARD, _("A new credit or debit card")))
        if invoicing:
            choices.append(
                (INVOICE, _("Invoice (pay by bank transfer within %(days)d days)")
                 % {"days": INVOICE_NET_DAYS})
            )
        if agreements:
            choices.append(
                (AGREEMENT, _("Enterprise Agreement (EA number, PO number if applicable)"))
            )
        self.fields["payment"].choices = choices
        self.fields["enterprise_agreement"].choices = [
            (str(a.pk), f"{a.number}{f' · {a.name}' if a.name else ''}") for a in agreements
        ]
        self.fields["po_number"].label = _("PO number (if applicable)")
        self.fields["po_number"].help_text = _(
            "Your purchase order number, if your organization uses one: it is printed on the "
            "bill. Letters, digits, spaces and . _ / # -"
        )
        if not allow_new_card:
            for name in ("holder", "card_number", "expiry", "cvc"):
                del self.fields[name]
        if not with_token:
            del self.fields["token"]
        elif not self.is_bound:
            self.initial.setdefault("token", str(uuid.uuid4()))
        if not self.is_bound:
            offered = {value for value, _label in choices}
            self.initial.setdefault(
                "payment", selected if selected in offered else self._default_choice(cards)
            )
        new_card = (
            [Div("holder", "card_number", Row(Column("expiry", css_class="col-6"),
                                               Column("cvc", css_class="col-6")),
                 css_id="new-card-fields", css_class="console-subfields",
                 data_show_when=NEW_CARD)]
            if allow_new_card else []
        )
        self.helper = _helper(
            Layout(
                Field("payment"),
                *new_card,
                Div("enterprise_agreement", css_id="ea-fields", css_class="console-subfields",
                    data_show_when=AGREEMENT) if agreements else HTML(""),
                Div("po_number", css_id="po-fields", css_class="console-subfields",
                    data_show_when=f"{INVOICE} {AGREEMENT}") if invoicing or agreements
                else HTML(""),
                *(["token"] if with_token else []),
            )
        )
        self.payment: Payment | None = None

    @staticmethod
    def _default_choice(cards: list[PaymentMethod]) -> str:
        usable = [c for c in cards if not c.is_expired()]
        default = next((c for c in usable if c.is_default), usable[0] if usable else None)
        return f"{CARD_PREFIX}{default.pk}" if default else NEW_CARD

    def clean_token(self) -> str:
        """The form's idempotency token; a hidden field, so its problem is the form's."""
        value = (self.cleaned_data.get("token") or "").strip()
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return ""

    def clean(self):
        cleaned = super().clean()
        if self.with_token and not cleaned.get("token"):
            self.add_error(None, _("This form has expired. Reload the page and try again."))
        choice = cleaned.get("payment") or ""
        po = (cleaned.get("po_number") or "").strip()
        if po and choice in (INVOICE, AGREEMENT):
            try:  # optional ("if applicable"), but a PO number given must be a valid one
                po = po_number_check(po, required=False)
            except OrderError as problem:
                self.add_error("po_number", problem.message)
                return cleaned
        if choice.startswith(CARD_PREFIX):
            card = self.cards.get(choice.removeprefix(CARD_PREFIX))
            if card is None:  # pragma: no cover - ChoiceField refuses unknown values first
                self.add_error("payment", _("Choose one of your cards."))
            else:
                self.payment = Payment(type=PaymentType.CARD, card=card)
        elif choice == NEW_CARD:
            details = card_details_clean(self, cleaned)
            if details is not None:
                self.payment = Payment(type=PaymentType.CARD, new_card=details)
        elif choice == INVOICE:
            self.payment = Payment(type=PaymentType.INVOICE, po_number=po)
        elif choice == AGREEMENT:
            agreement = self.agreements.get(cleaned.get("enterprise_agreement") or "")
            if agreement is None:
                self.add_error("enterprise_agreement", _("Choose an Enterprise Agreement."))
            else:
                self.payment = Payment(
                    type=PaymentType.ENTERPRISE_AGREEMENT, enterprise_agreement=agreement,
                    po_number=po,
                )
        return cleaned


class AddFundsForm(PaymentForm):
    """Add more funds: the amount, then how to pay."""

    amount = forms.CharField(label=_("Amount"), max_length=30, required=False,
                             widget=AmountInput())

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].help_text = _("At least %(min)s, at most %(max)s per order.") % {
            "min": format_money(MIN_ORDER_AMOUNT, currency),
            "max": format_money(MAX_ORDER_AMOUNT, currency),
        }
        self.helper.layout.insert(0, _prepended("amount", currency_symbol(currency)))

    def clean_amount(self) -> Decimal:
        value = (self.cleaned_data.get("amount") or "").strip()
        problem = amount_problem(value, currency=self.currency)
        if problem:
            raise forms.ValidationError(problem)
        return amount_parse(value)


class CardAddForm(forms.Form):
    """Payment methods > Add a card."""

    holder = PaymentForm.base_fields["holder"]
    card_number = PaymentForm.base_fields["card_number"]
    expiry = PaymentForm.base_fields["expiry"]
    cvc = PaymentForm.base_fields["cvc"]
    make_default = forms.BooleanField(label=_("Make this my default card"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Layout("holder", "card_number",
                   Row(Column("expiry", css_class="col-6"), Column("cvc", css_class="col-6")),
                   Switch("make_default"))
        )
        self.card: CardDetails | None = None

    def clean(self):
        cleaned = super().clean()
        self.card = card_details_clean(self, cleaned)
        return cleaned


# ---------------------------------------------------------------------- low-balance alert


class BalanceAlertForm(forms.Form):
    """The low-balance alert on the subscription page: empty turns it off."""

    threshold = forms.CharField(
        label=_("Alert me when the balance falls below"), required=False, max_length=30,
        widget=AmountInput(),
    )

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["threshold"].help_text = _(
            "From %(min)s to %(max)s. The admins who get billing emails are emailed once "
            "each time the balance falls below it. Leave empty to turn the alert off."
        ) % {
            "min": format_money(MIN_BALANCE_ALERT, currency),
            "max": format_money(MAX_BALANCE_ALERT, currency),
        }
        self.helper = _helper(Layout(_prepended("threshold", currency_symbol(currency))))

    def clean_threshold(self) -> Decimal | None:
        text = (self.cleaned_data.get("threshold") or "").strip()
        try:
            return balance_alert_check(text, currency=self.currency)
        except InvalidRechargeSettings as error:
            raise forms.ValidationError(error.errors["threshold"]) from None
