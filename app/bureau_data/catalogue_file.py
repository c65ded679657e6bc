"""Load the item catalogue (事项目录) from a bureau-edited TOML file.

CATALOGUE_FILE_HELP (below) is the designers' description of the format. Every
problem found is collected; one :class:`DataFileError` lists them all
(``details["problems"]``: dicts with ``line``, ``entry`` and ``message``), while
the error's own ``line``/``entry`` point at the first one. ``entry`` is the
item's code, the department's code, or ``items[N]`` / ``departments[N]``
(N counted from 1) when the code is missing.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from app.domain.catalogue import Catalogue, Department, Item, ItemKind, Material
from app.domain.errors import DataFileError

CATALOGUE_FILE_HELP = """\
事项目录文件格式（TOML，UTF-8 编码；键名用英文，文字内容用中文）：

[[departments]]                 # 每个部门一段
code = "market"                 # 部门编码：小写英文字母、数字、下划线
name = "市场监督管理局"          # 部门名称

[[items]]                       # 每个事项一段
code = "XK-0001"                # 事项编码：字母、数字、连字符，目录内唯一
name = "食品经营许可"            # 事项名称
department = "market"           # 实施部门编码，须在 [[departments]] 中定义
kind = "承诺件"                  # 办件类型："即办件" 或 "承诺件"
statutory_limit = 20            # 法定时限（工作日，非负整数，不加引号）
promised_limit = 10             # 承诺时限（工作日）；不得超过法定时限；即办件填 0，承诺件至少 1
site_inspection = true          # 是否需要现场核查：true 或 false
process = "standard_promised"   # 办理流程（BPMN 流程编号）
legal_basis = "《中华人民共和国食品安全法》第三十五条"   # 办理依据（可选）
fee = "不收费"                   # 收费标准（可选，默认“不收费”）
materials = [                   # 申请材料，至少一项，且至少一项为主要材料
  { code = "M01", name = "食品经营许可申请书", main = true },   # main：是否主要材料（容缺受理时不可缺）
  { code = "M02", name = "食品安全管理制度", main = false },
]

不认识的键（例如把 promised_limit 误写成 promissed_limit）一律报错。
"""

_KIND_BY_LABEL = {"即办件": ItemKind.IMMEDIATE, "承诺件": ItemKind.PROMISED}
_DEPARTMENT_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ITEM_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MATERIAL_CODE = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\" -]+?)\s*\]")
_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")

_LABELS = {
    "code": "编码", "name": "名称", "department": "实施部门", "kind": "办件类型",
    "statutory_limit": "法定时限", "promised_limit": "承诺时限", "site_inspection": "是否现场核查",
    "process": "办理流程", "legal_basis": "办理依据", "fee": "收费标准", "materials": "申请材料",
    "main": "是否主要材料", "departments": "部门列表", "items": "事项列表",
}
_TYPE_NAMES = {str: "字符串（加英文双引号）", int: "整数（不加引号）", bool: "布尔值 true 或 false",
               list: "数组 [ ... ]"}
_VALUE_NAMES = {str: "字符串", bool: "布尔值", int: "整数", float: "小数", list: "数组", dict: "表"}
# key -> (type, required)
_DEPARTMENT_KEYS: dict[str, tuple[type, bool]] = {"code": (str, True), "name": (str, True)}
_ITEM_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "department": (str, True), "kind": (str, True),
    "statutory_limit": (int, True), "promised_limit": (int, True), "site_inspection": (bool, True),
    "process": (str, True), "materials": (list, True), "legal_basis": (str, False),
    "fee": (str, False),
}
_MATERIAL_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "main": (bool, True)}
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


def load_catalogue(path: Path, known_processes: set[str] | None = None) -> Catalogue:
    """Read and validate the catalogue at *path*; raise :class:`DataFileError` if invalid."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataFileError("catalogue_unreadable",
                            f"无法读取事项目录文件 {file}：{exc.strerror or exc}", file=file) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataFileError("catalogue_encoding",
                            f"事项目录文件 {file} 第 {line} 行不是 UTF-8 编码，请另存为 UTF-8",
                            file=file, line=line) from exc
    return parse_catalogue(text, source=file, known_processes=known_processes)


