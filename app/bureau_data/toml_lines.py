"""Where things are in a bureau-edited TOML file, so errors can name the line.

``tomllib`` gives values without positions; this module finds the line of an entry of an
array of tables (``[[items]]`` number N), of a key inside it, or of a top-level key, by
reading the text itself.
"""
from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\" -]+?)\s*\]")


class TomlLines:
    """Line lookups over one file's text; ``entries`` maps each table to its parsed entries."""

    def __init__(self, text: str, tables: tuple[str, ...], entries: dict[str, list[Any]]) -> None:
        self.lines = text.splitlines()
        self.entries = entries
        self.blocks: dict[str, list[int]] = {name: [] for name in tables}
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header and header.group(1) == "[[":
                name = header.group(2).replace('"', "").replace(" ", "")
                if name in self.blocks:
                    self.blocks[name].append(number)

    def block(self, table: str, index: int) -> tuple[int, int, bool]:
        """First and last line of entry *index* of *table*, and whether it was found."""
        starts = self.blocks[table]
        if len(starts) == len(self.entries.get(table, ())) and index < len(starts):
            first, last = starts[index], len(self.lines)
            for number in range(first + 1, len(self.lines) + 1):
                header = _HEADER.match(self.lines[number - 1])
                if header and not header.group(2).replace('"', "").startswith(table + "."):
                    last = number - 1
                    break
            return first, last, True
        return 1, len(self.lines), False

    def line(self, table: str, index: int, key: str | None = None,
             value: str | None = None, *, fallback: str | None = None) -> int | None:
        """Line of ``key = "value"`` (or of ``key =``) inside entry *index* of *table*.

        If ``key`` is not written there (a missing key), the line of ``fallback`` is used, then
        the entry's first line.
        """
        first, last, found = self.block(table, index)
        if not found:  # not written as [[table]] sections: fall back to the entry's code line
            entries = self.entries[table]
            code = entries[index].get("code") if isinstance(entries[index], dict) else None
            key, value = ("code", code) if isinstance(code, str) and code else (None, None)
        patterns = []
        if key is not None and value is not None:
            patterns.append(rf"(^|[{{,])\s*{re.escape(key)}\s*=\s*[\"']{re.escape(value)}[\"']")
        if key is not None:
            patterns.append(rf"(^|[{{,])\s*{re.escape(key)}\s*=")
        if fallback is not None:
            patterns.append(rf"(^|[{{,])\s*{re.escape(fallback)}\s*=")
        for pattern in patterns:
            for number in range(first, last + 1):
                if re.search(pattern, self.lines[number - 1]):
                    return number
        return first if found else None

    def material_line(self, index: int, number: int, code: str | None) -> int | None:
        """Line of material *number* (from 1) of item *index*: by its code, else by position."""
        first, last, found = self.block("items", index)
        if not found:
            return self.line("items", index)
        start = self.line("items", index, "materials") or first
        if code is not None:
            entries = self.entries["items"][index].get("materials", [])
            nth = sum(1 for m in entries[:number - 1] if isinstance(m, dict) and m.get("code") == code)
            pattern = re.compile(rf"(^|[{{,])\s*code\s*=\s*[\"']{re.escape(code)}[\"']")
            hits = [n for n in range(start, last + 1) if pattern.search(self.lines[n - 1])]
        else:  # one element per line after ``materials = [`` until ``]``
            nth, hits = number - 1, []
            for n in range(start, last + 1):
                text = self.lines[n - 1].strip()
                text = text.partition("[")[2].strip() if n == start else text
                if text.startswith("]"):
                    break
                if text and not text.startswith("#"):
                    hits.append(n)
        return hits[nth] if nth < len(hits) else start

    def top_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[\[?\s*)?{re.escape(key)}\b")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)
