"""What a human task in a diagram declares: its stage, decisions, opinion rule and fields.

Declared in the diagram as ``spiffworkflow:property`` entries on the task. This module is
plain parsing of those strings; it has no SpiffWorkflow import so services and tests can
use the types freely.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.errors import InvalidInput
from app.domain.cases.field_labels import field_label

STAGES = ("registered", "awaiting_supplement", "in_review", "inspecting", "pending_decision",
          "certifying", "ready_to_issue", "verifying")
#: Why a task stops the clock while it is open (法定不计时): 补正, 专家评审, 听证, 整改.
SUSPENSION_REASONS = ("supplement", "expert_review", "hearing", "rectification")
#: Every property a user task may declare; anything else is a typo and refused.
KNOWN_PROPERTIES = frozenset({"stage", "decisions", "results", "opinion", "fields",
                              "department_from", "suspends_clock", "item_from", "project_stage_from",
                              "opens_case", "certificate"})
#: what a task does with the case's certificates when completed (``certificate`` property):
#: ``issue`` the licence (制证), ``refusal`` the signed 不予行政许可决定书, ``deliver`` them (出件),
#: ``cancel`` the licence a 注销 case is about
CERTIFICATE_ACTIONS = ("issue", "refusal", "deliver", "cancel")
#: a task-data variable, or one key inside it: ``department`` or ``stage_item.department``
_PATH = re.compile(r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$")
CASE_RESULTS = ("approved", "rejected", "not_accepted", "withdrawn", "revoked", "upheld", "licence_withdrawn")
FIELD_TYPES = ("text", "bool", "int", "date", "enum", "person", "photos")
#: ``date(past)``: a day that has come: not after today, not before the case was registered
DATE_OPTIONS = ("past",)
#: ``person(role)``: another active user of that role in the task's department
PERSON_ROLES = ("window", "reviewer", "leader", "inspector")
#: how a field declaration reads: ``name:type``, ``!`` after the type when it must be filled
FIELD_SYNTAX = ("text、bool、int、date、date(past)、enum(选项一|选项二)、person(角色)、photos，"
                "类型后加“!”表示必填")
MAX_TEXT = 2_000
MAX_PHOTOS = 30
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ENUM = re.compile(r"^(?:enum|choice)\((.+)\)$")
_OPTION = re.compile(r"^(date|person)\(([a-z_]+)\)$")


class MetadataError(ValueError):
    """A property value in a diagram is malformed; the message is Chinese."""


@dataclass(frozen=True)
class FieldSpec:
    """One form field of a step: ``type`` one of FIELD_TYPES; ``choices`` of an enum; ``option``
    ``past`` of a date, the role of a person; ``required``: the step cannot be completed without it
    (what needs the case or the database — a past date, a real colleague, the photos — the service
    checks)."""

    name: str
    type: str
    choices: tuple[str, ...] = ()
    required: bool = False
    option: str | None = None

    def from_form(self, raw: str) -> Any:
        """Turn a form string into the field's type; ``coerce`` then validates it."""
        if self.type == "bool":
            return raw in ("true", "1", "on", "是")
        if self.type == "int":
            try:
                return int(raw)
            except ValueError:
                return raw
        return raw

    def coerce(self, value: Any) -> Any:
        """Validate a submitted value for this field; raise InvalidInput in Chinese."""
        def bad(expected: str) -> InvalidInput:
            return InvalidInput("invalid_field", f"“{field_label(self.name)}”应为{expected}", field=self.name)

        if value is None:
            return None
        if self.type == "text":
            if not isinstance(value, str):
                raise bad("文本")
            if len(value) > MAX_TEXT:
                raise InvalidInput("field_too_long", f"“{field_label(self.name)}”超过 {MAX_TEXT} 个字符",
                                   field=self.name)
            return value
        if self.type == "bool":
            if not isinstance(value, bool):
                raise bad("是或否")
            return value
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**12:
                raise bad("整数")
            return value
        if self.type == "person":
            if not isinstance(value, str) or not _NAME.match(value.strip()):
                raise bad("本系统中的人员")
            return value.strip()
        if self.type == "photos":
            if not isinstance(value, list) or len(value) > MAX_PHOTOS \
                    or not all(isinstance(v, str) and len(v) <= 64 for v in value):
                raise bad(f"已上传照片的编号列表（至多 {MAX_PHOTOS} 张）")
            return list(dict.fromkeys(value))
        if self.type == "date":
            if not isinstance(value, str):
                raise bad("日期（YYYY-MM-DD）")
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise bad("日期（YYYY-MM-DD）") from None
        if value not in self.choices:
            raise bad("以下之一：" + "、".join(self.choices))
        return value


