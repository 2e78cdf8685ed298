"""Credits test fixtures."""

from __future__ import annotations

import pytest

from tests.credits.factories import CreditAccountFactory


@pytest.fixture
def account(tenant):
    """Contoso's credit account (USD), empty."""
    return CreditAccountFactory(tenant=tenant)


@pytest.fixture
def other_account(other_tenant):
    """Fabrikam's credit account (GBP), empty."""
    return CreditAccountFactory(tenant=other_tenant)
