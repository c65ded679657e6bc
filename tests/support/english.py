"""Finding the English words a person would read on a page: outside code, numbers and the few
names people use as they are (BPMN, Excel, CSV …)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

#: names people use as they are, and the units of figures
ALLOWED = {"BPMN", "Excel", "CSV", "JSON", "PDF", "JPEG", "PNG", "XML", "OpenAPI", "ID", "API", "JUnit", "HTML",
           "MIWG", "OMG"}
WORD = re.compile(r"(?<![A-Za-z0-9_.\-/])([A-Za-z][A-Za-z_]{2,})(?![A-Za-z0-9_\-])")


class _Visible(HTMLParser):
    """The text a person reads: no scripts, styles, code, attributes or hidden elements."""

    SKIP = {"script", "style", "code", "pre", "template", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP or ("hidden", None) in attrs:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


URL = re.compile(r"https?://\S+")


def english_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    return {w for w in WORD.findall(URL.sub(" ", " ".join(parser.parts))) if w not in ALLOWED}
