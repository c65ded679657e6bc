"""The inbox: reads the projection only, never workflow state."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput
from app.persistence import tasks as task_queries
from app.services.actor import Actor
from app.services.case_views import task_view

TABS = ("mine", "department", "done")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxPage:
    tab: str
    items: list[dict[str, Any]]
    total: int
    counts: dict[str, int]
    page: int
    page_size: int


def inbox(session: Session, actor: Actor, *, tab: str = "mine", search: str | None = None,
          page: int = 1, page_size: int = 20) -> InboxPage:
    if tab not in TABS:
        raise InvalidInput("invalid_tab", "待办分类应为 mine、department 或 done", field="tab")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput("invalid_page", f"页码应从 1 开始，每页 1 至 {MAX_PAGE_SIZE} 条", field="page")
    search = (search or "").strip()[:64] or None

    def query(which: str, limit: int, offset: int) -> task_queries.InboxQuery:
        return task_queries.InboxQuery(username=actor.username, role=actor.role.value,
                                       department=actor.department, tab=which, search=search,
                                       limit=limit, offset=offset)

    rows = task_queries.inbox_page(session, query(tab, page_size, (page - 1) * page_size))
    counts = {which: task_queries.count_inbox(session, query(which, 0, 0)) for which in TABS}
    total = counts[tab]
    items = []
    for task, case in rows:
        view = task_view(task)
        view["case"] = {"id": case.id, "number": case.number, "item_name": case.item_name,
                        "applicant_name": case.applicant_name, "status": case.status}
        items.append(view)
    return InboxPage(tab, items, total, counts, page, page_size)
