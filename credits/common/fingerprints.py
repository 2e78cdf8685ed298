"""Request fingerprints: what an idempotent request asked for, as a stable hash.

An idempotency key used again must come with the same request: the ledger's postings and
the orders store this fingerprint beside their key and compare it on a replay (the same
key with other content is a conflict, never a second posting or charge).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def fingerprint(content: Mapping[str, object]) -> str:
    """SHA-256 of ``content`` as JSON with sorted keys (values JSON cannot hold, such as
    ``Decimal`` or ``datetime``, as their text)."""
    payload = json.dumps(dict(content), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
