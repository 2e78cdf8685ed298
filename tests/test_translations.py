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
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command

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
