"""Error reporting to Sentry when ``SENTRY_DSN`` is set (docs/operations.md, "Error
reporting").

What leaves the server is kept to the error: no personal data (``send_default_pii``
off: no cookies, no user, no IP address), no request bodies (a form may carry a card
number), no local variables of the stack frames (they may hold one too).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install "
            "'comms-credits-console[sentry]'."
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
    )
