"""Load the construction-project stages and types (``data/projects.toml``), checked against
the catalogue: departments and items must be there.

Like the catalogue, every problem is collected and one :class:`DataFileError` lists them all
(``details["problems"]``: ``line``, ``entry``, ``message``); ``entry`` is a type's code,
``stages[N]`` for stage N, or ``types[N]`` (counted from 1) when the code is missing. The
format is described at the top of the shipped file.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.bureau_data.toml_lines import TomlLines, read_text, syntax_error
from app.domain.bureau.catalogue import RISK_LABELS, Catalogue, Material
from app.domain.errors import DataFileError
from app.domain.bureau.projects import STAGE_COUNT, ProjectType, StageSpec, SurveyProfile

WHAT = "工程建设项目文件"
_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MATERIAL_CODE = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")
_RISK_BY_LABEL = {label: code for code, label in RISK_LABELS.items()}
_TYPE_NAMES = {str: "字符串（加英文双引号）", int: "整数（不加引号）", bool: "布尔值 true 或 false",
               list: "数组 [ ... ]", dict: "内联表 { ... }"}
# key -> (type, required)
_TYPE_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "limits": (list, True), "excluded_items": (list, False),
    "legal_basis": (str, False), "process": (str, False)}
_STAGE_KEYS: dict[str, tuple[type, bool]] = {
    "number": (int, True), "name": (str, True), "lead": (str, True), "items": (list, False),
    "acceptance": (list, False), "acceptance_item": (str, False), "survey": (dict, False),
    "materials": (list, True)}
_SURVEY_KEYS: dict[str, tuple[type, bool]] = {"departments": (list, True), "risk_level": (str, False)}
_MATERIAL_KEYS: dict[str, tuple[type, bool]] = {"code": (str, True), "name": (str, True), "main": (bool, True)}


def with_projects(catalogue: Catalogue, path: Path, known_processes: set[str] | None = None) -> Catalogue:
    """The catalogue with the project types of the file at *path*; none if there is no such file
    (a bureau that does not run construction projects deletes it)."""
    if not Path(path).is_file():
        return catalogue
    return replace(catalogue, projects=load_projects(path, catalogue, known_processes))


def load_projects(path: Path, catalogue: Catalogue,
                  known_processes: set[str] | None = None) -> dict[str, ProjectType]:
    """Read and validate the project file at *path*; raise :class:`DataFileError` if invalid."""
    text = read_text(path, what=WHAT, code="projects")
    return parse_projects(text, source=str(path), catalogue=catalogue, known_processes=known_processes)


def parse_projects(text: str, *, source: str, catalogue: Catalogue,
                   known_processes: set[str] | None = None) -> dict[str, ProjectType]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise syntax_error(exc, text, source, what=WHAT, code="projects") from exc
    return _Loader(text, source, catalogue, known_processes).load(data)


class _Loader:
    def __init__(self, text: str, file: str, catalogue: Catalogue,
                 known_processes: set[str] | None) -> None:
        self.file, self.catalogue, self.known_processes = file, catalogue, known_processes
        self.problems: list[dict[str, Any]] = []
        self.entries: dict[str, list[Any]] = {}
        self.where = TomlLines(text, ("types", "stages"), self.entries)

    def problem(self, table: str, index: int | None, entry: str | None, message: str,
                key: str | None = None, line: int | None = None) -> None:
        if line is None:
            line = self.where.line(table, index, key) if index is not None else self.where.top_line(table)
        self.problems.append({"line": line, "entry": entry, "message": message})

    def fields(self, table: str, index: int, entry: str, what: str, data: Any,
               spec: dict[str, tuple[type, bool]], line: int | None = None) -> bool:
        """Keys and types of one table; False when something is wrong."""
        before = len(self.problems)
        if not isinstance(data, dict):
            self.problem(table, index, entry, f"{what}应写成表（{{ ... }} 或一段 [[{table}]]）", line=line)
            return False
        for key in data:
            if key not in spec:
                guess = difflib.get_close_matches(key, list(spec), n=1)
                hint = f"（是否应为 {guess[0]}？）" if guess else f"（允许的键：{'、'.join(spec)}）"
                self.problem(table, index, entry, f"{what}有不认识的键 {key}{hint}", key, line)
        for key, (kind, required) in spec.items():
            value = data.get(key)
            if key not in data:
                if required:
                    self.problem(table, index, entry, f"{what}缺少 {key}", line=line)
            elif type(value) is not kind:
                self.problem(table, index, entry, f"{what}的 {key} 应为{_TYPE_NAMES[kind]}，实际是 {value!r}",
                             key, line)
            elif isinstance(value, str) and not value.strip():
                self.problem(table, index, entry, f"{what}的 {key} 不能为空", key, line)
        return len(self.problems) == before

    def codes(self, table: str, index: int, entry: str, what: str, key: str, value: Any,
              known: dict[str, Any], kind: str) -> tuple[str, ...]:
        """A list of department or item codes that must all be known, each once."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(table, index, entry, f"{what}的 {key} 应为{kind}编码的数组", key)
            return ()
        unknown = [v for v in value if v not in known]
        if unknown:
            self.problem(table, index, entry, f"{what}的 {key} 中的{kind} {'、'.join(unknown)} "
                         "未在事项目录中定义", key)
        if len(set(value)) != len(value):
            self.problem(table, index, entry, f"{what}的 {key} 中有重复的{kind}", key)
        return tuple(v for v in dict.fromkeys(value) if v in known)

    # -- the file -------------------------------------------------------------
    def load(self, data: dict[str, Any]) -> dict[str, ProjectType]:
        for key in data:
            if key not in ("types", "stages"):
                self.problem(key, None, None, f"不认识的顶层键 {key}（只允许 types 和 stages）")
        for key in ("types", "stages"):
            value = data.get(key)
            self.entries[key] = value if isinstance(value, list) else []
            if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
                self.problem(key, None, None, f"{key} 缺失或格式不对：应写成一段或多段 [[{key}]]")
        stages = self.stages(self.entries["stages"])
        types = self.types(self.entries["types"], stages)
        if self.problems:
            self.problems.sort(key=lambda p: p["line"] or 0)
            lines = [f"{n}. " + (f"第 {p['line']} 行" if p["line"] else "")
                     + (f"［{p['entry']}］" if p["entry"] else "") + f"：{p['message']}"
                     for n, p in enumerate(self.problems, start=1)]
            first = self.problems[0]
            raise DataFileError("projects_invalid", f"{WHAT} {self.file} 有 {len(self.problems)} 处错误：\n"
                                + "\n".join(lines), file=self.file, line=first["line"],
                                entry=first["entry"], problems=self.problems)
        return types

    def stages(self, entries: list[Any]) -> list[StageSpec]:
        found: dict[int, StageSpec] = {}
        placed: dict[str, int] = {}
        seen_materials: set[str] = set()
        for index, data in enumerate(entries):
            number = data.get("number") if isinstance(data, dict) else None
            entry = f"stages[{number}]" if type(number) is int else f"stages[第{index + 1}段]"
            what = f"第 {number} 阶段" if type(number) is int else f"第 {index + 1} 段阶段"
            if not self.fields("stages", index, entry, what, data, _STAGE_KEYS):
                continue
            number = data["number"]  # an integer now that the fields are checked
            if not 1 <= number <= STAGE_COUNT:
                self.problem("stages", index, entry, f"阶段序号 number 应为 1～{STAGE_COUNT}，实际是 {number}", "number")
                continue
            if number in found:
                self.problem("stages", index, entry, f"第 {number} 阶段重复定义", "number")
                continue
            stage = self.stage(index, entry, what, number, data, placed, seen_materials)
            if stage is not None:
                found[number] = stage
        missing = [n for n in range(1, STAGE_COUNT + 1) if n not in found]
        if missing and not self.problems:
            self.problem("stages", None, None, f"缺少第 {'、'.join(map(str, missing))} 阶段：四个阶段须依次定义")
        return [found[n] for n in sorted(found)]

    def stage(self, index: int, entry: str, what: str, number: int, data: dict[str, Any],
              placed: dict[str, int], seen_materials: set[str]) -> StageSpec | None:
        before = len(self.problems)
        departments = self.catalogue.departments
        lead = data["lead"]
        if lead not in departments:
            self.problem("stages", index, entry, f"{what}的牵头部门 {lead} 未在事项目录中定义", "lead")
        last = number == STAGE_COUNT
        items: tuple[str, ...] = ()
        if last:
            for key in ("items", "survey"):
                if key in data:
                    self.problem("stages", index, entry, f"{what}（竣工验收）由各部门联合验收，不填写 {key}；"
                                 "参加验收的部门写在 acceptance 中", key)
            if not data.get("acceptance"):
                self.problem("stages", index, entry, f"{what}（竣工验收）须在 acceptance 中列出参加联合验收的部门",
                             "acceptance", line=self.where.line("stages", index, "acceptance", fallback="number"))
            item = data.get("acceptance_item")
            if item is None:
                self.problem("stages", index, entry, f"{what}（竣工验收）须在 acceptance_item 中填写联合验收对应的事项",
                             line=self.where.line("stages", index, "acceptance", fallback="number"))
            items = self.codes("stages", index, entry, what, "acceptance_item", [item] if item else [],
                               self.catalogue.items, "事项")
        else:
            for key in ("acceptance", "acceptance_item"):
                if key in data:
                    self.problem("stages", index, entry, f"{what}不是竣工验收阶段，不填写 {key}", key)
            if not data.get("items"):
                self.problem("stages", index, entry, f"{what}须在 items 中列出本阶段并联办理的事项",
                             "items", line=self.where.line("stages", index, "items", fallback="number"))
            items = self.codes("stages", index, entry, what, "items", data.get("items", []),
                               self.catalogue.items, "事项")
        for code in items:
            if code in placed:
                self.problem("stages", index, entry, f"事项 {code} 已在第 {placed[code]} 阶段中，"
                             "一个事项只能属于一个阶段", "acceptance_item" if last else "items")
            placed.setdefault(code, number)
        acceptance = self.codes("stages", index, entry, what, "acceptance", data.get("acceptance", []),
                                departments, "部门")
        survey = self.survey(index, entry, what, data.get("survey"))
        materials = self.materials(index, entry, what, data["materials"], seen_materials)
        if len(self.problems) > before or materials is None:
            return None
        return StageSpec(number=number, name=data["name"].strip(), lead=lead, items=items,
                         materials=materials, survey=survey, acceptance=acceptance)

    def survey(self, index: int, entry: str, what: str, value: Any) -> SurveyProfile | None:
        if value is None:
            return None
        label = f"{what}的联合踏勘（survey）"
        line = self.where.line("stages", index, "survey")
        if not self.fields("stages", index, entry, label, value, _SURVEY_KEYS, line):
            return None
        departments = self.codes("stages", index, entry, label, "survey", value["departments"],
                                 self.catalogue.departments, "部门")
        if not departments:
            self.problem("stages", index, entry, f"{label}至少要有一个参加踏勘的部门", line=line)
        risk = _RISK_BY_LABEL.get(value.get("risk_level", "中"))
        if risk is None:
            self.problem("stages", index, entry, f"{label}的风险等级应为 低、中 或 高", line=line)
        if self.catalogue.inspection_department is None:
            self.problem("stages", index, entry, f"{label}须由本局现场勘验股牵头：请在事项目录的 [bureau] 中"
                         "指定 inspection_department", line=line)
        return SurveyProfile(departments, risk or "medium")

    def materials(self, index: int, entry: str, what: str, value: list[Any],
                  seen: set[str]) -> tuple[Material, ...] | None:
        before = len(self.problems)
        result: list[Material] = []
        for number, data in enumerate(value, start=1):
            code = data.get("code") if isinstance(data, dict) else None
            anchor = code if isinstance(code, str) and code else None
            line = self.where.material_line(index, number, anchor, table="stages")
            label = f"{what}的申请材料 {anchor or f'第 {number} 项'} "
            if not self.fields("stages", index, entry, label, data, _MATERIAL_KEYS, line):
                continue
            code = data["code"]  # a string now that the fields are checked
            if not _MATERIAL_CODE.fullmatch(code):
                self.problem("stages", index, entry, f"{label}的编码不合规范：只能含字母、数字、连字符和下划线",
                             line=line)
            elif code in seen:
                self.problem("stages", index, entry, f"申请材料编码 {code} 重复（全文件唯一）", line=line)
            else:
                seen.add(code)
                result.append(Material(code=code, name=data["name"].strip(), main=data["main"]))
        if not result and len(self.problems) == before:
            self.problem("stages", index, entry, f"{what}的申请材料（materials）不能为空", "materials")
        elif result and not any(m.main for m in result):
            self.problem("stages", index, entry, f"{what}至少要有一项主要材料（main = true）", "materials")
        return tuple(result) if len(self.problems) == before else None

    def types(self, entries: list[Any], stages: list[StageSpec]) -> dict[str, ProjectType]:
        result: dict[str, ProjectType] = {}
        staged = {code for stage in stages for code in stage.items}
        for index, data in enumerate(entries):
            code = data.get("code") if isinstance(data, dict) else None
            entry = code if isinstance(code, str) and code else f"types[{index + 1}]"
            what = f"项目类型 {entry} "
            if not self.fields("types", index, entry, what, data, _TYPE_KEYS):
                continue
            code = data["code"]  # a string now that the fields are checked
            before = len(self.problems)
            if not _CODE.fullmatch(code) or len(code) > 32:
                self.problem("types", index, entry, f"{what}的编码不合规范：只能含字母、数字和连字符，"
                             "例如 GCXM-ZF", "code")
            elif code in result or code in self.catalogue.items or code in self.catalogue.bundles:
                self.problem("types", index, entry, f"编码 {code} 重复（已有同编码的项目类型或事项）", "code")
            limits = data["limits"]
            if len(limits) != STAGE_COUNT or not all(type(v) is int and v >= 1 for v in limits):
                self.problem("types", index, entry, f"{what}的 limits 应为 {STAGE_COUNT} 个正整数（各阶段的"
                             f"工作日时限，依次为第 1～{STAGE_COUNT} 阶段），实际是 {limits!r}", "limits")
            excluded = self.codes("types", index, entry, what, "excluded_items", data.get("excluded_items", []),
                                  self.catalogue.items, "事项")
            strays = [c for c in excluded if c not in staged]
            if strays and stages:
                self.problem("types", index, entry, f"{what}的 excluded_items 中的事项 {'、'.join(strays)} "
                             "不在任何阶段中", "excluded_items")
            process = data.get("process", "construction_project")
            if self.known_processes is not None and process not in self.known_processes:
                self.problem("types", index, entry, f"{what}的办理流程 {process} 不存在", "process")
            own = [_without(stage, excluded) for stage in stages]
            for stage in own:
                if stage.number < STAGE_COUNT and not stage.items:
                    self.problem("types", index, entry, f"{what}排除事项后，第 {stage.number} 阶段没有事项了",
                                 "excluded_items")
            if len(self.problems) > before or len(own) != STAGE_COUNT:
                continue
            result[code] = ProjectType(
                code=code, name=data["name"].strip(), limits=tuple(limits), stages=tuple(own),
                item_departments={c: self.catalogue.items[c].department for s in own for c in s.items},
                process=process, legal_basis=data.get("legal_basis", "").strip())
        return result


def _without(stage: StageSpec, excluded: tuple[str, ...]) -> StageSpec:
    return replace(stage, items=tuple(c for c in stage.items if c not in excluded))
