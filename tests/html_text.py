"""Read rendered pages the way a person does: by element id, link and table row.

A tiny DOM built on the standard library's HTMLParser, enough for our own well-formed
templates, so tests can assert on what a region *shows* rather than on raw markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            if node.tag in {"script", "style"}:
                return
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and all(node.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Node:
        found = self.find_all(id=element_id)
        if not found:
            raise AssertionError(f"No element with id={element_id!r} on the page.")
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return bool(self.find_all(id=element_id))

    def hrefs(self) -> list[str]:
        return [a.attrs["href"] for a in self.find_all("a") if "href" in a.attrs]

    def table_rows(self) -> list[list[str]]:
        """Each body row of the tables below this node, as the text of its cells."""
        rows = []
        for tbody in self.find_all("tbody"):
            for tr in tbody.find_all("tr"):
                rows.append([cell.text for cell in tr.children if isinstance(cell, Node)])
        return rows


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(content: bytes | str) -> Node:
    if isinstance(content, bytes):
        content = content.decode()
    builder = _Builder()
    builder.feed(content)
    builder.close()
    return builder.root
