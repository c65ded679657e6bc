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
    """The text a person reads: no scripts, styles, code, attributes or hidden elements, nor what
    the page marks as not to be translated (``translate="no"``: a random code such as a query
    code or a check code, which may happen to be letters only)."""

    SKIP = {"script", "style", "code", "pre", "template", "kbd", "samp"}
    #: elements without an end tag: they hold no text and never start a skipped part
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.skipped: str | None = None  # the tag of the element whose text is skipped
        self.depth = 0  # how deep elements of that tag are nested inside it
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipped is not None:
            self.depth += tag == self.skipped
            return
        if tag not in self.VOID and (tag in self.SKIP or ("hidden", None) in attrs or ("translate", "no") in attrs):
            self.skipped, self.depth = tag, 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self.skipped:
            self.depth -= 1
            if not self.depth:
                self.skipped = None

    def handle_data(self, data: str) -> None:
        if self.skipped is None:
            self.parts.append(data)


URL = re.compile(r"https?://\S+")


def english_words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    return {w for w in WORD.findall(URL.sub(" ", " ".join(parser.parts))) if w not in ALLOWED}
