"""The step catalogue as the scenario editor completes from it: every sentence with its keyword,
its parameters (and the values the bureau knows for them), an example and its explanation."""
from __future__ import annotations

from typing import Any

from app.scenarios.language.catalogue import load_catalogue
from app.scenarios.language.checking import KnownNames
from app.scenarios.language.registry import PLACEHOLDER

#: placeholder name → what an auditor calls it
PARAMETER_LABELS = {
    "username": "用户名", "actor": "操作人", "step": "环节名称", "item": "事项名称", "bundle": "“一件事”名称",
    "applicant": "申请人", "decision": "决定", "opinion": "意见", "names": "材料名称（以“、”分隔）",
    "material": "材料名称", "label": "名称", "count": "数量", "day": "日期", "hhmm": "时刻", "days": "工作日数",
    "finding": "核查结论", "department": "部门", "departments": "部门", "role": "角色", "number": "编号或序号",
    "reason": "原因", "message": "提示文字", "mode": "方式", "outcome": "结果", "rule_id": "规则编号",
    "type_name": "项目类型", "project": "项目名称", "location": "建设地点", "tab": "待办页签",
    "field_name": "字段标识", "value": "值", "action": "动作", "point": "补齐节点", "name": "名称",
    "risk": "风险等级", "inspector": "核查人员", "second": "第二核查人", "text": "文字", "facts_json": "事实（JSON）",
    "parallel": "是否并联审批", "qualified": "是否具备资质", "required": "是否需要核查", "technical": "是否专业技术",
    "result": "办理结果", "scope": "许可范围", "total": "合计", "used": "已用", "first": "开始日期", "last": "结束日期",
    "opened": "在办", "overdue": "超期", "received": "收件", "limit": "时限", "rate": "比率", "accepted": "受理",
    "completed": "办结", "returned": "退回补正", "holder": "持证人", "delivery": "送达方式", "status": "状态",
    "event_id": "事件序号", "how": "篡改方式", "after": "变更后", "before": "变更前",
    "labels": "事件名称（以“、”分隔）", "kind": "类型", "new": "新文字", "old": "原文字",
}
#: placeholder name → the field of :class:`KnownNames` that lists its values
PARAMETER_VALUES = {"username": "users", "actor": "users", "step": "steps", "item": "items", "bundle": "bundles",
                    "decision": "decisions", "material": "materials", "names": "materials",
                    "department": "departments", "departments": "departments", "role": "roles",
                    "type_name": "project_types"}
_SAMPLES = {"applicant": "张三餐饮店", "opinion": "同意", "day": "2026-03-02", "hhmm": "09:30",
            "label": "审查中", "message": "…", "tab": "部门待办", "finding": "合格", "reason": "…"}


def chinese_sentence(pattern: str) -> str:
    """The pattern as an auditor reads it: ``{applicant}`` becomes ``〈申请人〉``."""
    return PLACEHOLDER.sub(lambda m: f"〈{PARAMETER_LABELS.get(m.group(1), '值')}{'：整数' if m.group(2) == 'd' else ''}〉",
                           pattern)


def _values(known: KnownNames, name: str) -> list[str]:
    field = PARAMETER_VALUES.get(name)
    if field is None:
        return []
    values: frozenset[str] = getattr(known, field)
    if name in ("item",):
        values = values | known.bundles
    return sorted(values)


def _example(pattern: str, known: KnownNames) -> str:
    def fill(match: Any) -> str:
        name, kind = match.group(1), match.group(2)
        if kind == "d":
            return "1"
        values = _values(known, name)
        preferred = {"username": "window", "decision": "准予", "step": "受理"}.get(name)
        if preferred in values:
            return str(preferred)
        return values[0] if values else _SAMPLES.get(name, PARAMETER_LABELS.get(name, name))
    return PLACEHOLDER.sub(fill, pattern)


def editor_catalogue(known: KnownNames) -> dict[str, Any]:
    """``{"steps": [...], "values": {parameter: [...]}, "keywords": {...}}`` for the editor."""
    steps = []
    for section in load_catalogue():
        for entry in section.entries:
            parameters = [{"name": m.group(1), "label": PARAMETER_LABELS.get(m.group(1), m.group(1)),
                           "integer": m.group(2) == "d"} for m in PLACEHOLDER.finditer(entry.pattern)]
            steps.append({"kind": entry.kind, "keyword": entry.keyword, "pattern": entry.pattern,
                          "sentence": entry.sentence, "doc": entry.doc, "section": section.title,
                          "parameters": parameters, "example": f"{entry.keyword}{_example(entry.pattern, known)}"})
    values = {name: _values(known, name) for name in PARAMETER_VALUES}
    return {"steps": steps, "values": values,
            "keywords": {"given": ["假如", "假设", "假定"], "when": ["当"], "then": ["那么"],
                         "and": ["而且", "并且", "同时", "但是"]}}
