"""The Chinese catalogs have no gaps (README, Languages).

Every catalog (Simplified and Traditional Chinese; the pages' ``django`` domain and the
scripts' ``djangojs``) translates every entry, none fuzzy, with the English string's
placeholders and HTML tags, one plural form (Chinese has one); makemessages finds no
string in the code that the catalogs lack; the compiled .mo files say what the .po files
say. The main pages, rendered in each Chinese with the demo data, show no English word
but the proper nouns and codes of ALLOWED_WORDS and the demo data's own names.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.management.commands.compile_catalogs import compiled

LANGUAGES = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant"}
DOMAINS = ("django", "djangojs")
LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = [(lang, domain) for lang in LANGUAGES for domain in DOMAINS]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def catalog_path(lang: str, domain: str, suffix: str = ".po") -> Path:
    return LOCALE / LANGUAGES[lang] / "LC_MESSAGES" / f"{domain}{suffix}"


def read_catalog(path: Path):
    with path.open("rb") as source:
        return read_po(source, charset="utf-8")


def raw_entries(path: Path) -> list[dict]:
    """The entries as written in the .po (Babel drops plural forms beyond nplurals, and the
    tests must see them): msgid, msgid_plural, the msgstr[n] forms, flags."""
    entries, entry, last = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry, last = None, None
            continue
        if line.startswith("#,"):
            entry = entry or {"flags": set(), "forms": {}}
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            entry = entry or {"flags": set(), "forms": {}}
            continue
        entry = entry or {"flags": set(), "forms": {}}
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if match:
            keyword, index, text = match.groups()
            last = ("forms", int(index)) if index is not None else (
                ("forms", 0) if keyword == "msgstr" else keyword
            )
            _append(entry, last, text)
        elif line.startswith('"') and last is not None:
            _append(entry, last, line[1:-1])
    return [e for e in entries if "msgid" in e]


def _append(entry: dict, key, text: str) -> None:
    text = text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    if isinstance(key, tuple):
        entry["forms"][key[1]] = entry["forms"].get(key[1], "") + text
    else:
        entry[key] = entry.get(key, "") + text


# --- the catalogs ------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_every_entry_is_translated_and_none_is_fuzzy(lang, domain):
    entries = [e for e in raw_entries(catalog_path(lang, domain)) if e["msgid"]]
    assert entries, "the catalog has no entries"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if not all(e["forms"].values()) or not e["forms"]]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries, e.g. {fuzzy[:5]}"
    assert not empty, f"{len(empty)} untranslated entries of {len(entries)}, e.g. {empty[:5]}"


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_plural_entries_have_the_one_form_of_chinese(lang, domain):
    catalog = read_catalog(catalog_path(lang, domain))
    assert (catalog.num_plurals, catalog.plural_expr) == (1, "0")
    plurals = [e for e in raw_entries(catalog_path(lang, domain)) if "msgid_plural" in e]
    wrong = [(e["msgid"], sorted(e["forms"])) for e in plurals if sorted(e["forms"]) != [0]]
    assert not wrong, f"plural entries need exactly msgstr[0]: {wrong[:5]}"


# %(name)s, %s, %d... (with %% a literal percent sign), {name}/{0}, and HTML tags.
PLACEHOLDER = re.compile(
    r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxX]|\{[\w.]*\}"
    r"|</?(?:a|abbr|b|br|code|em|i|kbd|li|p|small|span|strong|ul)\b[^<>]*>"
)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_translations_keep_the_placeholders_and_tags(lang, domain):
    wrong = []
    for entry in raw_entries(catalog_path(lang, domain)):
        if not entry["msgid"]:
            continue
        expected = {tuple(placeholders(entry["msgid"]))}
        if "msgid_plural" in entry:  # the one Chinese form may follow either English form
            expected.add(tuple(placeholders(entry["msgid_plural"])))
        for form in entry["forms"].values():
            if form and tuple(placeholders(form)) not in expected:
                wrong.append(f"{entry['msgid']!r} -> {form!r}")
            if form and form.count("%%") != entry["msgid"].count("%%"):
                wrong.append(f"{entry['msgid']!r} -> {form!r} (the literal %% differ)")
    assert not wrong, "placeholders or tags differ:\n" + "\n".join(wrong[:20])


@pytest.mark.parametrize(("lang", "domain"), CATALOGS)
def test_the_compiled_catalogs_say_what_the_po_files_say(lang, domain):
    """The .mo the console reads (compile_catalogs writes it, `make install` and the test
    run call it) is the .po compiled now, and translates every entry as the .po does."""
    po, mo = catalog_path(lang, domain), catalog_path(lang, domain, ".mo")
    assert mo.exists(), f"{mo} is missing: run manage.py compile_catalogs"
    assert mo.read_bytes() == compiled(po), f"{mo} is stale: run manage.py compile_catalogs"
    with mo.open("rb") as source:
        translations = gettext.GNUTranslations(source)
    for message in read_catalog(po):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            for n in (1, 2, 5):
                if message.context:
                    got = translations.npgettext(message.context, *message.id, n)
                else:
                    got = translations.ngettext(*message.id, n)
                assert got == message.string[0]
        elif message.context:
            assert translations.pgettext(message.context, message.id) == message.string
        else:
            assert translations.gettext(message.id) == message.string


# --- makemessages finds nothing new --------------------------------------------------------


SOURCES = ("accounts", "credits", "config", "templates", "static/console")


def extracted(tmp_path: Path, domain: str) -> set:
    """The msgids makemessages extracts now from the code, into a scratch copy of it."""
    for source in SOURCES:
        shutil.copytree(
            Path(settings.BASE_DIR) / source, tmp_path / source,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    (tmp_path / "locale").mkdir()
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "LOCALE_PATHS", [tmp_path / "locale"])
            call_command("makemessages", locale=["zh_Hans"], domain=domain, verbosity=0)
    finally:
        os.chdir(here)
    return msgid_keys(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po")


def msgid_keys(path: Path) -> set:
    return {(m.context, m.id) for m in read_catalog(path) if m.id}


@pytest.mark.parametrize("domain", DOMAINS)
def test_makemessages_finds_no_string_the_catalogs_lack(tmp_path, domain):
    if shutil.which("xgettext") is None:
        if IN_CI:
            pytest.fail("CI=true: xgettext (GNU gettext) is needed to extract the strings")
        pytest.skip("xgettext (GNU gettext) is not installed: the extraction can't run")
    found = extracted(tmp_path, domain)
    for lang in LANGUAGES:
        catalog = msgid_keys(catalog_path(lang, domain))
        new, gone = sorted(found - catalog, key=str), sorted(catalog - found, key=str)
        assert not new, (
            f"{len(new)} strings are not in the {lang} {domain} catalog: run "
            f"`manage.py makemessages -a -d {domain}` and translate them: {new[:10]}"
        )
        assert not gone, (
            f"{len(gone)} entries of the {lang} {domain} catalog are no longer in the code: "
            f"run `manage.py makemessages -a -d {domain}`: {gone[:10]}"
        )


def test_makemessages_takes_the_projects_options():
    """`manage.py makemessages` leaves out the virtualenv, the tests, the vendored scripts
    and the benchmarks, locates by file only and drops obsolete entries (README)."""
    from accounts.management.commands.makemessages import Command

    command = Command()
    parser = command.create_parser("manage.py", "makemessages")
    options = vars(parser.parse_args(["-a"]))
    assert options["add_location"] == "file"
    assert options["no_obsolete"] is True
    assert {".venv/*", "tests/*", "static/vendor/*", "credits/bench/*"} <= set(
        options["ignore_patterns"]
    )


# --- the pages in Chinese ------------------------------------------------------------------

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
def demo(django_db_setup, django_db_blocker):
    """The demo tenants as `make demo` seeds them, once for the module (rolled back after
    it): the pages show real orders, invoices, calls, pools and notifications."""
    # The services' durable transactions nest in it as they do in a test's (Django marks a
    # TestCase's own blocks so); everything is rolled back when the module ends.
    outer = transaction.atomic()
    outer._from_testcase = True
    with django_db_blocker.unblock(), outer, open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--password", "demo-Translations-1", stdout=quiet)
        yield allowed_from_data() | ALLOWED_WORDS
        transaction.set_rollback(True)


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


@pytest.mark.xdist_group("seeded_demo")  # one worker seeds the demo once (Makefile)
@pytest.mark.django_db
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


@pytest.mark.xdist_group("seeded_demo")  # one worker seeds the demo once (Makefile)
@pytest.mark.django_db
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


@pytest.mark.xdist_group("seeded_demo")  # one worker seeds the demo once (Makefile)
@pytest.mark.django_db
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


# --- what the console wrote in English, shown in the admin's language -----------------------


@pytest.mark.parametrize(
    ("memo", "english", "chinese"),
    [
        ("Call to India, fixed, 6 min", "Call to India, fixed, 6 min",
         "拨打印度的通话，固定电话，6 分钟"),
        ("Toll-free call from United Kingdom, 16 min",
         "Toll-free call from United Kingdom, 16 min", "来自英国的免费电话呼入，16 分钟"),
        ("Goodwill credit after an outage", "Goodwill credit after an outage",
         "Goodwill credit after an outage"),
    ],
)
def test_usage_charges_memos_are_shown_in_the_admins_language(memo, english, chinese):
    from django.utils import translation

    from credits.ledger.memos import memo_shown

    with translation.override("en"):
        assert memo_shown(memo) == english
    with translation.override("zh-hans"):
        assert memo_shown(memo) == chinese


def test_recent_changes_name_orders_and_invoices_and_leave_out_database_ids():
    from django.utils import translation

    from credits.billing.views.subscription import target_shown

    with translation.override("zh-hans"):
        assert target_shown("Order C-2026-00012") == "订单 C-2026-00012"
        assert target_shown("Invoice INV-2026-0001") == "发票 INV-2026-0001"
        assert target_shown("Subscription 3 · Communications Credits") == "Communications Credits"
        assert target_shown("Credit account 7") == ""
        assert target_shown("Payment method 12") == ""
