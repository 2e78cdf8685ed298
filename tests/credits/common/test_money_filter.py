"""Amounts shown to people: Babel, the active language, the currency's decimals."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from credits.common.formatting import format_money


def render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


def test_money_uses_the_currency_decimals_and_the_active_language():
    assert render("{{ a|money:'USD' }}", a=Decimal("1234.5")) == "$1,234.50"
    assert render("{{ a|money:'EUR' }}", a=Decimal("258.7826")) == "€258.78"
    assert render("{{ a|money:'JPY' }}", a=Decimal("5000")) == "¥5,000"
    with translation.override("zh-hans"):
        assert render("{{ a|money:'USD' }}", a=Decimal("12.3")) == "US$12.30"


def test_money_exact_keeps_the_decimals_of_rated_charges():
    assert render("{{ a|money_exact:'USD' }}", a=Decimal("-0.0575")) == "-$0.0575"
    assert render("{{ a|money_exact:'USD' }}", a=Decimal("31.2500")) == "$31.25"


def test_missing_values_render_empty():
    assert render("{{ a|money:'USD' }}", a=None) == ""
    assert format_money("", "USD") == ""
    assert format_money("not a number", "USD") == "not a number"


def test_each_language_has_its_babel_locale():
    from credits.common.formatting import active_locale, tenant_locale

    expected = {"en": "en_US", "zh-hans": "zh_Hans_CN", "zh-hant": "zh_Hant_TW"}
    for language, locale in expected.items():
        with translation.override(language):
            assert active_locale() == locale
            assert format_money(Decimal("1234.5"), "USD").endswith("1,234.50")
    with translation.override("en"):
        # What is written to a tenant follows its country where the language has it.
        assert tenant_locale("DE") == "en_DE"
        assert format_money(Decimal("1234.5"), "EUR", locale=tenant_locale("DE")) == "1.234,50\xa0€"
    with translation.override("zh-hant"):
        assert tenant_locale("DE") == "zh_Hant_TW"  # Babel has no zh_Hant_DE
        assert render("{{ a|money:'USD' }}", a=Decimal("12.3")) == "US$12.30"
