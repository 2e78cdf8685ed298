"""``seed_demo --users N``: what it refuses. What it adds:
tests/seeded_demo/test_users_option.py."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-password-1", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["-1", "100001"])
def test_users_option_must_be_reasonable(value):
    with pytest.raises(CommandError, match="--users must be between 0 and 100,000"):
        seed("--users", value)


@pytest.mark.django_db
def test_users_option_must_be_a_number():
    with pytest.raises(CommandError, match="invalid int value"):
        seed("--users", "many")
