"""Signed webhooks for billing events (README, "Webhooks"): the endpoints a tenant's
billing admins register, the events the console emits (``events.webhook_event_emit``),
their signed deliveries by the workers with retries (``delivery``), the address guard
(``addresses``) and the Webhooks page (``views``)."""
