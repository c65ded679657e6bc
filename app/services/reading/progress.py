"""The public progress page (全程知进度): case number plus the query code on the receipt gives
the case's stage and dates, and nothing personal (no applicant, no opinions, no names).

A case of several items (一件事) lists each item with its department and how far it is (its
result only once the case is closed, as for the case itself); a construction project lists its
stages with their lead section and status.

An unknown number and a wrong code get the same answer, after the same constant-time
comparison, so the page tells nothing about which numbers exist; the web layer also limits
failed attempts per client.
"""
from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.cases.numbers import case_number
from app.domain.cases.status import CaseResult, CaseStatus
from app.domain.timing.clock import local_date
from app.domain.errors import InvalidInput, NotFound
from app.domain.cases.kinds import CaseKind
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.items import items_of_case
from app.persistence.cases.rows import find_case_by_number
from app.persistence.models import Case
from app.services.reading.project_views import project_view
from app.services.runtime import Runtime

_NUMBER = re.compile(r"^\d{4}-\d{6}$")  # after case_number() made it canonical
_CODE = re.compile(r"^[0-9A-F]{4,16}$")
_DUMMY_CODE = "000000"

#: the steps an applicant sees; a status not named here (a newer one) shows as 受理审查
STEPS = ("申请登记", "受理审查", "审批决定", "制证", "出件", "办结")
STEP_OF_STATUS = {
    CaseStatus.REGISTERED: 0, CaseStatus.PENDING_DECISION: 2, CaseStatus.CERTIFYING: 3,
    CaseStatus.READY_TO_ISSUE: 4, CaseStatus.COMPLETED: 5, CaseStatus.NOT_ACCEPTED: 5,
    # 告知承诺: approved and issued; the post-approval verification is all that remains
    CaseStatus.VERIFYING: 5,
}


class ProgressStep(TypedDict):
    """One of the steps an applicant sees; ``state``: done, current or todo."""

    label: str
    state: str


class ProgressPart(TypedDict):
    """An item of a bundle or a stage of a project: who handles it and how far it is."""

    name: str
    department_name: str
    state: str


class Progress(TypedDict):
    """What the progress page shows of a case: stage and dates, nothing personal."""

    number: str
    item_name: str
    items: list[ProgressPart]
    stages: list[ProgressPart]
    department_name: str
    status_label: str
    final: bool
    result_label: str | None
    steps: list[ProgressStep]
    #: the names of the steps open now
    current: list[str]
    registered_on: str | None
    accepted_on: str | None
    due_date: str | None
    provisional: bool
    suspended: bool
    completed_on: str | None
    #: 告知承诺: approved on the spot (当场准予); ``due_date`` is then the 事后核查 deadline
    approved_on_commitment: bool


def _steps(status: CaseStatus) -> list[ProgressStep]:
    current = STEP_OF_STATUS.get(status, 1)
    return [{"label": label, "state": "done" if i < current or status.is_final else
             "current" if i == current else "todo"} for i, label in enumerate(STEPS)]


def lookup_progress(session: Session, runtime: Runtime, number: object, code: object) -> Progress:
    number = (case_number(number) or number.strip()) if isinstance(number, str) else ""
    code = code.strip().upper() if isinstance(code, str) else ""
    if not _NUMBER.match(number):
        raise InvalidInput("invalid_case_number", "请填写办件编号，如 2026-000123（见受理回执）", field="number")
    if not _CODE.match(code):
        raise InvalidInput("invalid_query_code", "请填写受理回执上的查询码（数字和字母 A–F）", field="code")
    case = find_case_by_number(session, number)
    expected = case.query_code if case is not None else _DUMMY_CODE
    matches = hmac.compare_digest(code.encode(), expected.encode())
    if case is None or not matches:
        raise NotFound("progress_not_found", "办件编号或查询码不正确，请核对受理回执")
    status = CaseStatus(case.status)
    current = [] if status.is_final else sorted(
        {t.name for t in task_queries.ready_tasks_of_case(session, case.id)})

    def day(moment: datetime | None) -> str | None:
        return local_date(moment).isoformat() if moment else None

    final = status.is_final
    items: list[ProgressPart] = [{"name": i.item_name, "department_name": runtime.catalogue.department_name(i.department),
              "state": (CaseResult(i.result).label if final else "已作出决定") if i.result else "办理中"}
             for i in items_of_case(session, case.id)] if case.kind == CaseKind.BUNDLE else []
    project = project_view(session, runtime, case) if case.kind == CaseKind.PROJECT else None
    stages: list[ProgressPart] = [{"name": f"第 {s['number']} 阶段 · {s['name']}", "department_name": s["lead_name"],
               "state": s["status_label"] + (f"，期限 {s['due_date']}" if s["status"] == "running" else "")}
              for s in project["stages"]] if project else []
    return {
        "number": case.number, "item_name": case.item_name, "items": items, "stages": stages,
        "department_name": runtime.catalogue.department_name(case.department),
        "status_label": status.label, "final": status.is_final,
        "result_label": CaseResult(case.result).label if case.result and status.is_final else None,
        "steps": _steps(status), "current": current,
        "registered_on": day(case.created_at),
        "accepted_on": case.accepted_on.isoformat() if case.accepted_on else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "provisional": case.deadline_provisional,
        "suspended": case.clock_suspended_since is not None and not status.is_final,
        "completed_on": day(case.completed_at),
        "approved_on_commitment": _approved_on_commitment(runtime, case),
    }


def _approved_on_commitment(runtime: Runtime, case: Case) -> bool:
    subject = runtime.catalogue.find(case.item_code)
    return subject is not None and subject.commitment is not None and case.result == CaseResult.APPROVED
