"""The inbox: reads the projection only, never workflow state.

Each row carries its case's deadline badge (working days left, coloured by urgency), so the
pages and the API show the same figure, and, for a task that concerns one item of a bundle or
project, that item's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypedDict

from sqlalchemy.orm import Session

from app.domain.cases.numbers import case_number
from app.domain.timing.clock import local_date
from app.domain.errors import InvalidInput
from app.domain.timing.working_days import WorkingDayCalendar
from app.persistence.cases import tasks as task_queries
from app.persistence.access.users import display_names
from app.services.actor import Actor
from app.services.reading.case_views import TaskView, task_view
from app.services.runtime import Runtime

TABS = ("mine", "department", "done")
DEADLINE_FILTERS = ("warning", "overdue")
SORTS = ("deadline", "arrived")
MAX_PAGE_SIZE = 100
MAX_SEARCH = 64


@dataclass(frozen=True)
class InboxRequest:
    tab: str = "mine"
    search: str | None = None
    deadline: str | None = None
    sort: str = "deadline"
    page: int = 1
    page_size: int = 20


class DeadlineBadge(TypedDict):
    """Working days left on a case's clock and how urgent that is (see :func:`deadline_badge`)."""

    due_date: str
    working_days_left: int
    tone: str
    label: str
    provisional: bool
    suspended: bool


class InboxCase(TypedDict):
    """The case of an inbox row: enough to find it and to see how urgent it is."""

    id: int
    number: str
    item_name: str
    applicant_name: str
    status: str
    deadline_state: str
    deadline: DeadlineBadge | None


class InboxRow(TaskView):
    """A task in the inbox, with its item's name (a bundle's or project's item), its case, and the
    names (王审查, not usernames) of who holds it and who handed it over."""

    item_name: str | None
    claimed_by_name: str | None
    transferred_by_name: str | None
    case: InboxCase


@dataclass(frozen=True)
class InboxPage:
    tab: str
    items: list[InboxRow]
    total: int
    counts: dict[str, int]
    page: int
    page_size: int
    search: str | None = None
    deadline: str | None = None
    sort: str = "deadline"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _validate(request: InboxRequest) -> InboxRequest:
    if request.tab not in TABS:
        raise InvalidInput("invalid_tab", "待办分类应为 mine、department 或 done", field="tab")
    if request.deadline not in (None, "", *DEADLINE_FILTERS):
        raise InvalidInput("invalid_deadline_filter", "时限筛选应为 warning（预警）或 overdue（超期）",
                           field="deadline")
    if request.deadline and request.tab == "done":
        raise InvalidInput("deadline_filter_not_for_done", "预警、超期筛选只适用于待办，不适用于已办", field="deadline")
    if request.sort not in SORTS:
        raise InvalidInput("invalid_sort", "排序应为 deadline（按办理时限）或 arrived（按到达时间）", field="sort")
    if request.page < 1 or not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput("invalid_page", f"页码应从 1 开始，每页 1 至 {MAX_PAGE_SIZE} 条", field="page")
    search = (request.search or "").strip()[:MAX_SEARCH] or None
    if search is not None:
        search = case_number(search) or search  # a case number with or without its dash
    return InboxRequest(request.tab, search, request.deadline or None, request.sort,
                        request.page, request.page_size)


class DeadlineFields(Protocol):
    """What the badge reads of a case: a :class:`Case`, or what a row of the inbox reads of it."""

    @property
    def due_date(self) -> date | None: ...
    @property
    def completed_at(self) -> datetime | None: ...
    @property
    def clock_suspended_since(self) -> datetime | None: ...
    @property
    def deadline_state(self) -> str: ...
    @property
    def deadline_provisional(self) -> bool: ...


def deadline_badge(case: DeadlineFields, calendar: WorkingDayCalendar, now: datetime) -> DeadlineBadge | None:
    """Working days left on the case's clock and how urgent that is; None before acceptance.

    ``tone`` is ``overdue`` (red), ``warning`` (orange), ``suspended`` (grey: 已暂停计时),
    ``done`` (case finished: labelled 按期办结 or 超期 N 个工作日办结, never days left) or ``normal``. The case's ``deadline_state`` (moved by the
    deadline checks) decides warning and overdue; a deadline already past counts as overdue.
    """
    if case.due_date is None:
        return None
    today = local_date(case.completed_at or now)
    if today > case.due_date:
        left = -calendar.working_days_between(case.due_date, today)
    else:
        left = calendar.working_days_between(today, case.due_date)
    if case.completed_at is not None:
        tone = "done"
    elif case.clock_suspended_since is not None:
        tone = "suspended"
    elif case.deadline_state == "overdue" or left < 0:
        tone = "overdue"
    elif case.deadline_state == "warning":
        tone = "warning"
    else:
        tone = "normal"
    if tone == "done":  # a closed case has no days left: whether it finished in time
        label = "按期办结" if left >= 0 else f"超期 {-left} 个工作日办结"
    elif tone == "suspended":
        label = "已暂停计时"
    elif left < 0:
        label = f"超期 {-left} 个工作日"
    elif left == 0:
        label = "今日到期"
    else:
        label = f"剩 {left} 个工作日"
    return {"due_date": case.due_date.isoformat(), "working_days_left": left, "tone": tone,
            "label": label, "provisional": case.deadline_provisional,
            "suspended": case.clock_suspended_since is not None}


def inbox(session: Session, runtime: Runtime, actor: Actor, request: InboxRequest) -> InboxPage:
    request = _validate(request)

    def query(which: str, limit: int = 0, offset: int = 0) -> task_queries.InboxQuery:
        return task_queries.InboxQuery(username=actor.username, role=actor.role.value,
                                       department=actor.department, tab=which, search=request.search,
                                       deadline=request.deadline, sort=request.sort,
                                       limit=limit, offset=offset)

    offset = (request.page - 1) * request.page_size
    rows = task_queries.inbox_page(session, query(request.tab, request.page_size, offset))
    counts = task_queries.count_tabs(session, query(request.tab))
    now = runtime.clock.now()
    catalogue_items = runtime.catalogue.items
    items: list[InboxRow] = []
    people = {name for task, _ in rows for name in (task.claimed_by, task.transferred_by) if name}
    names = display_names(session, people)
    for task, case in rows:
        # one item of a bundle or project: its name from the catalogue, no query
        item = catalogue_items.get(task.item_code) if task.item_code else None
        items.append({**task_view(task), "item_name": item.name if item else task.item_code,
                      "claimed_by_name": names.get(task.claimed_by or "", task.claimed_by),
                      "transferred_by_name": names.get(task.transferred_by or "", task.transferred_by),
                      "case": {"id": case.id, "number": case.number, "item_name": case.item_name,
                               "applicant_name": case.applicant_name, "status": case.status,
                               "deadline_state": case.deadline_state,
                               "deadline": deadline_badge(case, runtime.calendar, now)}})
    return InboxPage(request.tab, items, counts[request.tab], counts, request.page, request.page_size,
                     request.search, request.deadline, request.sort)
