"""Where a webhook may be sent (README, "Webhooks"): in production only HTTPS to public
addresses. The host is resolved and every address it resolves to is checked, when the
endpoint is saved and again before each attempt; the attempt then connects to an address
that was checked, so a name that changes its answer in between (DNS rebinding) cannot
send it inside the network.

Refused: loopback, private, link-local, shared (carrier-grade NAT), multicast, reserved
and unspecified addresses, and IPv6 addresses carrying one of those (IPv4-mapped, 6to4,
Teredo, NAT64). ``WEBHOOKS_ALLOW_PRIVATE`` (on in the dev and test settings) allows plain
HTTP and any address, for a receiver on the same machine.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from credits.exceptions import CreditsError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class WebhookAddressRefused(CreditsError):
    """The endpoint's URL is not one the console may send to."""

    code = "webhook_address_refused"


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, every one allowed) and what to ask."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet (and so is any address it carries)."""
    if address.is_multicast or not address.is_global:
        return False
    inner = embedded_ipv4(address)
    return inner is None or address_public(inner)


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return ()
    return tuple(dict.fromkeys(answer[4][0] for answer in answers))


def target_check(url: str, *, allow_private: bool | None = None) -> Target:
    """The URL's target, every address checked; ``WebhookAddressRefused`` (with a message
    for the admin) when it may not be sent to."""
    allow_private = private_allowed() if allow_private is None else allow_private
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookAddressRefused(_("Enter a valid URL.")) from None
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes:
        raise WebhookAddressRefused(_("The endpoint URL must start with https://."))
    if not parts.hostname:
        raise WebhookAddressRefused(_("Enter a valid URL."))
    if parts.username is not None or parts.password is not None:
        raise WebhookAddressRefused(
            _("The endpoint URL can't hold a user name or password: deliveries are "
              "verified with the signing secret instead.")
        )
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise WebhookAddressRefused(
            _("%(host)s could not be found: check the endpoint URL.") % {"host": host}
        )
    if not allow_private:
        for text in addresses:
            if not address_public(ipaddress.ip_address(text.split("%", 1)[0])):
                raise WebhookAddressRefused(
                    _("%(host)s resolves to %(address)s, which is not a public internet "
                      "address: webhooks are sent only to public addresses.")
                    % {"host": host, "address": text}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)
