"""The reviewers' inbox: tabs with counts, 预警/超期 filters, search, sort and pages."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import redirect, render_template, request, url_for

from app.domain.roles import Role
from app.services.reading import inbox as inbox_service
from app.web.edge.pages import page
from app.web.edge.request_input import int_param
from app.web.edge.units import Call
from app.web.pages.common import bp

TAB_LABELS = {"mine": "我的待办", "department": "部门待办", "done": "已办"}
DEADLINE_LABELS = {"": "全部", "warning": "预警", "overdue": "超期"}
SORT_LABELS = {"deadline": "按办理时限", "arrived": "按到达时间"}


@bp.get("/")
@page()
def inbox(call: Call) -> Any:
    if call.actor.role is Role.SUPERVISOR:  # no steps at the bureau: their desk is the push's
        return redirect(url_for("supervision_pages.supervision"))
    args = request.args
    wanted = inbox_service.InboxRequest(
        tab=args.get("tab", "mine"), search=args.get("q"), deadline=args.get("deadline") or None,
        sort=args.get("sort", "deadline"), page=int_param("page", 1))  # the edge has refused a bad one
    found = inbox_service.inbox(call.session, call.runtime, call.actor, wanted)
    if "tab" not in args and found.tab == "mine" and not found.total and found.counts["department"]:
        # nothing of one's own yet, work waiting in the department: land where the work is
        found = inbox_service.inbox(call.session, call.runtime, call.actor, replace(wanted, tab="department"))
    return render_template("inbox.html", page=found, actor=call.actor, tab_labels=TAB_LABELS,
                           deadline_labels=DEADLINE_LABELS, sort_labels=SORT_LABELS)
