"""The address guard: in production only HTTPS to public addresses, every address the
host resolves to checked; the dev and test settings allow a receiver on this machine."""

from __future__ import annotations

import socket

import pytest

from config.settings import base, dev, test
from credits.notifications.webhooks import addresses
from credits.notifications.webhooks.addresses import WebhookAddressRefused, target_check


def resolving_to(monkeypatch, *ips: str) -> None:
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (ip, port)) for ip in ips
        ]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",  # loopback
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",  # private
        "https://172.16.0.9/hook",
        "https://192.168.1.20:8443/hook",
        "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "https://[fe80::1]/hook",
        "https://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "https://224.0.0.1/hook",  # multicast
        "https://[ff02::1]/hook",
        "https://0.0.0.0/hook",  # unspecified  # noqa: S104
        "https://240.0.0.1/hook",  # reserved
        "https://192.0.2.10/hook",  # documentation
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[64:ff9b::a01:203]/hook",  # NAT64 of 10.1.2.3
        "https://[2002:c0a8:0101::1]/hook",  # 6to4 of 192.168.1.1
    ],
)
def test_production_refuses_addresses_that_are_not_public(url):
    with pytest.raises(WebhookAddressRefused, match="not a public internet address"):
        target_check(url, allow_private=False)


def test_production_refuses_plain_http_and_other_schemes(monkeypatch):
    resolving_to(monkeypatch, "93.184.216.34")
    for url in ("http://hooks.example.com/x", "ftp://hooks.example.com/x", "file:///etc/passwd",
                "javascript:alert(1)"):
        with pytest.raises(WebhookAddressRefused, match="https://"):
            target_check(url, allow_private=False)


def test_every_address_of_the_host_is_checked(monkeypatch):
    """A name with one public and one private address is refused (either may be used)."""
    resolving_to(monkeypatch, "93.184.216.34", "10.0.0.7")
    with pytest.raises(WebhookAddressRefused, match="10.0.0.7"):
        target_check("https://hooks.example.com/x", allow_private=False)


def test_a_public_https_address_is_accepted_with_what_to_connect_to(monkeypatch):
    resolving_to(monkeypatch, "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    target = target_check("https://hooks.example.com:8443/in?src=credits", allow_private=False)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https", "hooks.example.com", 8443, "/in?src=credits")
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")


def test_credentials_in_the_url_and_unknown_hosts_are_refused(monkeypatch):
    with pytest.raises(WebhookAddressRefused, match="user name or password"):
        target_check("https://user:secret@hooks.example.com/x", allow_private=False)
    resolving_to(monkeypatch)
    with pytest.raises(WebhookAddressRefused, match="could not be found"):
        target_check("https://nowhere.invalid/x", allow_private=False)


def test_the_setting_decides_by_default(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(WebhookAddressRefused):
        target_check("http://127.0.0.1:8000/hook")
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert target_check("http://127.0.0.1:8000/hook").addresses == ("127.0.0.1",)


def test_only_the_dev_and_test_settings_allow_private_addresses():
    assert base.WEBHOOKS_ALLOW_PRIVATE is False
    assert dev.WEBHOOKS_ALLOW_PRIVATE is True and test.WEBHOOKS_ALLOW_PRIVATE is True
