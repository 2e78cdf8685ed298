"""What a notification says, written when it is read (README, "Languages and time zones").

A notification stores its kind and its parameters (JSON: amounts as strings with their
currency, dates in ISO 8601, order numbers, counts). One renderer per kind turns them into
a subject and lines in the active language: the email's, under
``translation.override(recipient's language)`` at send time, and the Message center's, in
the viewer's language; dates in the tenant's time zone. Notifications recorded before the
parameters keep the text they were stored with (the ``legacy`` renderer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from credits.common.formatting import format_money, tenant_locale
from credits.notifications.choices import NotificationKind

LEGACY = "legacy"


@dataclass(frozen=True)
class Rendered:
    subject: str
    lines: tuple[str, ...]


Renderer = Callable[[dict, str], Rendered]
RENDERERS: dict[str, Renderer] = {}


def renderer_register(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of ``kind``: ``renderer(params, country) -> Rendered``."""

    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register


def notification_render(notification) -> Rendered:
    """The notification's subject and lines in the active language."""
    return render(
        kind=notification.kind, params=notification.params, country=notification.tenant.country,
        subject=notification.subject, context=notification.context,
    )


def render(*, kind: str, params: dict, country: str, subject: str = "",
           context: dict | None = None) -> Rendered:
    renderer = RENDERERS.get(kind) if params else None
    if renderer is None:
        return RENDERERS[LEGACY]({"subject": subject, **(context or {})}, country)
    return renderer(params, country)


def _money(params: dict, key: str, country: str) -> str:
    return format_money(params[key], params["currency"], locale=tenant_locale(country))


def _day(value: str) -> str:
    """An ISO 8601 date, or the day of an ISO 8601 date-time in the active time zone (the
    tenant's: the sender and the Message center activate it)."""
    moment = datetime.fromisoformat(value)
    if "T" in value and timezone.is_aware(moment):
        return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")
    return formats.date_format(moment.date(), "DATE_FORMAT")


@renderer_register(LEGACY)
def legacy(params: dict, country: str) -> Rendered:
    """Recorded before notifications kept their parameters: the stored text, as it was."""
    return Rendered(subject=params.get("subject", ""), lines=tuple(params.get("lines", ())))


@renderer_register(NotificationKind.BALANCE_ZERO)
def balance_zero(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Your Communications Credits balance reached zero"),
        lines=(
            _("The balance is %(balance)s. New paid calls are refused until funds are added.")
            % {"balance": _money(params, "balance", country)},
        ),
    )


@renderer_register(NotificationKind.LIMIT_REACHED)
def limit_reached(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Monthly recharge limit reached"),
        lines=(
            _(
                "Auto-recharge has bought %(spent)s this month; another recharge of %(amount)s "
                "would pass the monthly limit of %(limit)s, so none was made. Add funds "
                "manually or raise the limit."
            )
            % {
                "spent": _money(params, "spent", country),
                "amount": _money(params, "amount", country),
                "limit": _money(params, "limit", country),
            },
        ),
    )


@renderer_register(NotificationKind.RECHARGE_FAILED)
def recharge_failed(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Auto-recharge failed"),
        lines=(
            _("The auto-recharge of %(amount)s (order %(number)s) failed: %(reason)s")
            % {"amount": _money(params, "amount", country), "number": params["order"],
               "reason": params["reason"]},
            _("No funds were added. Update the payment method on the subscription page; "
              "auto-recharge is tried again once it changes."),
        ),
    )


@renderer_register(NotificationKind.RECHARGE_SUCCEEDED)
def recharge_succeeded(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Auto-recharge succeeded"),
        lines=(
            _("%(amount)s was added to your Communications Credits (order %(number)s). "
              "The balance is now %(balance)s.")
            % {"amount": _money(params, "amount", country), "number": params["order"],
               "balance": _money(params, "balance", country)},
        ),
    )


