"""A case's history as people read it: every audit event of the case, in Chinese.

Each entry keeps the event's machine data (``action``, ``before``, ``after``) and adds
``action_label``, ``description`` (one Chinese sentence saying who did what, which rule
fired on which facts, when the clock stopped and how far the deadline moved) and the actor's
display name.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from app.persistence.models import AuditEvent
from app.workflow.definitions import ProcessDefinition

ACTION_LABELS = {
    "case_registered": "登记办件",
    "task_claimed": "签收任务",
    "task_released": "退回签收",
    "task_transferred": "转办任务",
    "task_completed": "办理完成",
    "rule_decided": "规则判断",
    "clock_suspended": "暂停计时",
    "clock_resumed": "恢复计时",
    "supplement_notice_issued": "一次性告知",
    "materials_supplemented": "补正材料",
    "materials_received": "收取材料",
    "deadline_warning": "时限预警",
    "deadline_overdue": "超期督办",
    "timer_fired": "定时事件",
    "follow_up_opened": "立案跟进",
    "licence_revoked": "许可撤销",
    "licence_withdrawn": "许可撤回",
    "supervision_finding_received": "接收监管发现",
    "supervision_finding_resolved": "监管发现办结",
    "escalation_completed": "督办办结",
    "efficiency_supervision": "效能督办",
    "model_deployed": "部署流程",
    "model_uploaded": "上传流程模型",
    "attachment_added": "上传扫描件",
    "inspection_photo_added": "上传现场照片",
    "inspection_photo_removed": "删除现场照片",
    "intake_notice_issued": "窗口出具一次性告知书",
    "project_stage_started": "阶段开始计时",
    "project_stage_concluded": "阶段办结",
    "certificate_issued": "签发证照",
    "certificate_delivered": "证照送达",
    "certificate_superseded": "证照被替换",
    "certificate_withdrawn": "证照撤回",
    "certificate_revoked": "证照撤销",
    "certificate_cancelled": "证照注销",
    "certificate_expired": "证照过期",
    "licence_application_registered": "证照变更延续注销申请",
}


def _task_completed(event: AuditEvent, definition: ProcessDefinition | None) -> str:
    after = event.after
    name = after.get("task") or event.element_id or ""
    text = f"办理“{name}”"
    decision = after.get("decision")
    if decision:
        spec = definition.human_tasks.get(event.element_id or "") if definition else None
        label = spec.decisions.get(decision, decision) if spec else decision
        text += f"，决定：{label}"
    fields = {k: v for k, v in (after.get("data") or {}).items() if v not in (None, "")}
    if "finding" in fields:
        text += f"，核查结论：{fields.pop('finding')}"
    if fields:
        text += "，" + "，".join(f"{k}：{v}" for k, v in fields.items())
    if after.get("opinion"):
        text += f"。意见：{after['opinion']}"
    return text


def _rule_decided(event: AuditEvent, _: ProcessDefinition | None) -> str:
    after = event.after
    where = f"（{after['element_name']}）" if after.get("element_name") else ""
    return f"规则判断{where}：{after.get('explanation_zh') or after.get('explanation', '')}"


def _clock_resumed(event: AuditEvent, _: ProcessDefinition | None) -> str:
    after = event.after
    days = after.get("working_days_suspended", 0)
    text = f"恢复计时（{after.get('reason_label', '')}结束），暂停 {days} 个工作日"
    if days and after.get("due_date"):
        text += f"，办结期限顺延至 {after['due_date']}"
    return text


_DESCRIBE: dict[str, Callable[[AuditEvent, ProcessDefinition | None], str]] = {
    "case_registered": lambda e, _: f"登记办件：{e.after.get('applicant', '')}，材料 {len(e.after.get('materials') or [])} 件",
    "task_claimed": lambda e, _: f"签收“{e.after.get('task') or e.element_id}”",
    "task_released": lambda e, _: f"退回签收“{e.after.get('task') or e.element_id}”",
    "task_completed": _task_completed,
    "rule_decided": _rule_decided,
    "clock_suspended": lambda e, _: f"暂停计时（{e.after.get('reason_label', '')}），法定不计入办理时限",
    "clock_resumed": _clock_resumed,
    "supplement_notice_issued": lambda e, _: "出具一次性告知书，需补正：" + "；".join(
        f"{i['name']}（{i['reason']}）" for i in e.after.get("items", [])),
    "materials_received": lambda e, _: f"窗口收取材料 {len(e.after.get('received') or [])} 件" + (
        "" if "gaps" not in e.after  # an item without 容缺受理: nothing owed to report
        else "，容缺材料已全部补齐" if not e.after["gaps"] else f"，尚缺容缺材料 {len(e.after['gaps'])} 件"),
    "materials_supplemented": lambda e, _: f"申请人补正材料 {len(e.after.get('materials') or [])} 件，一次补齐",
    "deadline_warning": lambda e, _: f"时限预警：距办结期限 {e.after.get('due_date')} 还剩 "
                                     f"{e.after.get('working_days_left')} 个工作日",
    "deadline_overdue": lambda e, _: f"办件超期（办结期限 {e.after.get('due_date')}），已交分管领导督办",
    "escalation_completed": lambda e, _: f"分管领导督办：{e.after.get('opinion', '')}",
    "efficiency_supervision": lambda e, _: f"效能监察：{e.after.get('message', '')}",
    "follow_up_opened": lambda e, _: f"事后核查发现承诺不实，已立案 {e.after.get('number')}（撤销程序）",
    "licence_revoked": lambda e, _: f"本许可已被撤销（撤销案 {e.after.get('by_case')}）",
    "licence_withdrawn": lambda e, _: f"本许可已被撤回（撤回案 {e.after.get('by_case')}）",
    "supervision_finding_received": lambda e, _: (
        f"接收{e.after.get('department_name') or e.after.get('department', '')}的监管发现："
        f"{ {'change': '变更', 'withdraw': '撤回', 'revoke': '撤销', 'cancel': '注销'}.get(str(e.after.get('action')), '')}"
        f"证照 {e.after.get('licence')}，理由：{e.after.get('reason', '')}"),
    "supervision_finding_resolved": lambda e, _: "监管发现办结，结果已推送给监管部门",
    "attachment_added": lambda e, _: f"上传“{e.after.get('material', '')}”的扫描件（{e.after.get('filename', '')}）",
    "inspection_photo_added": lambda e, _: f"为“{e.after.get('task', '')}”上传现场照片（{e.after.get('filename', '')}）",
    "inspection_photo_removed": lambda e, _: f"删除“{e.after.get('task', '')}”的现场照片（{e.after.get('filename', '')}）",
    "timer_fired": lambda e, _: "定时事件到期：" + (e.after.get("result_label") or e.after.get("status_label") or ""),
    "project_stage_started": lambda e, _: f"“{e.after.get('name')}”阶段受理，开始计时：时限 {e.after.get('limit')} "
                                          f"个工作日，至 {e.after.get('due_date')}",
    "project_stage_concluded": lambda e, _: f"“{e.after.get('name')}”阶段办结：{e.after.get('outcome_label')}",
    "certificate_issued": lambda e, _: (f"以本局电子印章签发{'不予行政许可决定书' if e.after.get('kind') == 'refusal' else '证照'} "
                                        f"{e.after.get('number')}"
                                        + (f"，有效期至 {e.after['valid_until']}" if e.after.get("valid_until") else "")),
    "certificate_delivered": lambda e, _: f"{e.after.get('number')} 已送达（{e.after.get('reason') or '窗口领取'}）",
    "certificate_superseded": lambda e, _: f"证照 {e.after.get('number')} {e.after.get('reason')}",
    "certificate_withdrawn": lambda e, _: f"证照 {e.after.get('number')} 已撤回：{e.after.get('reason')}",
    "certificate_revoked": lambda e, _: f"证照 {e.after.get('number')} 已撤销：{e.after.get('reason')}",
    "certificate_cancelled": lambda e, _: f"证照 {e.after.get('number')} 已注销：{e.after.get('reason')}",
    "certificate_expired": lambda e, _: f"证照 {e.after.get('number')} {e.after.get('reason')}",
    "licence_application_registered": lambda e, _: f"登记证照 {e.after.get('certificate')} 的"
                                                   f"{ {'change': '变更', 'renewal': '延续', 'cancellation': '注销'}.get(str(e.after.get('action')), '')}申请",
}


class HistoryEntry(TypedDict):
    """One event of a case's history (``history`` of the case detail)."""

    id: int
    at: str
    actor: str
    action: str
    action_label: str
    element_id: str | None
    description: str
    before: dict[str, Any]
    after: dict[str, Any]
    #: the actor's display name (the username when they have none)
    actor_name: str


def history(events: Iterable[AuditEvent], definition: ProcessDefinition | None,
            names: Mapping[str, str]) -> list[HistoryEntry]:
    """The case's events (oldest first), each with a Chinese label and description, and the
    actor's name from ``names`` (username → display name)."""
    entries: list[HistoryEntry] = []
    for event in events:
        describe = _DESCRIBE.get(event.action)
        label = ACTION_LABELS.get(event.action, event.action)
        if event.action == "task_transferred":  # to whom, by name, and why
            to, reason = event.after.get("to", ""), event.after.get("reason")
            description = (f"将“{event.after.get('task') or event.element_id}”转给 {names.get(to, to)}"
                           + (f"，说明：{reason}" if reason else ""))
        else:
            description = describe(event, definition) if describe else label
        entries.append({
            "id": event.id, "at": event.occurred_at.isoformat(), "actor": event.actor,
            "action": event.action, "action_label": label, "element_id": event.element_id,
            "description": description,
            "before": event.before, "after": event.after,
            "actor_name": names.get(event.actor, event.actor),
        })
    return entries