def parse_catalogue(text: str, *, source: str,
                    known_processes: set[str] | None = None) -> Catalogue:
    """Validate catalogue *text*; *source* names the file in errors and in ``Catalogue.source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, source) from exc
    return _Loader(text, source, known_processes).load(data)


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, file: str) -> DataFileError:
    original = str(exc)
    match = _TOML_LINE.search(original)
    line = int(match.group(1)) if match else max(1, len(text.splitlines()))
    where = f"第 {line} 行第 {match.group(2)} 列" if match else f"文件末尾（第 {line} 行）"
    reason = next((zh for en, zh in _TOML_MESSAGES.items() if original.startswith(en)), "格式不正确")
    message = f"事项目录文件 {file} {where}存在 TOML 语法错误：{reason}（{original}）"
    return DataFileError("catalogue_syntax", message, file=file, line=line)


def _value_name(value: Any) -> str:
    return _VALUE_NAMES.get(type(value), type(value).__name__)


class _Loader:
    def __init__(self, text: str, file: str, known_processes: set[str] | None) -> None:
        self.file = file
        self.lines = text.splitlines()
        self.known_processes = known_processes
        self.problems: list[dict[str, Any]] = []
        self._entries: dict[str, list[Any]] = {}
        self.blocks: dict[str, list[int]] = {"departments": [], "items": []}
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header and header.group(1) == "[[":
                name = header.group(2).replace('"', "").replace(" ", "")
                if name in self.blocks:
                    self.blocks[name].append(number)

    # -- locating -----------------------------------------------------------
    def _block(self, table: str, index: int) -> tuple[int, int, bool]:
        """First and last line of entry *index* of *table*, and whether it was found."""
        starts = self.blocks[table]
        if len(starts) == len(self._entries.get(table, ())) and index < len(starts):
            first, last = starts[index], len(self.lines)
            for number in range(first + 1, len(self.lines) + 1):
                header = _HEADER.match(self.lines[number - 1])
                if header and not header.group(2).replace('"', "").startswith(table + "."):
                    last = number - 1
                    break
            return first, last, True
        return 1, len(self.lines), False

    def _line(self, table: str, index: int, key: str | None = None,
              value: str | None = None) -> int | None:
        """Line of ``key = "value"`` (or of ``key =``) inside entry *index* of *table*."""
        first, last, found = self._block(table, index)
        if not found:  # not written as [[table]] sections: fall back to the entry's code line
            entries = self._entries[table]
            code = entries[index].get("code") if isinstance(entries[index], dict) else None
            key, value = ("code", code) if isinstance(code, str) and code else (None, None)
        patterns = []
        if key is not None and value is not None:
            patterns.append(rf"(^|[{{,])\s*{re.escape(key)}\s*=\s*[\"']{re.escape(value)}[\"']")
        if key is not None:
            patterns.append(rf"(^|[{{,])\s*{re.escape(key)}\s*=")
        for pattern in patterns:
            for number in range(first, last + 1):
                if re.search(pattern, self.lines[number - 1]):
                    return number
        return first if found else None

    def _material_line(self, index: int, number: int, code: str | None) -> int | None:
        """Line of material *number* (from 1) of item *index*: by its code, else by position."""
        first, last, found = self._block("items", index)
        if not found:
            return self._line("items", index)
        start = self._line("items", index, "materials") or first
        if code is not None:
            entries = self._entries["items"][index].get("materials", [])
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

    def _problem(self, table: str, index: int, entry: str, message: str,
                 key: str | None = None, value: str | None = None,
                 line: int | None = None) -> None:
        line = line if line is not None else self._line(table, index, key, value)
        self.problems.append({"line": line, "entry": entry, "message": message})

    # -- checking -----------------------------------------------------------
    def _fields(self, table: str, index: int, entry: str, what: str, data: dict[str, Any],
                spec: dict[str, tuple[type, bool]], line: int | None = None) -> bool:
        """Check keys and types of one table; *line*, if given, is where all its keys are."""
        before = len(self.problems)
        for key in data:
            if key not in spec:
                guess = difflib.get_close_matches(key, list(spec), n=1)
                hint = f"（是否应为 {guess[0]}？）" if guess else f"（允许的键：{'、'.join(spec)}）"
                self._problem(table, index, entry, f"{what}有不认识的键 {key}{hint}", key, line=line)
        for key, (kind, required) in spec.items():
            label = f"{_LABELS.get(key, key)}（{key}）"
            value = data.get(key)
            if key not in data:
                if required:
                    self._problem(table, index, entry, f"{what}缺少{label}", line=line)
            elif type(value) is not kind:
                self._problem(table, index, entry, f"{what}的{label}应为{_TYPE_NAMES[kind]}，"
                              f"实际是{_value_name(value)} {value!r}", key, line=line)
            elif kind is str and required and not value.strip():
                self._problem(table, index, entry, f"{what}的{label}不能为空", key, line=line)
        return len(self.problems) == before

    def load(self, data: dict[str, Any]) -> Catalogue:
        self._entries = {name: data.get(name) if isinstance(data.get(name), list) else []
                         for name in ("departments", "items")}
        for key in data:
            if key not in ("departments", "items"):
                self.problems.append({"line": self._top_line(key), "entry": None,
                                      "message": f"不认识的顶层键 {key}（只允许 departments 和 items）"})
        for key in ("departments", "items"):
            value = data.get(key)
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                self.problems.append({"line": self._top_line(key), "entry": None, "message":
                                      f"{_LABELS[key]}缺失或格式不对：应写成一段或多段 [[{key}]]"})
        departments = self._departments(self._entries["departments"])
        items = self._items(self._entries["items"], departments)
        if self.problems:
            self._raise()
        return Catalogue(departments=departments, items=items, source=self.file)

    def _top_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[\[?\s*)?{re.escape(key)}\b")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def _departments(self, entries: list[Any]) -> dict[str, Department]:
        result: dict[str, Department] = {}
        for index, data in enumerate(entries):
            if not isinstance(data, dict):
                continue
            code = data.get("code")
            entry = code if isinstance(code, str) and code else f"departments[{index + 1}]"
            what = f"部门 {entry} "
            if not self._fields("departments", index, entry, what, data, _DEPARTMENT_KEYS):
                continue
            if not _DEPARTMENT_CODE.fullmatch(code):
                self._problem("departments", index, entry, f"{what}的编码不合规范："
                              "须以小写字母开头，只含小写字母、数字和下划线", "code")
            elif code in result:
                self._problem("departments", index, entry, f"部门编码 {code} 重复", "code")
            else:
                result[code] = Department(code=code, name=data["name"].strip())
        return result

    def _items(self, entries: list[Any], departments: dict[str, Department]) -> dict[str, Item]:
        result: dict[str, Item] = {}
        seen: set[str] = set()
        for index, data in enumerate(entries):
            if not isinstance(data, dict):
                continue
            before = len(self.problems)
            code = data.get("code")
            entry = code if isinstance(code, str) and code else f"items[{index + 1}]"
            what = f"事项 {entry} "

            def problem(message: str, key: str) -> None:
                self._problem("items", index, entry, message, key)

            self._fields("items", index, entry, what, data, _ITEM_KEYS)
            if isinstance(code, str) and code:
                if not _ITEM_CODE.fullmatch(code) or len(code) > 40:
                    problem(f"{what}的编码不合规范：只能含字母、数字和连字符，例如 XK-0001", "code")
                elif code in seen:
                    problem(f"事项编码 {code} 重复", "code")
                seen.add(code)
            department = data.get("department")
            if isinstance(department, str) and department.strip() and departments \
                    and department not in departments:
                problem(f"{what}的实施部门 {department} 未在 [[departments]] 中定义", "department")
            label = data.get("kind")
            kind = _KIND_BY_LABEL.get(label) if isinstance(label, str) else None
            if isinstance(label, str) and kind is None:
                problem(f"{what}的办件类型 {label!r} 无效，只能是“即办件”或“承诺件”", "kind")
            statutory, promised = data.get("statutory_limit"), data.get("promised_limit")
            for key, value in (("statutory_limit", statutory), ("promised_limit", promised)):
                if type(value) is int and value < 0:
                    problem(f"{what}的{_LABELS[key]}（{key}）不能为负数：{value}", key)
            if type(statutory) is int and type(promised) is int and 0 <= statutory < promised:
                problem(f"{what}的承诺时限（{promised} 个工作日）超过了法定时限"
                        f"（{statutory} 个工作日）", "promised_limit")
            if type(promised) is int and kind is ItemKind.IMMEDIATE and promised != 0:
                problem(f"{what}是即办件，承诺时限（promised_limit）应为 0，实际为 {promised}",
                        "promised_limit")
            if type(promised) is int and kind is ItemKind.PROMISED and promised == 0:
                problem(f"{what}是承诺件，承诺时限（promised_limit）至少为 1 个工作日", "promised_limit")
            process = data.get("process")
            if isinstance(process, str) and process.strip() and self.known_processes is not None \
                    and process not in self.known_processes:
                known = "、".join(sorted(self.known_processes)) or "（无）"
                problem(f"{what}的办理流程 {process} 不存在（已有流程：{known}）", "process")
            materials = self._materials(index, entry, what, data.get("materials"))
            if len(self.problems) == before and materials is not None:
                result[code] = Item(
                    code=code, name=data["name"].strip(), department=department, kind=kind,
                    statutory_limit=statutory, promised_limit=promised, materials=materials,
                    site_inspection=data["site_inspection"], process=process,
                    legal_basis=data.get("legal_basis", "").strip(),
                    fee=data.get("fee", "不收费").strip() or "不收费")
        return result

    def _materials(self, index: int, entry: str, what: str,
                   value: Any) -> tuple[Material, ...] | None:
        if not isinstance(value, list):
            return None  # reported by _fields
        if not value:
            self._problem("items", index, entry, f"{what}的申请材料（materials）不能为空", "materials")
            return None
        before = len(self.problems)
        result: list[Material] = []
        for number, data in enumerate(value, start=1):
            code = data.get("code") if isinstance(data, dict) else None
            anchor = code if isinstance(code, str) and code else None
            line = self._material_line(index, number, anchor)
            label = f"{what}的申请材料 {anchor or f'第 {number} 项'} "
            if not isinstance(data, dict):
                self._problem("items", index, entry, f"{what}的第 {number} 项申请材料应写成 "
                              "{ code = ..., name = ..., main = ... }", line=line)
            elif not self._fields("items", index, entry, label, data, _MATERIAL_KEYS, line):
                continue
            elif not _MATERIAL_CODE.fullmatch(code):
                self._problem("items", index, entry, f"{label}的编码不合规范：只能含字母、数字、"
                              "连字符和下划线", line=line)
            elif any(m.code == code for m in result):
                self._problem("items", index, entry, f"{what}的申请材料编码 {code} 重复", line=line)
            else:
                result.append(Material(code=code, name=data["name"].strip(), main=data["main"]))
        if len(self.problems) > before:
            return None
        if not any(m.main for m in result):
            self._problem("items", index, entry, f"{what}至少要有一项主要材料（main = true）",
                          "materials")
            return None
        return tuple(result)

    def _raise(self) -> None:
        self.problems.sort(key=lambda p: p["line"] or 0)
        first = self.problems[0]
        lines = []
        for number, problem in enumerate(self.problems, start=1):
            where = (f"第 {problem['line']} 行" if problem["line"] else "") \
                + (f"［{problem['entry']}］" if problem["entry"] else "")
            lines.append(f"{number}. {where}：{problem['message']}" if where
                         else f"{number}. {problem['message']}")
        message = (f"事项目录文件 {self.file} 有 {len(self.problems)} 处错误：\n" + "\n".join(lines))
        raise DataFileError("catalogue_invalid", message, file=self.file, line=first["line"],
                            entry=first["entry"], problems=self.problems)
