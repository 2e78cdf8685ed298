"""Payments: the gateway interface, the sandbox gateway, and card helpers."""

from credits.billing.gateway.base import (
    CardDetails,
    CardError,
    ChargeResult,
    GatewayUnavailable,
    PaymentGateway,
    SavedCard,
    TokenizedCard,
    get_gateway,
)

__all__ = [
    "CardDetails",
    "CardError",
    "ChargeResult",
    "GatewayUnavailable",
    "PaymentGateway",
    "SavedCard",
    "TokenizedCard",
    "get_gateway",
]