@dataclass(frozen=True)
class HumanTaskSpec:
    """A user task as the application sees it."""

    element_id: str
    name: str
    lane: str | None
    stage: str | None
    decisions: dict[str, str] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)
    opinion: str = "optional"
    fields: tuple[FieldSpec, ...] = ()
    #: task-data variable (or ``variable.key``) naming the department that works this task
    #: (multi-instance item, entrusted department); None: the case's department
    department_from: str | None = None
    #: task-data path naming the catalogue item the task decides (bundles, project stages)
    item_from: str | None = None
    #: task-data path giving the number of the project stage the task belongs to
    project_stage_from: str | None = None
    #: decision → the process of a follow-up case the decision opens about the same item
    #: (``fail:revocation``: a verification found untrue opens a revocation case)
    opens_case: dict[str, str] = field(default_factory=dict)
    #: decision → what the completion does with certificates (one of CERTIFICATE_ACTIONS); the
    #: key ``""`` whatever the decision (``issue`` on 制证, ``deliver`` on 出件)
    certificate: dict[str, str] = field(default_factory=dict)
    #: the clock stops while this task is open, for this reason (one of SUSPENSION_REASONS)
    suspends_clock: str | None = None
    #: multi-instance: the input item (one per instance) and the output item collected
    input_item: str | None = None
    output_item: str | None = None

    @property
    def multi_instance(self) -> bool:
        return self.input_item is not None

    def field_spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _pairs(text: str, what: str, *, values: bool = False) -> dict[str, str]:
    result: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition(":")
        if not sep or not key.strip() or not value.strip():
            form = "决定:流程编号" if values else "值:标签"
            raise MetadataError(f"{what}格式应为“{form}”，逗号分隔：{part}")
        if not _NAME.match(key.strip()):
            raise MetadataError(f"{what}中的值“{key}”应为小写英文标识")
        result[key.strip()] = value.strip()
    return result


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """``finding:enum(合格|不合格)!;inspected_on:date(past)!;second_inspector:person(inspector)!;photos:photos``"""
    fields: list[FieldSpec] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, kind = part.partition(":")
        name, kind = name.strip(), kind.strip()
        if not sep or not _NAME.match(name):
            raise MetadataError(f"字段声明应为“名称:类型”，名称为小写英文标识：{part}")
        if name in ("decision", "opinion"):
            raise MetadataError(f"字段名“{name}”为保留字")
        required = kind.endswith("!")
        kind = kind.removesuffix("!").strip()
        fields.append(_field(name, kind, required))
    if len({f.name for f in fields}) != len(fields):
        raise MetadataError("字段名重复")
    return tuple(fields)


def _field(name: str, kind: str, required: bool) -> FieldSpec:
    match = _ENUM.match(kind)
    if match:
        choices = tuple(c.strip() for c in match.group(1).split("|") if c.strip())
        if not choices:
            raise MetadataError(f"字段“{name}”的枚举值为空")
        return FieldSpec(name, "enum", choices, required)
    option = _OPTION.match(kind)
    if option:
        base, value = option.groups()
        allowed = DATE_OPTIONS if base == "date" else PERSON_ROLES
        if value not in allowed:
            raise MetadataError(f"字段“{name}”的类型“{kind}”中的“{value}”无效，应为：{'、'.join(allowed)}")
        return FieldSpec(name, base, (), required, value)
    if kind == "person":
        raise MetadataError(f"字段“{name}”为人员时须写明角色，如 person(inspector)")
    if kind in FIELD_TYPES and kind != "enum":
        return FieldSpec(name, kind, (), required)
    raise MetadataError(f"字段“{name}”的类型“{kind}”不受支持（{FIELD_SYNTAX}）")


