"""The reviewers' inbox: tabs with counts, 预警/超期 filters, search, sort and pages."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from app.domain.errors import OneSealError
from app.services.reading import inbox as inbox_service
from app.web.edge import STATUS_BY_KIND
from app.web.pages.common import actor_or_logout, bp, ext, login_required, unit
from app.web.request_input import int_param

TAB_LABELS = {"mine": "我的待办", "department": "部门待办", "done": "已办"}
DEADLINE_LABELS = {"": "全部", "warning": "预警", "overdue": "超期"}
SORT_LABELS = {"deadline": "按办理时限", "arrived": "按到达时间"}


@bp.get("/")
@login_required
def inbox() -> Any:
    args = request.args
    wanted = inbox_service.InboxRequest(
        tab=args.get("tab", "mine"), search=args.get("q"), deadline=args.get("deadline") or None,
        sort=args.get("sort", "deadline"), page=int_param("page", 1))  # the edge has refused a bad one
    with unit(write=False) as db_session:
        actor = actor_or_logout(db_session)
        try:
            page = inbox_service.inbox(db_session, ext().runtime, actor, wanted)
        except OneSealError as err:
            abort(STATUS_BY_KIND.get(err.kind, 400))
    return render_template("inbox.html", page=page, actor=actor, tab_labels=TAB_LABELS,
                           deadline_labels=DEADLINE_LABELS, sort_labels=SORT_LABELS)
