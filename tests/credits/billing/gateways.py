"""Gateways that misbehave, for the tests of interrupted payments: the sandbox, with a
fault injected where a real processor's network or a crashing process would put it.

``FlakyGateway`` is chosen by dotted path (``settings.PAYMENT_GATEWAY``) in the view and
browser tests; its class attribute ``fault`` says what goes wrong (``None``: nothing).
"""

from __future__ import annotations

from credits.billing.gateway import GatewayUnavailable
from credits.billing.gateway.sandbox import SandboxGateway

FLAKY = "tests.credits.billing.gateways.FlakyGateway"


class ProcessDied(BaseException):  # noqa: N818 - it is not an error the code may handle
    """The process dies here: nothing in the code under test catches it (a BaseException,
    as a killed worker's SystemExit), so the test sees what a crash leaves behind."""


class Unreachable(SandboxGateway):
    """The gateway can't be reached at all: no charge is made, no status is known."""

    def charge(self, **kwargs):
        raise GatewayUnavailable("connection timed out")

    def charge_status(self, idempotency_key):
        raise GatewayUnavailable("connection timed out")


class AnswerLost(SandboxGateway):
    """The charge is made, then the answer is lost on the way back (a read timeout)."""

    def charge(self, **kwargs):
        super().charge(**kwargs)
        raise GatewayUnavailable("read timed out")


class Broken(SandboxGateway):
    """The gateway's client raises something unexpected before charging."""

    def charge(self, **kwargs):
        raise RuntimeError("unexpected response from the payment gateway")


class DiesBeforeCharge(SandboxGateway):
    """The process dies on its way to the gateway: nothing is charged."""

    def charge(self, **kwargs):
        raise ProcessDied("before the charge")


class DiesAfterCharge(SandboxGateway):
    """The process dies right after the gateway charged: the order is never completed."""

    def charge(self, **kwargs):
        super().charge(**kwargs)
        raise ProcessDied("after the charge")


class FlakyGateway(SandboxGateway):
    """The sandbox with a switchable fault: ``FlakyGateway.fault = "unreachable"``,
    ``"answer_lost"`` or ``"broken"``; ``None`` behaves as the sandbox."""

    fault: str | None = None
    charges_tried = 0

    def charge(self, **kwargs):
        type(self).charges_tried += 1
        if self.fault == "unreachable":
            raise GatewayUnavailable("connection timed out")
        if self.fault == "broken":
            raise RuntimeError("unexpected response from the payment gateway")
        result = super().charge(**kwargs)
        if self.fault == "answer_lost":
            raise GatewayUnavailable("read timed out")
        return result

    def charge_status(self, idempotency_key):
        if self.fault == "unreachable":
            raise GatewayUnavailable("connection timed out")
        return super().charge_status(idempotency_key)