def human_task_from_properties(element_id: str, name: str, lane: str | None,
                               properties: dict[str, str]) -> HumanTaskSpec:
    """Build a :class:`HumanTaskSpec`; raise :class:`MetadataError` on malformed properties."""
    unknown = sorted(set(properties) - KNOWN_PROPERTIES)
    if unknown:
        raise MetadataError(f"未知的任务属性“{'、'.join(unknown)}”，可用属性：{'、'.join(sorted(KNOWN_PROPERTIES))}")
    stage = properties.get("stage") or None
    if stage is not None and stage not in STAGES:
        raise MetadataError(f"阶段“{stage}”无效，应为：{'、'.join(STAGES)}")
    decisions = _pairs(properties.get("decisions", ""), "决定选项")
    results = _pairs(properties.get("results", ""), "办理结果")
    for decision, result in results.items():
        if decision not in decisions:
            raise MetadataError(f"办理结果引用了未声明的决定“{decision}”")
        if result not in CASE_RESULTS:
            raise MetadataError(f"办理结果“{result}”无效，应为：{'、'.join(CASE_RESULTS)}")
    opinion = properties.get("opinion", "optional")
    if opinion not in ("required", "optional"):
        raise MetadataError("意见要求应为 required 或 optional")
    paths: dict[str, str | None] = {}
    for key, what in (("department_from", "承办部门"), ("item_from", "事项"), ("project_stage_from", "项目阶段")):
        path = properties.get(key) or None
        if path is not None and not _PATH.match(path):
            raise MetadataError(f"{what}变量“{path}”应为小写英文标识，或“变量.键”")
        paths[key] = path
    opens_case = {}
    for decision, process_id in _pairs(properties.get("opens_case", ""), "立案规则", values=True).items():
        if decision not in decisions:
            raise MetadataError(f"立案规则引用了未声明的决定“{decision}”")
        if not _NAME.match(process_id):
            raise MetadataError(f"立案规则中的流程编号“{process_id}”应为小写英文标识")
        opens_case[decision] = process_id
    certificate = _certificate_actions(properties.get("certificate", ""), decisions)
    suspends_clock = properties.get("suspends_clock") or None
    if suspends_clock is not None and suspends_clock not in SUSPENSION_REASONS:
        raise MetadataError(f"暂停计时原因“{suspends_clock}”无效，应为：{'、'.join(SUSPENSION_REASONS)}")
    return HumanTaskSpec(
        element_id=element_id, name=name, lane=lane, stage=stage, decisions=decisions,
        results=results, opinion=opinion, fields=parse_fields(properties.get("fields", "")),
        suspends_clock=suspends_clock, opens_case=opens_case, certificate=certificate, **paths,
    )


def _certificate_actions(text: str, decisions: dict[str, str]) -> dict[str, str]:
    """``issue`` / ``deliver`` (whatever the decision), or ``approve:issue,reject:refusal``."""
    text = text.strip()
    if not text:
        return {}
    if text in CERTIFICATE_ACTIONS:
        return {"": text}
    actions = _pairs(text, "证照动作", values=True)
    for decision, action in actions.items():
        if decision not in decisions:
            raise MetadataError(f"证照动作引用了未声明的决定“{decision}”")
        if action not in CERTIFICATE_ACTIONS:
            raise MetadataError(f"证照动作“{action}”无效，应为：{'、'.join(CERTIFICATE_ACTIONS)}")
    return actions
