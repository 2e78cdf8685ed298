"""The main pages rendered in Chinese with the demo's data show no English words (README,
"Languages and time zones"), but for proper nouns and codes; the PSTN usage export keeps
its documented English header. The catalogs themselves: tests/test_translations.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

LANGUAGES = ("zh-hans", "zh-hant")

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seeded_demo")]

# Words that stay as they are on a Chinese page: product and brand names, protocols,
# file formats, codes and units. The demo data's own names (people, organizations,
# products, departments...) are read from the database (allowed_from_data).
ALLOWED_WORDS = {
    # brands, products, and the names of things as Microsoft ships them
    "Microsoft", "Teams", "Phone", "Office", "Skype", "Business", "Azure", "Entra", "Exchange",
    "Excel", "Visa", "Mastercard", "Amex", "American", "Express", "Discover", "JCB", "UnionPay",
    # protocols, formats, standards, codes
    "PSTN", "CSV", "API", "UTF", "UTC", "ISO", "IANA", "UPN", "SKU", "EA", "PO", "ID", "MFA",
    "URL", "HTTP", "HTTPS", "E", "INV", "ORD", "MM", "YY", "YYYY", "DD", "AM", "PM",
    # the name Chinese editions of such consoles keep (Microsoft's zh-CN/zh-TW docs: Webhook)
    "Webhook", "Webhooks", "HMAC", "SHA", "POST", "JSON",
    # keys on the keyboard
    "Ctrl",
    # the language switcher names each language in that language
    "English",
}


def allowed_from_data() -> set[str]:
    """The words of the demo data: names of people, organizations, products, departments,
    job titles, agreements' addresses, service requests, cards; they are what admins typed
    or bought, and stay in their language."""
    from accounts.models import Product, ServiceRequest, Tenant, User
    from credits.models import EnterpriseAgreement, PaymentMethod

    texts: list[str] = []
    texts += Tenant.objects.values_list("name", flat=True)
    texts += Product.objects.values_list("name", flat=True)
    texts += Product.objects.values_list("code", flat=True)
    for row in User.objects.values_list("display_name", "username", "department", "job_title"):
        texts += row
    for row in ServiceRequest.objects.values_list("title", "description"):
        texts += row
    for row in PaymentMethod.objects.values_list("holder", "brand"):
        texts += row
    for row in EnterpriseAgreement.objects.values_list("name", "billing_address"):
        texts += row
    return {word for text in texts for word in WORD.findall(text or "")}


WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# Addresses, codes and identifiers that are not words: emails, URLs, currency codes and
# symbols (USD, US$), numbers like INV-2026-0001, IANA time zones (America/New_York), the
# report's call type codes (user_out_conf), as the Teams PSTN usage report shows them,
# GUIDs (a user's object ID), webhook event types (balance.low) and HTTP header names
# (Credits-Signature) and the signature's fields (t=, v1=).
NOT_WORDS = re.compile(
    r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b|"
    r"\S+@\S+|https?://\S+|\b[A-Z]{3}\b|\b[A-Z]{1,3}\$|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b"
    r"|\b[A-Z][a-z]+(?:/[A-Za-z_]+)+|\b[a-z]+(?:_[a-z]+)+\b"
    r"|\b[\w-]+\.(?:py|csv|xlsx|json)\b"
    r"|\b[a-z]+(?:\.[a-z]+)+\b|\b[A-Z][a-z]+(?:-[A-Z][a-z]+)+\b|\b[a-z][a-z0-9]?="
)
# One or two capitals: ISO 3166 country codes beside the country's name, people's initials.
CODE_OR_INITIALS = re.compile(r"[A-Z]{1,2}")


class VisibleText(HTMLParser):
    """The text a person reads: no tags, attribute values, scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in {"script", "style", "template"}:
            self.hidden += 1

    def handle_endtag(self, tag) -> None:
        if tag in {"script", "style", "template"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.parts.append(data)


def english_words(html: str, allowed: set[str]) -> list[str]:
    """The English words a person reads on the page, each with the text around it."""
    parser = VisibleText()
    parser.feed(html)
    text = NOT_WORDS.sub(" ", " ".join(" ".join(parser.parts).split()))
    found: dict[str, str] = {}
    for match in WORD.finditer(text):
        word = match.group().strip("'’")
        if CODE_OR_INITIALS.fullmatch(word) or word in allowed or word in found:
            continue
        if word:
            found[word] = text[max(0, match.start() - 30):match.end() + 30]
    return [f"{word} («{around}»)" for word, around in sorted(found.items())]


@pytest.fixture(scope="module")
def demo(django_db_blocker) -> set[str]:
    """The words a Chinese page may show in English with the demo seeded (conftest.py)."""
    with django_db_blocker.unblock():
        return allowed_from_data() | ALLOWED_WORDS


def signed_in(lang: str, username: str | None) -> Client:
    from accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def _a_licensed_user(c) -> str:
    from accounts.models import User

    user = User.objects.filter(tenant__slug="contoso", licenses__isnull=False).first()
    return reverse("accounts:user_detail", kwargs={"pk": user.pk})


# (what the test calls the page, who looks at it, its URL or how to find it)
PAGES = {
    "sign-in": (None, lambda c: reverse("accounts:login")),
    "Home": ("admin@contoso.example", lambda c: reverse("accounts:home")),
    "Active users": ("admin@contoso.example", lambda c: reverse("accounts:active_users")),
    "a user's Licenses and apps": ("admin@contoso.example", _a_licensed_user),
    "Purchase services": ("admin@contoso.example", lambda c: reverse("credits:purchase_services")),
    "Communications Credits set-up": (
        "billing@northwind.example", lambda c: reverse("credits:credits_setup")
    ),
    "Your products": ("admin@contoso.example", lambda c: reverse("credits:products")),
    "Communications Credits": (
        "admin@contoso.example", lambda c: reverse("credits:credits_subscription")
    ),
    "PSTN usage": ("admin@contoso.example", lambda c: reverse("credits:pstn_usage")),
    "Minute pools": ("admin@contoso.example", lambda c: reverse("credits:minute_pools")),
    "Bills & payments": ("admin@contoso.example", lambda c: reverse("credits:bills")),
    "Payment methods": ("admin@contoso.example", lambda c: reverse("credits:payment_methods")),
    "Rates": ("admin@contoso.example", lambda c: reverse("credits:rates")),
    "Message center": ("admin@contoso.example", lambda c: reverse("credits:message_center")),
    "Billing notifications": (
        "admin@contoso.example", lambda c: reverse("credits:billing_notifications")
    ),
    "Your billing emails": (
        "admin@contoso.example", lambda c: reverse("credits:notification_preferences")
    ),
    "Webhooks": ("admin@contoso.example", lambda c: reverse("credits:webhooks")),
    "Spend controls": ("admin@contoso.example", lambda c: reverse("credits:spend_controls")),
    "Calling restrictions": (
        "admin@contoso.example", lambda c: reverse("credits:calling_restrictions")
    ),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_the_main_pages_show_no_english_in_chinese(demo, lang, page):
    username, url = PAGES[page]
    client = signed_in(lang, username)
    response = client.get(url(client), follow=True)
    assert response.status_code == 200, (page, response.redirect_chain)
    html = response.content.decode()
    assert f'lang="{lang}"' in html
    found = english_words(html, demo)
    assert not found, f"{page} in {lang} shows English words: {found}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_set_up_steps_payment_and_confirmation_show_no_english_in_chinese(demo, lang):
    """Step 2 (payment) of the Communications Credits set-up, reached from step 1."""
    client = signed_in(lang, "billing@northwind.example")
    step_1 = {
        "add_funds": "100", "auto_recharge": "on", "recharge_with": "100",
        "recharge_below": "20", "monthly_limit": "",
    }
    response = client.post(reverse("credits:credits_setup"), step_1, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="step" value="payment"' in html, "step 1 did not lead to the payment step"
    found = english_words(html, demo)
    assert not found, f"the set-up's payment step in {lang} shows English words: {found}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pstn_usage_export_keeps_its_documented_english_header(demo, lang):
    """The export's header is an interface (the usage import reads it back): it stays in
    English whatever the admin's language."""
    from credits.usage.telephony.records import HEADER

    client = signed_in(lang, "admin@contoso.example")
    response = client.get(reverse("credits:pstn_usage_csv"))
    assert response.status_code == 200
    first_line = b"".join(response.streaming_content if response.streaming else [response.content])
    header = first_line.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(HEADER)
