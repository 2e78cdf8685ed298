"""Strict readers for settings that come from the environment.

A value that is present but malformed raises ImproperlyConfigured at start-up, naming the
variable, instead of silently falling back to a default.
"""

from __future__ import annotations

import json
import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


def env_str(name: str, default: str | object = _MISSING) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default  # type: ignore[return-value]
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str] | object = _MISSING) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    value = env_str(name, _MISSING if default is _MISSING else ",".join(default))  # type: ignore[arg-type]
    return [item.strip() for item in value.split(",") if item.strip()]


def env_json_object(name: str, default: dict) -> dict:
    """A JSON object (``{"bucket_name": "exports"}``); absent: ``default``."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {value!r}.") from None
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {value!r}.")
    return parsed


def env_database(name: str = "DATABASE_URL", default: str | object = _MISSING) -> dict:
    url = env_str(name, default)
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name} is not a database URL Django can use: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine not in {"django.db.backends.sqlite3", "django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            f"{name} must point at SQLite (sqlite:///path) or PostgreSQL (postgres://...)."
        )
    if engine.endswith("sqlite3"):
        # SQLite keeps connections per thread; persistent ones only add locking trouble.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
            }
        )
    return config
