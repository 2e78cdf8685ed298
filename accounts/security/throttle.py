"""Counting requests in the cache: password reset requests per address and per client.

The cache is the default one (``CACHES``): per process unless a shared cache is set, as
production should (README, "Configuration")."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 3600


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"security:{kind}:{digest}"


def throttle_hit(kind: str, value: str, *, limit: int, window: int = WINDOW_SECONDS) -> bool:
    """Count one request for ``value``; ``False`` once more than ``limit`` came within the
    window (which starts at the first of them)."""
    key = _key(kind, value)
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return True
    return count <= limit
