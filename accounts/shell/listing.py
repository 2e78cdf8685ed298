"""Query strings of the console's list pages: the current filters with some changed, and
the sort links of a table's headers. Shared by Active users, the PSTN usage report and
Bills & payments, so every list keeps its filters the same way."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest


def query_with(request: HttpRequest, *, page_param: str = "page", **changes: str | None) -> str:
    """The request's query string without its page number, with ``changes`` applied
    (``None`` removes a parameter)."""
    params = request.GET.copy()
    params.pop(page_param, None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


def query_prefix(query: str) -> str:
    """``query`` ready for ``?{{ prefix }}page=N`` in a template."""
    return f"{query}&" if query else ""


def sort_headers(
    request: HttpRequest, current: str, columns: Iterable[str], *, descending_first=()
) -> dict[str, dict]:
    """For each sortable column: the query string its header links to and its state
    (``ascending``, ``descending``, ``none``, for ``aria-sort``). A click on the sorted
    column reverses it; ``descending_first`` columns start largest first."""
    headers = {}
    for column in columns:
        if current == column:
            state, next_sort = "ascending", f"-{column}"
        elif current == f"-{column}":
            state, next_sort = "descending", column
        else:
            state = "none"
            next_sort = f"-{column}" if column in descending_first else column
        headers[column] = {"query": query_with(request, sort=next_sort), "state": state}
    return headers
