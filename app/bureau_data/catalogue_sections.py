"""The catalogue's ``[bureau]`` table and its ``[[bundles]]`` (一件事) sections.

A bundle is written as::

    [[bundles]]
    code = "YJS-0001"
    name = "开餐馆“一件事”"
    department = "market"              # 牵头部门：窗口统一出件前汇总各事项结果
    promised_limit = 10                # 承诺时限（工作日），不得超过所含事项中最短的法定时限
    items = ["XK-0001", "XK-0015"]     # 至少两个承诺件；材料中标为同一 shared 的只收一次

Problems go to the loader's list, naming the line and the bundle's code.
"""
from __future__ import annotations

import re
from typing import Any, Protocol

from app.domain.bureau.catalogue import Bundle, Department, Item, ItemKind, bundle_materials

BUREAU_KEYS: dict[str, tuple[type, bool]] = {"name": (str, True), "inspection_department": (str, False)}
BUNDLE_KEYS: dict[str, tuple[type, bool]] = {
    "code": (str, True), "name": (str, True), "department": (str, True),
    "promised_limit": (int, True), "items": (list, True)}
_BUNDLE_CODE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_TYPE_NAMES = {str: "字符串（加英文双引号）", int: "整数（不加引号）", list: "数组 [ ... ]"}


class Loader(Protocol):
    problems: list[dict[str, Any]]
    where: Any

    def _fields(self, table: str, index: int, entry: str, what: str, data: dict[str, Any],
                spec: dict[str, tuple[type, bool]], line: int | None = None) -> bool: ...

    def _problem(self, table: str, index: int, entry: str, message: str, key: str | None = None,
                 value: str | None = None, line: int | None = None) -> None: ...


def parse_bureau(loader: Loader, data: Any, departments: dict[str, Department]) -> dict[str, Any]:
    problems, where = loader.problems, loader.where
    before = len(problems)
    if not isinstance(data, dict):
        problems.append({"line": where.top_line("bureau"), "entry": None, "message": "本局设置应写成一段 [bureau]"})
        return {}
    for key in data:
        if key not in BUREAU_KEYS:
            problems.append({"line": where.top_line(key), "entry": "bureau",
                             "message": f"[bureau] 中有不认识的键 {key}（允许的键：name、inspection_department）"})
    if data:
        for key, (kind, required) in BUREAU_KEYS.items():
            if (required and key not in data) or (key in data and type(data[key]) is not kind):
                problems.append({"line": where.top_line(key) or where.top_line("bureau"), "entry": "bureau",
                                 "message": f"[bureau] 的 {key} 应为{_TYPE_NAMES[kind]}"})
    survey = data.get("inspection_department")
    if isinstance(survey, str) and departments and survey not in departments:
        problems.append({"line": where.top_line("inspection_department"), "entry": "bureau",
                         "message": f"[bureau] 的现场核查牵头股室 {survey} 未在 [[departments]] 中定义"})
    return data if len(problems) == before else {}


def parse_bundles(loader: Loader, entries: list[Any], items: dict[str, Item],
                  departments: dict[str, Department]) -> dict[str, Bundle]:
    result: dict[str, Bundle] = {}
    for index, data in enumerate(entries):
        if not isinstance(data, dict):
            continue
        code = data.get("code")
        entry = code if isinstance(code, str) and code else f"bundles[{index + 1}]"
        what = f"“一件事” {entry} "
        before = len(loader.problems)

        def problem(message: str, key: str) -> None:
            loader._problem("bundles", index, entry, message, key)

        if not loader._fields("bundles", index, entry, what, data, BUNDLE_KEYS):
            continue
        code = data["code"]  # a string now that the fields are checked
        if not _BUNDLE_CODE.fullmatch(code) or len(code) > 40:
            problem(f"{what}的编码不合规范：只能含字母、数字和连字符，例如 YJS-0001", "code")
        elif code in items or code in result:
            problem(f"“一件事”编码 {code} 与已有事项或“一件事”重复", "code")
        if data["department"] not in departments:
            problem(f"{what}的牵头部门 {data['department']} 未在 [[departments]] 中定义", "department")
        members = _members(data["items"], items, what, problem)
        limit = data["promised_limit"]
        if members and not 1 <= limit <= min(i.statutory_limit for i in members):
            problem(f"{what}的承诺时限应为 1 至 {min(i.statutory_limit for i in members)} 个工作日"
                    "（不超过所含事项最短的法定时限）", "promised_limit")
        if len(loader.problems) == before and members:
            result[code] = Bundle(code=code, name=data["name"].strip(), department=data["department"],
                                  items=tuple(members), promised_limit=limit,
                                  materials=bundle_materials(tuple(members)),
                                  site_inspection=any(i.site_inspection for i in members))
    return result


def _members(codes: Any, items: dict[str, Item], what: str, problem: Any) -> list[Item]:
    if not all(isinstance(c, str) for c in codes) or len(codes) < 2 or len(set(codes)) != len(codes):
        problem(f"{what}的 items 应为至少两个不重复的事项编码", "items")
        return []
    members = []
    for code in codes:
        item = items.get(code)
        if item is None:
            problem(f"{what}所含事项 {code} 不在事项目录中", "items")
        elif item.kind is not ItemKind.PROMISED:
            problem(f"{what}所含事项 {code} 是即办件，即办件在窗口当场办结，不纳入“一件事”", "items")
        elif item.parallel is not None or item.commitment is not None:
            problem(f"{what}所含事项 {code} 实行并联审批或告知承诺，有自己的办理流程，不能纳入“一件事”", "items")
        else:
            members.append(item)
    return members if len(members) == len(codes) else []
