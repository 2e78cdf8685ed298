from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credits.common.dates import lot_expires_at, months_add


@pytest.mark.parametrize(
    ("purchased", "expires"),
    [
        (datetime(2024, 2, 29, 10, 30, tzinfo=UTC), datetime(2025, 2, 28, 10, 30, tzinfo=UTC)),
        (datetime(2023, 2, 28, 8, 0, tzinfo=UTC), datetime(2024, 2, 28, 8, 0, tzinfo=UTC)),
        (datetime(2025, 1, 31, 23, 59, tzinfo=UTC), datetime(2026, 1, 31, 23, 59, tzinfo=UTC)),
        (datetime(2025, 12, 31, 0, 0, tzinfo=UTC), datetime(2026, 12, 31, 0, 0, tzinfo=UTC)),
        (datetime(2025, 3, 15, 12, 0, tzinfo=UTC), datetime(2026, 3, 15, 12, 0, tzinfo=UTC)),
    ],
)
def test_funds_expire_twelve_calendar_months_after_purchase(purchased, expires):
    assert lot_expires_at(purchased) == expires


def test_month_end_is_clamped_to_the_shorter_month():
    assert months_add(datetime(2025, 3, 31, tzinfo=UTC), 1) == datetime(2025, 4, 30, tzinfo=UTC)
    assert months_add(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert months_add(datetime(2025, 1, 31, tzinfo=UTC), -2) == datetime(2024, 11, 30, tzinfo=UTC)


def test_expiry_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        lot_expires_at(datetime(2025, 1, 1))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)))
def test_expiry_is_between_365_and_366_days_later_and_keeps_the_time(naive):
    purchased = naive.replace(tzinfo=UTC)
    expires = lot_expires_at(purchased)
    assert timedelta(days=365) <= expires - purchased <= timedelta(days=366)
    assert (expires.month, expires.time()) == (purchased.month, purchased.time())
    assert expires.day == purchased.day or (purchased.month, purchased.day) == (2, 29)
