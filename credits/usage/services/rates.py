"""Importing rates (docs/file-formats.md):
``country,number_type,per_minute,connection_fee,currency`` with an optional
``effective_from`` column (ISO date; otherwise the date given to the import, by default
today in UTC).

All or nothing: every line is checked first and, if any is bad, nothing is written and
``RatesInvalid`` lists each bad line with its number and reason. Lines starting with
``#`` and blank lines are skipped (the sample file labels itself that way). A rate that
exists for the same country, number type, currency and date is updated when the file
changes it; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel.numbers import list_currencies
from django.db import transaction

from accounts.countries import country_codes
from credits.common.money import MONEY_DECIMAL_PLACES, decimal_places, quantize
from credits.exceptions import RatesInvalid
from credits.usage.choices import NumberType
from credits.usage.models.rates import Rate
from credits.usage.selectors import rating_reference_forget

RATE_COLUMNS = ("country", "number_type", "per_minute", "connection_fee", "currency")
OPTIONAL_COLUMNS = ("effective_from",)
MAX_RATE = Decimal("1000")
MAX_LINES = 20_000
SAMPLE_RATES = Path(__file__).resolve().parent.parent / "data" / "sample_rates.csv"
_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class RatesImported:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _amount(raw: str, what: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{what} {raw!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be zero or more, not {raw!r}")
    if decimal_places(value) > MONEY_DECIMAL_PLACES:
        raise ValueError(f"{what} {raw!r} has more than {MONEY_DECIMAL_PLACES} decimals")
    if value >= MAX_RATE:
        raise ValueError(f"{what} {raw!r} is implausibly high (at most {MAX_RATE - 1})")
    return quantize(value)


def _lines(text: str):
    """(line number, cells) of the data lines, and the header's."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            cells = next(csv.reader([line]))
        except csv.Error as error:
            yield number, None, f"not valid CSV ({error})"
            continue
        yield number, [cell.strip() for cell in cells], ""


def rates_parse(
    *, text: str, effective_from: date | None = None
) -> list[tuple[int, dict[str, object]]]:
    """Validate a rate file; (line, values) for each rate, or ``RatesInvalid``."""
    default_day = effective_from or datetime.now(UTC).date()
    problems: list[tuple[int, str]] = []
    rows: list[tuple[int, dict[str, object]]] = []
    header: list[str] | None = None
    seen: dict[tuple, int] = {}
    countries, currencies = country_codes(), list_currencies()
    for number, cells, error in _lines(text):
        if number > MAX_LINES:
            problems.append((number, f"the file has more than {MAX_LINES:,} lines"))
            break
        if error:
            problems.append((number, error))
            continue
        if header is None:
            header = [cell.lower() for cell in cells]
            missing = [name for name in RATE_COLUMNS if name not in header]
            unknown = [n for n in header if n not in RATE_COLUMNS + OPTIONAL_COLUMNS]
            if missing or unknown:
                expected = ",".join(RATE_COLUMNS)
                what = f"lacks {', '.join(missing)}" if missing else f"has unknown {unknown[0]!r}"
                raise RatesInvalid(
                    f"Line {number}: the header {what}; expected {expected}[,effective_from].",
                    problems=[(number, f"the header {what}")],
                )
            continue
        if len(cells) != len(header):
            problems.append((number, f"has {len(cells)} fields, the header has {len(header)}"))
            continue
        values = dict(zip(header, cells, strict=True))
        try:
            country = values["country"].upper()
            if not _CODE.fullmatch(country) or country not in countries:
                raise ValueError(f"country {values['country']!r} is not an ISO 3166 code")
            number_type = values["number_type"].lower()
            if number_type not in NumberType.values:
                raise ValueError(
                    f"number_type {values['number_type']!r} is not one of "
                    f"{', '.join(NumberType.values)}"
                )
            per_minute = _amount(values["per_minute"], "per_minute")
            fee = _amount(values["connection_fee"] or "0", "connection_fee")
            currency = values["currency"].upper()
            if currency not in currencies:
                raise ValueError(f"currency {values['currency']!r} is not an ISO 4217 code")
            day = default_day
            if values.get("effective_from"):
                try:
                    day = date.fromisoformat(values["effective_from"])
                except ValueError:
                    raise ValueError(
                        f"effective_from {values['effective_from']!r} is not a date (YYYY-MM-DD)"
                    ) from None
        except ValueError as error:
            problems.append((number, str(error)))
            continue
        key = (country, number_type, currency, day)
        if key in seen:
            problems.append(
                (number, f"repeats the {country} {number_type} {currency} rate of line {seen[key]}")
            )
            continue
        seen[key] = number
        rows.append(
            (number, {"country": country, "number_type": number_type, "currency": currency,
                      "effective_from": day, "per_minute": per_minute, "connection_fee": fee})
        )
    if header is None:
        raise RatesInvalid("The file is empty: expected the rate header.", problems=[(1, "empty")])
    if problems:
        count = len(problems)
        raise RatesInvalid(
            f"{count} bad line{'s' if count > 1 else ''}; nothing was imported.", problems=problems
        )
    return rows


def rates_import(*, text: str, effective_from: date | None = None) -> RatesImported:
    """Validate the whole file, then create or update its rates in one transaction."""
    rows = rates_parse(text=text, effective_from=effective_from)
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {
            (r.country, r.number_type, r.currency, r.effective_from): r
            for r in Rate.objects.filter(
                currency__in={values["currency"] for _, values in rows}
            ).select_for_update()
        }
        new, changed = [], []
        for _line, values in rows:
            key = (values["country"], values["number_type"], values["currency"],
                   values["effective_from"])
            rate = existing.get(key)
            if rate is None:
                new.append(Rate(**values))
            elif (rate.per_minute, rate.connection_fee) != (
                values["per_minute"], values["connection_fee"]
            ):
                rate.per_minute = values["per_minute"]
                rate.connection_fee = values["connection_fee"]
                changed.append(rate)
            else:
                unchanged += 1
        Rate.objects.bulk_create(new, batch_size=1000)
        for rate in changed:
            rate.save(update_fields=["per_minute", "connection_fee", "imported_at"])
        created, updated = len(new), len(changed)
    if created or updated:
        rating_reference_forget()
    return RatesImported(created=created, updated=updated, unchanged=unchanged)


def sample_rates_load() -> RatesImported:
    """Load the shipped sample rates (idempotent): the demo and the tests use them."""
    return rates_import(text=SAMPLE_RATES.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _sample_prices() -> frozenset[tuple[str, str, str, Decimal, Decimal, date]]:
    rows = rates_parse(text=SAMPLE_RATES.read_text(encoding="utf-8"))
    return frozenset(
        (v["country"], v["number_type"], v["currency"], quantize(v["per_minute"]),
         quantize(v["connection_fee"]), v["effective_from"])
        for _line, v in rows
    )


def rates_are_samples(*, prices: Iterable[tuple[str, str, Decimal, Decimal, date]],
                      currency: str) -> bool:
    """Whether the rates in effect (``(country, number_type, per_minute, fee,
    effective_from)``) are all the shipped sample rates (``SAMPLE_RATES``), as
    ``sample_rates_load`` writes them: the Rates page then says so (README, "Rates").
    False when there are none."""
    samples = _sample_prices()
    seen = False
    for country, number_type, per_minute, fee, effective_from in prices:
        seen = True
        key = (country, number_type, currency, quantize(per_minute), quantize(fee),
               effective_from)
        if key not in samples:
            return False
    return seen
