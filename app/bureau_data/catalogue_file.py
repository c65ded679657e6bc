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
from typing import Any, TypedDict

from app.bureau_data import catalogue_sections, item_profiles
from app.bureau_data.toml_lines import TomlLines, read_text, syntax_error
from app.domain.bureau.catalogue import (
    Catalogue,
    CommitmentProfile,
    Department,
    GapPoint,
    InspectionProfile,
    Item,
    ItemKind,
    Material,
    ParallelProfile,
)
from app.domain.errors import DataFileError
from app.domain.roles import WINDOW_DEPARTMENT

CATALOGUE_FILE_HELP = """\
事项目录文件格式（TOML，UTF-8 编码；键名用英文，文字内容用中文）：

[[departments]]                 # 每个部门一段
code = "market"                 # 部门编码：小写英文字母、数字、下划线
name = "市场监督管理局"          # 部门名称

[[items]]                       # 每个事项一段
code = "XK-0001"                # 事项编码：字母、数字、连字符，目录内唯一
name = "食品经营许可"            # 事项名称
department = "market"           # 实施部门编码，须在 [[departments]] 中定义
supervision_department = "market"  # 监管部门（可选，默认同实施部门）：接收审批结果推送、可提交监管发现
kind = "承诺件"                  # 办件类型："即办件" 或 "承诺件"
statutory_limit = 20            # 法定时限（工作日，非负整数，不加引号）
promised_limit = 10             # 承诺时限（工作日）；不得超过法定时限；即办件填 0，承诺件至少 1
site_inspection = true          # 是否需要现场核查：true 或 false
process = "standard_promised"   # 办理流程（BPMN 流程编号）
legal_basis = "《中华人民共和国食品安全法》第三十五条"   # 办理依据（可选）
fee = "不收费"                   # 收费标准（可选，默认“不收费”）
materials = [                   # 申请材料，至少一项，且至少一项为主要材料
  { code = "M01", name = "食品经营许可申请书", main = true },   # main：是否主要材料（容缺受理时不可缺）
  { code = "M02", name = "营业执照", main = true, shared = "business_licence" },  # shared：跨事项的同一份材料
]
inspection = { risk_level = "中", technical = false, bureau_qualified = true, partners = ["fire_rescue"] }
                                # 现场核查属性（site_inspection = true 时填写）：风险等级 低/中/高；
                                # 是否专业技术性核查；本局是否具备资质；联合核查的相关部门；
                                # 专业技术且本局无资质时的受委托部门 qualified_department
parallel = { departments = ["market", "fire_rescue"], mode = "会签" }
                                # 并联审批（可选）：部门至少两个；方式 会签 / 或签 / 按比例（另填 ratio = 60）
gaps_until = "决定前"            # 容缺受理（可选）：次要材料最迟在“决定前”或“制证前”补齐
commitment = { verification_limit = 20 }   # 告知承诺制（可选）：当场准予，N 个工作日内完成核查

[bureau]                        # 本局（一段）：名称；独立核查和联合核查的牵头股室（部门编码）
name = "县行政审批服务局"
inspection_department = "site_survey"

不认识的键（例如把 promised_limit 误写成 promissed_limit）一律报错。
"""

_KIND_BY_LABEL = {"即办件": ItemKind.IMMEDIATE, "承诺件": ItemKind.PROMISED}
_DEPARTMENT_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ITEM_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MATERIAL_CODE = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")

_LABELS = {
    "code": "编码", "name": "名称", "department": "实施部门", "kind": "办件类型",
    "statutory_limit": "法定时限", "promised_limit": "承诺时限", "site_inspection": "是否现场核查",
    "process": "办理流程", "legal_basis": "办理依据", "fee": "收费标准", "materials": "申请材料",
    "main": "是否主要材料", "departments": "部门列表", "items": "事项列表", "bureau": "本局设置",
    "inspection": "现场核查属性", "parallel": "并联审批属性", "gaps_until": "容缺补齐时点",
    "commitment": "告知承诺属性", "shared": "共用材料标识", "bundles": "“一件事”列表",
    "supervision_department": "监管部门",
}
_TYPE_NAMES = {str: "字符串（加英文双引号）", int: "整数（不加引号）", bool: "布尔值 true 或 false",
               list: "数组 [ ... ]", dict: "内联表 { ... }"}
