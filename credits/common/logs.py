"""Structured log lines of the money path (docs/operations.md, "Logs").

One line per fact, ``event=order.paid tenant_id=3 order_id=41 amount=100.0000 ...``: easy
to grep and to parse as key=value, and the same fields are on the record
(``record.event``, ``record.fields``) for a JSON formatter. Lines name tenants and
orders by id and carry amounts and outcomes; never card data: no card number, security
code or gateway token (``event_log`` refuses such fields).
"""

from __future__ import annotations

import logging
from decimal import Decimal

# Fields that would carry card data; refused whatever the caller passes.
_CARD_DATA = frozenset({"card", "card_number", "number_on_card", "cvc", "token", "gateway_token",
                        "pan", "exp_month", "exp_year"})


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if not text or any(ch.isspace() or ch in '"=' for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def event_log(logger: logging.Logger, event: str, *, level: int = logging.INFO,
              **fields: object) -> None:
    """Log ``event`` with ``fields`` as one ``key=value`` line."""
    refused = _CARD_DATA & set(fields)
    if refused:
        raise ValueError(f"Card data is never logged: {', '.join(sorted(refused))}.")
    if not logger.isEnabledFor(level):
        return
    line = " ".join([f"event={event}", *(f"{key}={_value(v)}" for key, v in fields.items())])
    logger.log(level, line, extra={"event": event, "fields": fields})
