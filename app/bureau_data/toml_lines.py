"""Where things are in a bureau-edited TOML file, so errors can name the line.

``tomllib`` gives values without positions; this module finds the line of an entry of an
array of tables (``[[items]]`` number N), of a key inside it, or of a top-level key, by
reading the text itself. :func:`read_toml` reads such a file and turns undecodable bytes
and TOML syntax errors into :class:`DataFileError` with the line, in Chinese.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from app.domain.errors import DataFileError

_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TOML_MESSAGES = {
    "Invalid value": "值无效（文字须加英文双引号，数字和 true/false 不加引号）",
    "Cannot overwrite a value": "同一个键重复定义",
    "Cannot declare": "重复定义的表",
    "Unterminated string": "字符串缺少结束的英文双引号",
    "Unclosed array": "数组缺少结束的 ]",
    "Unclosed inline table": "内联表缺少结束的 }",
    "Expected '=' after a key": "键后面缺少 =",
    "Expected ']' at the end of a table declaration": "表头缺少结束的 ]",
    "Invalid statement": "无法识别的语句",
    "Illegal character": "含有非法字符",
}


def read_text(path: Path, *, what: str, code: str) -> str:
    """The UTF-8 text of a bureau file (``what``: e.g. 事项目录文件; ``code``: error prefix)."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataFileError(f"{code}_unreadable", f"无法读取{what} {file}：{exc.strerror or exc}",
                            file=file) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataFileError(f"{code}_encoding", f"{what} {file} 第 {line} 行不是 UTF-8 编码，请另存为 UTF-8",
                            file=file, line=line) from exc


def syntax_error(exc: tomllib.TOMLDecodeError, text: str, file: str, *, what: str,
                 code: str) -> DataFileError:
    """A TOML syntax error as the bureau reads it: where, and what is wrong, in Chinese."""
    original = str(exc)
    match = _TOML_LINE.search(original)
    line = int(match.group(1)) if match else max(1, len(text.splitlines()))
    where = f"第 {line} 行第 {match.group(2)} 列" if match else f"文件末尾（第 {line} 行）"
    reason = next((zh for en, zh in _TOML_MESSAGES.items() if original.startswith(en)), "格式不正确")
    message = f"{what} {file} {where}存在 TOML 语法错误：{reason}（{original}）"
    return DataFileError(f"{code}_syntax", message, file=file, line=line)

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

    def material_line(self, index: int, number: int, code: str | None,
                      table: str = "items") -> int | None:
        """Line of material *number* (from 1) of entry *index* of *table* (an item, a project
        stage): by its code, else by position."""
        first, last, found = self.block(table, index)
        if not found:
            return self.line(table, index)
        start = self.line(table, index, "materials") or first
        if code is not None:
            entries = self.entries[table][index].get("materials", [])
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