_VALUE_NAMES = {str: "字符串", bool: "布尔值", int: "整数", float: "小数", list: "数组", dict: "表"}
# key -> (type, required)
_DEPARTMENT_KEYS: dict[str, tuple[type, bool]] = {"code": (str, True), "name": (str, True)}
_ITEM_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "department": (str, True), "kind": (str, True),
    "statutory_limit": (int, True), "promised_limit": (int, True), "site_inspection": (bool, True),
    "process": (str, True), "materials": (list, True), "legal_basis": (str, False),
    "fee": (str, False), "supervision_department": (str, False), **item_profiles.PROFILE_KEYS,
}
_MATERIAL_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "main": (bool, True), "shared": (str, False)}
_SHARED_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


class _Profiles(TypedDict, total=False):
    """The optional tables of one item, as keyword arguments of :class:`Item`."""

    inspection: InspectionProfile | None
    parallel: ParallelProfile | None
    gaps_until: GapPoint | None
    commitment: CommitmentProfile | None


def load_catalogue(path: Path, known_processes: set[str] | None = None) -> Catalogue:
    """Read and validate the catalogue at *path*; raise :class:`DataFileError` if invalid."""
    text = read_text(path, what="事项目录文件", code="catalogue")
    return parse_catalogue(text, source=str(path), known_processes=known_processes)


