"""Query strings of list pages: filters kept, page dropped, sort links."""

from __future__ import annotations

from django.test import RequestFactory

from accounts.shell.listing import query_prefix, query_with, sort_headers


def _request(query: str):
    return RequestFactory().get(f"/list/?{query}")


def test_query_with_drops_the_page_and_applies_changes():
    request = _request("q=ana&page=3&sort=name&attempts_page=2")
    assert query_with(request) == "q=ana&sort=name&attempts_page=2"
    assert query_with(request, sort="-name", q=None) == "sort=-name&attempts_page=2"
    assert query_with(request, page_param="attempts_page") == "q=ana&page=3&sort=name"


def test_query_prefix_is_ready_for_one_more_parameter():
    assert query_prefix("q=ana") == "q=ana&"
    assert query_prefix("") == ""


def test_sort_headers_reverse_the_sorted_column_and_start_some_largest_first():
    headers = sort_headers(
        _request("sort=-charge&page=2"), "-charge", ("user", "charge", "duration"),
        descending_first=("charge", "duration"),
    )
    assert headers["charge"] == {"query": "sort=charge", "state": "descending"}
    assert headers["duration"] == {"query": "sort=-duration", "state": "none"}
    assert headers["user"] == {"query": "sort=user", "state": "none"}
