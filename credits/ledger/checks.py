"""Checks the ledger runs before it moves money. They read, never write.

Split out of ``credits.ledger.services`` to keep it readable; nothing here changes a
balance, a lot or an entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from credits.common.fingerprints import fingerprint
from credits.exceptions import IdempotencyConflict, LedgerError
from credits.ledger.models.accounts import CreditAccount
from credits.ledger.models.entries import LedgerEntry

if TYPE_CHECKING:
    from accounts.models import User

RESERVED_KEY_PREFIX = "ledger:"
TEXT_LIMITS = {"reference_type": 40, "reference_id": 100, "memo": 500}


def key_check(key: object) -> str:
    """An idempotency key: non-empty text of at most 200 characters, not reserved."""
    if not isinstance(key, str) or not key.strip():
        raise LedgerError("Every posting needs an idempotency key (a non-empty string).")
    if len(key) > LedgerEntry._meta.get_field("idempotency_key").max_length:
        raise LedgerError(f"The idempotency key {key[:40]!r}… is longer than 200 characters.")
    if key.startswith(RESERVED_KEY_PREFIX):
        raise LedgerError(f"Idempotency keys starting with {RESERVED_KEY_PREFIX!r} are reserved.")
    return key


def texts_check(**values: str) -> tuple[str, ...]:
    """Free-text fields within their column sizes, returned in the order given."""
    result = []
    for name, value in values.items():
        value = value or ""
        if not isinstance(value, str):
            raise LedgerError(f"{name} must be text, not {type(value).__name__}.")
        if len(value) > TEXT_LIMITS[name]:
            raise LedgerError(f"{name} is longer than {TEXT_LIMITS[name]} characters.")
        result.append(value)
    return tuple(result)


def request_fingerprint(operation: str, **content: object) -> str:
    """A stable hash of what a posting asks for; replays of a key must match it."""
    return fingerprint({"operation": operation, **{k: str(v) for k, v in content.items()}})


def entry_replayed(
    account: CreditAccount, key: str, fingerprint: str, describe: str
) -> LedgerEntry | None:
    """The entry already posted with ``key``, if its request matches; else a conflict."""
    entry = LedgerEntry.objects.filter(account=account, idempotency_key=key).first()
    if entry is None:
        return None
    if entry.fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"The idempotency key {key!r} was already used on this credit account for entry "
            f"#{entry.pk} ({entry.get_kind_display().lower()} of {entry.amount} "
            f"{account.currency}); this request ({describe}) is different, so nothing was "
            "posted.",
            key=key, entry_id=entry.pk,
        )
    return entry


def aware_check(moment: object) -> datetime:
    if not isinstance(moment, datetime) or timezone.is_naive(moment):
        raise LedgerError(f"Posting times must be aware datetimes, not {moment!r}.")
    return moment


def actor_check(account: CreditAccount, user: User | None) -> None:
    """The acting user is platform staff or a member of the account's tenant."""
    if user is None:
        return
    if user.pk is None:
        raise LedgerError("The acting user must be a saved user.")
    if not user.is_staff and user.tenant_id != account.tenant_id:
        raise LedgerError(f"{user} does not belong to the tenant of this credit account.")