def parse_catalogue(text: str, *, source: str,
                    known_processes: set[str] | None = None) -> Catalogue:
    """Validate catalogue *text*; *source* names the file in errors and in ``Catalogue.source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, source, what="事项目录文件", code="catalogue") from exc
    return _Loader(text, source, known_processes).load(data)


def _value_name(value: Any) -> str:
    return _VALUE_NAMES.get(type(value), type(value).__name__)


class _Loader:
    def __init__(self, text: str, file: str, known_processes: set[str] | None) -> None:
        self.file = file
        self.known_processes = known_processes
        self.problems: list[dict[str, Any]] = []
        self._entries: dict[str, list[Any]] = {}
        self.where = TomlLines(text, ("departments", "items", "bundles"), self._entries)

    def _problem(self, table: str, index: int, entry: str, message: str,
                 key: str | None = None, value: str | None = None,
                 line: int | None = None) -> None:
        line = line if line is not None else self.where.line(table, index, key, value)
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
            elif isinstance(value, str) and required and not value.strip():
                self._problem(table, index, entry, f"{what}的{label}不能为空", key, line=line)
        return len(self.problems) == before

    def load(self, data: dict[str, Any]) -> Catalogue:
        for name in ("departments", "items", "bundles"):
            entries = data.get(name)
            self._entries[name] = entries if isinstance(entries, list) else []
        for key in data:
            if key not in ("departments", "items", "bureau", "bundles"):
                self.problems.append({"line": self.where.top_line(key), "entry": None, "message":
                                      f"不认识的顶层键 {key}（只允许 departments、items、bundles 和 bureau）"})
        for key in ("departments", "items"):
            value = data.get(key)
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                self.problems.append({"line": self.where.top_line(key), "entry": None, "message":
                                      f"{_LABELS[key]}缺失或格式不对：应写成一段或多段 [[{key}]]"})
        departments = self._departments(self._entries["departments"])
        bureau = catalogue_sections.parse_bureau(self, data.get("bureau", {}), departments)
        items = self._items(self._entries["items"], departments)
        bundles = catalogue_sections.parse_bundles(self, self._entries["bundles"], items, departments)
        if bureau.get("inspection_department") is None and any(i.site_inspection for i in items.values()):
            self.problems.append({"line": self.where.top_line("bureau"), "entry": None, "message":
                                  "有事项需要现场核查，须在 [bureau] 中指定现场核查牵头股室（inspection_department）"})
        if self.problems:
            self._raise()
        return Catalogue(departments=departments, items=items, source=self.file,
                         bureau_name=bureau.get("name", "行政审批服务局"),
                         inspection_department=bureau.get("inspection_department"), bundles=bundles)

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
            code = data["code"]  # a string now that the fields are checked
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
            supervisor = data.get("supervision_department")
            if isinstance(supervisor, str) and departments and supervisor not in departments:
                problem(f"{what}的监管部门 {supervisor} 未在 [[departments]] 中定义", "supervision_department")
            elif supervisor == WINDOW_DEPARTMENT:
                problem(f"{what}的监管部门不能是综合受理窗口", "supervision_department")
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
            profiles = self._profiles(index, entry, what, data, departments, kind)
            # no problem: every required field is there with its type, and the kind is known
            if len(self.problems) == before and materials is not None and kind is not None:
                result[data["code"]] = Item(
                    code=data["code"], name=data["name"].strip(), department=data["department"], kind=kind,
                    statutory_limit=data["statutory_limit"], promised_limit=data["promised_limit"],
                    materials=materials, site_inspection=data["site_inspection"], process=data["process"],
                    legal_basis=data.get("legal_basis", "").strip(),
                    fee=data.get("fee", "不收费").strip() or "不收费",
                    supervision_department=data.get("supervision_department"), **profiles)
        return result

    def _profiles(self, index: int, entry: str, what: str, data: dict[str, Any],
                  departments: dict[str, Department], kind: ItemKind | None) -> _Profiles:
        """The optional inspection / parallel / gaps / commitment tables of one item."""
        loader = self

        class _Report:
            anchor = ""  # the profile being read: where a missing key is reported

            def fields(self, label: str, value: Any, spec: dict[str, tuple[type, bool]]) -> bool:
                if not isinstance(value, dict):
                    self.problem(f"{label}应写成内联表 {{ ... }}", self.anchor)
                    return False
                return loader._fields("items", index, entry, label, value, spec,
                                      loader.where.line("items", index, self.anchor))

            def problem(self, message: str, key: str) -> None:
                line = loader.where.line("items", index, key, fallback=self.anchor)
                loader._problem("items", index, entry, message, line=line)

        report, known = _Report(), set(departments)
        found: _Profiles = {}
        report.anchor = "inspection"
        if isinstance(data.get("inspection"), dict):
            if data.get("site_inspection") is not True:
                report.problem(f"{what}不需要现场核查（site_inspection = false），不应填写 inspection", "inspection")
            else:
                found["inspection"] = item_profiles.parse_inspection(
                    report, what, data["inspection"], known, data.get("department"))
        elif data.get("site_inspection") is True:
            found["inspection"] = item_profiles.InspectionProfile()
        report.anchor = "parallel"
        if isinstance(data.get("parallel"), dict):
            if kind is ItemKind.IMMEDIATE:
                report.problem(f"{what}是即办件，不能并联审批", "parallel")
            found["parallel"] = item_profiles.parse_parallel(report, what, data["parallel"], known)
        if isinstance(data.get("gaps_until"), str):
            found["gaps_until"] = item_profiles.parse_gaps(report, what, data["gaps_until"])
        report.anchor = "commitment"
        if isinstance(data.get("commitment"), dict):
            found["commitment"] = item_profiles.parse_commitment(report, what, data["commitment"])
        return found

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
            line = self.where.material_line(index, number, anchor)
            label = f"{what}的申请材料 {anchor or f'第 {number} 项'} "
            if not isinstance(data, dict):
                self._problem("items", index, entry, f"{what}的第 {number} 项申请材料应写成 "
                              "{ code = ..., name = ..., main = ... }", line=line)
            elif not self._fields("items", index, entry, label, data, _MATERIAL_KEYS, line):
                continue
            elif not _MATERIAL_CODE.fullmatch(code := data["code"]):
                self._problem("items", index, entry, f"{label}的编码不合规范：只能含字母、数字、"
                              "连字符和下划线", line=line)
            elif any(m.code == code for m in result):
                self._problem("items", index, entry, f"{what}的申请材料编码 {code} 重复", line=line)
            elif "shared" in data and not _SHARED_KEY.fullmatch(data["shared"]):
                self._problem("items", index, entry, f"{label}的共用材料标识（shared）须为小写英文标识，"
                              "例如 business_licence", line=line)
            else:
                result.append(Material(code=code, name=data["name"].strip(), main=data["main"],
                                       shared=data.get("shared")))
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
