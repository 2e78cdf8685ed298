"""``{% load ledger %}``: ``{{ entry.memo|memo_shown }}``, a usage charge's memo in the
admin's language (credits/ledger/memos.py)."""

from __future__ import annotations

from django import template

from credits.ledger.memos import memo_shown

register = template.Library()

register.filter("memo_shown", memo_shown)
