"""办件综合查询: find cases by number, applicant, item, department, status, registration dates
and being overdue; each caller sees only the cases they may see (the window, administrators and
auditors all; a department's staff the cases of their department or with a step for it;
designers none — they read process data only). The same search serves the page, the API and the
Excel export."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.cases.numbers import case_number
from app.domain.cases.status import CaseStatus
from app.domain.timing.clock import BUREAU_ZONE, local_date
from app.domain.errors import Forbidden, InvalidInput
from app.domain.roles import Role
from app.persistence.cases.search import CaseFilter, iter_cases, search_cases
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.reading.inbox import DeadlineBadge, deadline_badge
from app.services.runtime import Runtime

MAX_PAGE_SIZE = 100
MAX_TEXT = 64
#: an export holds at most this many cases (narrow the search for more)
MAX_EXPORT = 10_000
#: the widest registration period one search may span
MAX_SPAN_DAYS = 366 * 10
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class CaseSearch:
    """What was asked, validated: the page, API and export speak of the same criteria."""

    q: str | None = None
    item: str | None = None
    department: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    page: int = 1
    page_size: int = 20

    def as_args(self) -> dict[str, str]:
        """The criteria as query-string parameters (for page links and the export)."""
        args = {"q": self.q, "item": self.item, "department": self.department, "status": self.status,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "overdue": "1" if self.overdue else None}
        return {key: value for key, value in args.items() if value}


class FoundCase(TypedDict):
    """One case in the results: enough to find it, see where it stands and how urgent it is."""

    id: int
    number: str
    item_code: str
    item_name: str
    applicant: str
    department: str
    department_name: str
    status: str
    status_label: str
    registered_at: str
    due_date: str | None
    deadline: DeadlineBadge | None


@dataclass(frozen=True)
class SearchResult:
    criteria: CaseSearch
    cases: list[FoundCase]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.criteria.page_size))


class _Problems:
    """Every problem of the criteria at once, each next to its field (the page shows them all)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.first: tuple[str, str] | None = None

    def add(self, field: str, code: str, message: str) -> None:
        self.fields.setdefault(field, message)
        self.first = self.first or (code, message)

    def raise_any(self) -> None:
        if self.first is not None:
            code, message = self.first
            if len(self.fields) > 1:
                message = "；".join(self.fields.values())
            raise InvalidInput(code, message, field=next(iter(self.fields)), fields=self.fields)


def _date(args: Mapping[str, str], name: str, label: str, problems: _Problems) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    problems.add(name, "invalid_date", f"{label}应为 YYYY-MM-DD 格式的日期，例如 2026-03-01")
    return None


def _code(args: Mapping[str, str], name: str, label: str, problems: _Problems) -> str | None:
    text = (args.get(name) or "").strip()
    if text and not _CODE.match(text):
        problems.add(name, f"invalid_{name}", f"{label}编码格式不正确")
        return None
    return text or None


def parse_search(args: Mapping[str, str], runtime: Runtime, *, page: int = 1, page_size: int = 20) -> CaseSearch:
    """The criteria from query-string parameters, or one Chinese error naming every bad field
    (``details.fields``: field → message)."""
    problems = _Problems()
    q = (args.get("q") or "").strip() or None
    if q is not None and len(q) > MAX_TEXT:
        problems.add("q", "search_too_long", f"查询内容不能超过 {MAX_TEXT} 个字")
        q = None
    item = _code(args, "item", "事项", problems)
    if item is not None and runtime.catalogue.find(item) is None:
        problems.add("item", "unknown_item", f"事项“{item}”不在事项目录中")
    department = _code(args, "department", "部门", problems)
    if department is not None and department not in runtime.catalogue.departments:
        problems.add("department", "unknown_department", f"部门“{department}”不存在")
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in CaseStatus.__members__.values():
        problems.add("status", "invalid_status", "办件状态不正确（见 status 的可选值）")
    date_from = _date(args, "from", "开始日期", problems)
    date_to = _date(args, "to", "结束日期", problems)
    if date_from and date_to and date_from > date_to:
        problems.add("from", "invalid_period", "开始日期不能晚于结束日期")
    elif date_from and date_to and (date_to - date_from).days > MAX_SPAN_DAYS:
        problems.add("to", "period_too_long", "查询时段不能超过十年")
    overdue_text = (args.get("overdue") or "").strip().lower()
    if overdue_text not in _TRUE + _FALSE:
        problems.add("overdue", "invalid_overdue", "超期筛选应为 1（只看超期）或留空")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        problems.add("page", "invalid_page", f"页码应从 1 开始，每页 1 至 {MAX_PAGE_SIZE} 条")
    problems.raise_any()
    return CaseSearch(q, item, department, status, date_from, date_to, overdue_text in _TRUE, page, page_size)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, BUREAU_ZONE)


def _filter(actor: Actor, criteria: CaseSearch, today: date) -> CaseFilter:
    if actor.sees_process_data_only:
        raise Forbidden("personal_data_not_for_role",
                        "流程设计人员只能查看办件的流程数据，不能查询办件及申请人信息")
    if actor.role is Role.SUPERVISOR:
        raise Forbidden("role_not_allowed", "监管人员只能查看本部门提交的监管发现及其办件", role=actor.role.value)
    number = text = None
    if criteria.q:
        number = case_number(criteria.q)
        text = None if number else criteria.q
    return CaseFilter(
        number=number, text=text, item_code=criteria.item, department=criteria.department,
        status=criteria.status,
        registered_from=_start_of(criteria.date_from) if criteria.date_from else None,
        registered_before=_start_of(criteria.date_to + timedelta(days=1)) if criteria.date_to else None,
        overdue_on=today if criteria.overdue else None,
        all_visible=actor.sees_all_cases, visible_to_department=actor.department)


def _found(case: Case, runtime: Runtime, now: datetime) -> FoundCase:
    status = CaseStatus(case.status)
    return {"id": case.id, "number": case.number, "item_code": case.item_code, "item_name": case.item_name,
            "applicant": case.applicant_name, "department": case.department,
            "department_name": runtime.catalogue.department_name(case.department),
            "status": case.status, "status_label": status.label,
            "registered_at": case.created_at.isoformat(),
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "deadline": deadline_badge(case, runtime.calendar, now)}


def search(session: Session, runtime: Runtime, actor: Actor, criteria: CaseSearch) -> SearchResult:
    now = runtime.clock.now()
    where = _filter(actor, criteria, local_date(now))
    rows, total = search_cases(session, where, limit=criteria.page_size,
                               offset=(criteria.page - 1) * criteria.page_size)
    return SearchResult(criteria, [_found(case, runtime, now) for case in rows], total)


def export_rows(session: Session, runtime: Runtime, actor: Actor, criteria: CaseSearch) -> list[FoundCase]:
    """Every matching case for the Excel export, at most :data:`MAX_EXPORT` of them."""
    now = runtime.clock.now()
    where = _filter(actor, criteria, local_date(now))
    return [_found(case, runtime, now) for case in iter_cases(session, where, limit=MAX_EXPORT)]