@renderer_register(NotificationKind.EXPIRY_REMINDER)
def expiry_reminder(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Communications Credits expire in %(days)d days") % {"days": params["days"]},
        lines=(
            _("%(remaining)s of funds bought on %(bought)s expire on %(expires)s "
              "(in %(left)d days) and will be forfeited if not used.")
            % {
                "remaining": _money(params, "remaining", country),
                "bought": _day(params["bought"]),
                "expires": _day(params["expires"]),
                "left": params["left"],
            },
        ),
    )


@renderer_register(NotificationKind.SETTINGS_TURNED_OFF)
def settings_turned_off(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Auto-recharge was turned off"),
        lines=(
            _("Auto-recharge was set to recharge with %(amount)s when the balance falls "
              "below %(trigger)s. With the trigger at or above the recharge, every call "
              "would start another recharge, so auto-recharge has been turned off.")
            % {"amount": _money(params, "amount", country),
               "trigger": _money(params, "trigger", country)},
            _("Open Modify recharge settings on the Communications Credits page, choose a "
              "trigger below the recharge amount and turn auto-recharge on again."),
        ),
    )


@renderer_register(NotificationKind.BALANCE_LOW)
def balance_low(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Your Communications Credits balance is below %(threshold)s")
        % {"threshold": _money(params, "threshold", country)},
        lines=(
            _("The balance is %(balance)s, below your low-balance alert of %(threshold)s. "
              "Add funds so paid calls keep working.")
            % {"balance": _money(params, "balance", country),
               "threshold": _money(params, "threshold", country)},
            _("You get this email once each time the balance falls below the alert; change "
              "or turn off the alert on the Communications Credits page."),
        ),
    )


@renderer_register(NotificationKind.SPEND_ANOMALY)
def spend_anomaly(params: dict, country: str) -> Rendered:
    values = {
        "day": _day(params["day"]),
        "spend": _money(params, "spend", country),
        "average": _money(params, "average", country),
        "multiplier": params["multiplier"],
    }
    lines = [
        _("Calls charged %(spend)s to Communications Credits on %(day)s.") % values,
    ]
    if params.get("over_average"):
        lines.append(
            _("That is more than %(multiplier)s times the daily average of the 28 days "
              "before (%(average)s).") % values
        )
    if params.get("over_amount") and params.get("daily_amount"):
        lines.append(
            _("That is more than the daily amount you set (%(amount)s).")
            % {"amount": _money(params, "daily_amount", country)}
        )
    lines.append(_("Check Reports > PSTN usage for the calls, and Spend controls under Billing "
                   "for the alert's settings."))
    return Rendered(subject=_("Unusual Communications Credits spend"), lines=tuple(lines))


@renderer_register(NotificationKind.DAILY_CAP_REACHED)
def daily_cap_reached(params: dict, country: str) -> Rendered:
    return Rendered(
        subject=_("Daily spend cap reached: paid calls stopped"),
        lines=(
            _("Calls charged %(spend)s to Communications Credits on %(day)s, reaching the "
              "daily cap of %(cap)s.")
            % {"spend": _money(params, "spend", country), "day": _day(params["day"]),
               "cap": _money(params, "daily_amount", country)},
            _("New paid calls are refused until the next day in your organization's time "
              "zone. An admin can lift the cap for the rest of the day on the Spend controls "
              "page under Billing."),
        ),
    )


@renderer_register(NotificationKind.WEBHOOK_DISABLED)
def webhook_disabled(params: dict, country: str) -> Rendered:
    since = timezone.localtime(datetime.fromisoformat(params["since"]))
    return Rendered(
        subject=_("Webhook endpoint disabled"),
        lines=(
            _("The webhook endpoint %(url)s was disabled: every attempt to send it billing "
              "events has failed since %(since)s (the last: %(error)s).")
            % {"url": params["url"], "since": formats.date_format(since, "DATETIME_FORMAT"),
               "error": params.get("error") or "-"},
            _("Nothing more is sent to it. Once it answers again, enable it on the Webhooks "
              "page under Billing and resend the events it missed from its delivery log."),
        ),
    )
