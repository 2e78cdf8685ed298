"""Sales regions: every country in exactly one, defined once."""

from accounts.countries import country_codes
from credits.billing.regions import REGION_COUNTRIES, Region, describe, region_of, same_region


def test_every_country_is_in_exactly_one_region():
    seen: set[str] = set()
    for countries in REGION_COUNTRIES.values():
        assert not seen & countries
        seen |= countries
    assert seen == set(country_codes())


def test_regions_of_the_demo_tenants_and_agreements():
    assert region_of("US") == region_of("CA") == region_of("BR") == Region.AMERICAS
    assert region_of("DE") == region_of("GB") == region_of("ZA") == region_of("AE") == Region.EMEA
    assert region_of("JP") == region_of("AU") == region_of("IN") == Region.APAC
    assert region_of("de") == Region.EMEA
    assert region_of("XX") is None and region_of("") is None


def test_same_region_never_matches_an_unknown_country():
    assert same_region("DE", "FR") and not same_region("DE", "US")
    assert not same_region("XX", "XX")


def test_describe_names_the_country_and_its_region():
    assert describe("DE") == "Germany (Europe, Middle East and Africa)"
    assert describe("US") == "United States (Americas)"
