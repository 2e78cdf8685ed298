"""Opening a tenant's credit account, the first step of setting up Communications
Credits (the set-up purchase completes with it). Opening moves no money; the ledger
does that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from accounts.services import audit_record
from credits.billing.rules import credits_available_check
from credits.ledger.models.accounts import CreditAccount

if TYPE_CHECKING:
    from accounts.models import Tenant, User



def credit_account_open(*, tenant: Tenant, acting_user: User | None = None) -> CreditAccount:
    """The tenant's credit account, created in the tenant's currency if it has none yet.

    Idempotent: a tenant has at most one account, and opening it again returns it.
    """
    credits_available_check(tenant)
    with transaction.atomic():
        account, created = CreditAccount.objects.get_or_create(
            tenant=tenant, defaults={"currency": tenant.currency}
        )
        if created:
            audit_record(
                tenant=tenant, actor=acting_user, action="credits.account_open",
                target=f"Credit account {account.pk}",
                after={"currency": account.currency, "status": account.status},
            )
    return account
