"""Sales regions, defined once (an Enterprise Agreement billed in another region than the
organization is refused).

Every ISO 3166 country the console knows (``accounts.countries``) belongs to exactly one
region; ``tests/credits/billing/test_regions.py`` checks that the three sets cover them all and do
not overlap. Territories follow the region of the area they lie in (Greenland and the
Caribbean territories in the Americas, the Pacific islands in Asia Pacific); Central Asia
is in Europe, Middle East and Africa, as in Microsoft's own sales areas.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.countries import country_name


class Region(models.TextChoices):
    AMERICAS = "americas", _("Americas")
    EMEA = "emea", _("Europe, Middle East and Africa")
    APAC = "apac", _("Asia Pacific")


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AMERICAS = _codes(
    """
    AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CP CR CU CW DM DO EC FK GD GF GL GP GS GT
    GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT UM US UY VC VE VG VI
    """
)

_APAC = _codes(
    """
    AF AQ AS AU BD BN BT CC CK CN CX DG FJ FM GU HK HM ID IN IO JP KH KI KP KR LA LK MH MM
    MN MO MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TK TL TO TV TW VN VU WF WS
    """
)

_EMEA = _codes(
    """
    AC AD AE AL AM AO AT AX AZ BA BE BF BG BH BI BJ BV BW BY CD CF CG CH CI CM CQ CV CY CZ
    DE DJ DK DZ EA EE EG EH ER ES ET FI FO FR GA GB GE GG GH GI GM GN GQ GR GW HR HU IC IE
    IL IM IQ IR IS IT JE JO KE KG KM KW KZ LB LI LR LS LT LU LV LY MA MC MD ME MG MK ML MR
    MT MU MW MZ NA NE NG NL NO OM PL PS PT QA RE RO RS RU RW SA SC SD SE SH SI SJ SK SL SM
    SN SO SS ST SY SZ TA TD TF TG TJ TM TN TR TZ UA UG UZ VA XK YE YT ZA ZM ZW
    """
)

REGION_COUNTRIES: dict[str, frozenset[str]] = {
    Region.AMERICAS: _AMERICAS,
    Region.EMEA: _EMEA,
    Region.APAC: _APAC,
}

_BY_COUNTRY: dict[str, Region] = {
    country: Region(region)
    for region, countries in REGION_COUNTRIES.items()
    for country in countries
}


def region_of(country: str) -> Region | None:
    """The region of an ISO 3166 alpha-2 code, or None for a code the console doesn't know."""
    return _BY_COUNTRY.get((country or "").upper())


def same_region(country_a: str, country_b: str) -> bool:
    """Whether both countries are known and in one region (an unknown code never matches)."""
    region = region_of(country_a)
    return region is not None and region == region_of(country_b)


def describe(country: str) -> str:
    """'Germany (Europe, Middle East and Africa)', in the active language."""
    region = region_of(country)
    name = country_name(country)
    return f"{name} ({region.label})" if region is not None else name
