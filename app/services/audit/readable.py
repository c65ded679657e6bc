"""An audit event's before and after as people read them: a Chinese list of the fields that
changed, with Chinese values (people by name, statuses and decisions by their labels), never a
machine code or a ``\\uXXXX`` escape. The raw JSON stays available beside it."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.cases.field_labels import FIELD_LABELS as STEP_FIELD_LABELS

#: every field the trail's events carry, by its Chinese name
FIELD_LABELS = {
    **STEP_FIELD_LABELS,
    "task": "环节", "task_id": "任务编号", "claimed_by": "签收人", "to": "转办给", "reason": "原因或说明",
    "reason_label": "暂停原因", "decision": "决定", "opinion": "意见", "data": "填写内容", "result": "办理结果",
    "result_label": "办理结果", "status": "办件状态", "status_label": "办件状态", "state": "时限状态",
    "number": "办件编号", "item_code": "事项", "applicant": "申请人", "materials": "材料",
    "case_materials": "办件材料", "received": "本次收取材料", "missing": "缺少材料", "gaps": "容缺材料",
    "items": "补正事项", "due_date": "办结期限", "working_days_left": "剩余工作日", "working_days_suspended":
    "暂停工作日数", "limit": "时限（工作日）", "stage": "阶段", "name": "名称", "outcome": "阶段结论",
    "outcome_label": "阶段结论", "by_case": "撤销案", "case_id": "办件（内部编号）", "element_name": "流程元素",
    "process_id": "流程", "process": "流程", "process_version": "流程版本", "version": "版本", "hash": "内容摘要",
    "comment": "说明", "errors": "校验错误", "calls": "调用的流程", "model_id": "流程模型编号",
    "model_revision": "模型修订号", "size": "文件大小（字节）", "file": "文件", "title": "标题", "rules": "规则",
    "role": "角色", "department": "部门", "user": "用户", "sessions_ended": "结束的会话数",
    "tokens_revoked": "注销的凭证数", "project": "工程建设项目", "applicant_name": "申请人",
    "explanation_zh": "规则说明", "explanation": "规则说明", "rule_id": "规则", "ruleset": "规则集",
    "ruleset_version": "规则集版本", "facts": "判断依据", "extras": "附加结论", "certificate_no": "证照编号",
    "delivery": "送达方式", "commitment_signed": "已签署告知承诺书", "finding": "核查结论",
    "department_name": "部门", "registered": "登记", "query_code": "查询码", "material": "材料",
    "filename": "文件名", "content_type": "文件类型", "sha256": "内容摘要（SHA-256）",
    "certificate": "证照编号", "licence": "证照编号", "licence_action": "申请类型", "action": "处理类型",
    "finding_id": "监管发现编号", "finding_action": "处理类型", "supervisor": "监管部门", "evidence": "证据",
    "url": "推送地址", "secret_changed": "已更换签名密钥", "delivery_id": "推送记录编号", "event_id": "推送事件编号",
}
#: decisions as the trail shows them when the step's own label is not at hand
DECISION_LABELS = {"approve": "同意", "reject": "不同意", "return": "退回补正", "accept": "受理",
                   "not_accept": "不予受理", "upheld": "维持", "revoke": "撤销"}
STATE_LABELS = {"normal": "正常", "warning": "预警", "overdue": "超期"}
_PEOPLE = ("claimed_by", "to", "user")
#: fields that say nothing to a reader beside their neighbours (their labelled twin is shown, or
#: the rule's Chinese explanation says it); the raw data keeps them
_HIDDEN = ("task_id", "status_label", "result_label", "reason_label", "outcome_label", "outcome", "ruleset",
           "explanation", "facts", "cited_facts", "extras", "hash", "model_revision", "rule_id")


@dataclass(frozen=True)
class Vocabulary:
    """What the trail's codes mean: people by name, and per field (department, role, item,
    process) the Chinese name of each code."""

    names: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def person(self, username: str) -> str:
        return self.names.get(username, "系统" if username == "system" else username)


class Change(TypedDict):
    """One field of an event: its Chinese name, and its value before and after (text)."""

    field: str
    before: str
    after: str


def _value(key: str, value: Any, words: Vocabulary) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in _PEOPLE and isinstance(value, str):
        return words.person(value)
    if isinstance(value, str) and value in words.codes.get(key, {}):
        return words.codes[key][value]
    if key == "status" and value in CaseStatus.__members__.values():
        return CaseStatus(value).label
    if key == "result" and value in CaseResult.__members__.values():
        return CaseResult(value).label
    if key == "decision" and isinstance(value, str):
        return DECISION_LABELS.get(value, value)
    if key == "state" and isinstance(value, str):
        return STATE_LABELS.get(value, value)
    if isinstance(value, list):
        if all(isinstance(v, str | int | float) for v in value):
            return "、".join(_value(key, v, words) if isinstance(v, str) else str(v) for v in value)
        return f"{len(value)} 项"
    if isinstance(value, dict):
        return "；".join(f"{FIELD_LABELS.get(k, '其他')}：{_value(k, v, words)}" for k, v in value.items()
                        if k not in _HIDDEN and _value(k, v, words))
    return str(value)


def changes(before: Mapping[str, Any], after: Mapping[str, Any], words: Vocabulary) -> list[Change]:
    """The event's fields in Chinese, before → after, in the order the event wrote them."""
    fields = [k for k in (*before, *(k for k in after if k not in before)) if k not in _HIDDEN]
    listed: list[Change] = []
    for key in fields:
        was, now = _value(key, before.get(key), words), _value(key, after.get(key), words)
        if key == "status" and not now and after.get("status_label"):
            now = str(after["status_label"])
        if was or now:
            listed.append({"field": FIELD_LABELS.get(key, "其他"), "before": was, "after": now})
    return listed


def people_in(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """Usernames an event mentions (to show them by name)."""
    return {str(d[f]) for d in (before, after) for f in _PEOPLE if isinstance(d.get(f), str)}


def raw_json(value: Mapping[str, Any]) -> str:
    """The raw data, readable (Chinese as it is, never ``\\uXXXX``), for 查看原始数据."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1) if value else ""
