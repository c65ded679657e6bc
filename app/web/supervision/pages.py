"""The supervision desk page (``/supervision``, 监管推送工作台): per department, the events pushed
and where they stand, the findings received and the 告知承诺 post-checks; failed deliveries with
a redeliver button for administrators. Supervision staff see their own department only."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.domain.errors import OneSealError
from app.domain.licences.supervision_push import DeliveryState, EventType, FindingState
from app.services.supervision_push import desk
from app.web.edge.pages import page
from app.web.edge.request_input import int_param
from app.web.edge.units import Call

bp = Blueprint("supervision_pages", __name__, template_folder="../templates")
MAX_QUERY_TEXT = 64


def _arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value[:MAX_QUERY_TEXT] or None


@bp.get("/supervision")
@page(roles=desk.DESK_ROLES)
def supervision(call: Call) -> Any:
    department, state = _arg("department"), _arg("state")
    error, status = None, 200
    try:
        figures = desk.figures(call.session, call.runtime, call.actor, department)
        events = desk.deliveries(call.session, call.runtime, call.actor, desk.EventQuery(
            department=department, state=state if state in {s.value for s in DeliveryState} else None,
            page=int_param("page", 1), page_size=20))
        found = desk.findings(call.session, call.runtime, call.actor, department=department, page=1, page_size=20)
    except OneSealError as err:
        if err.kind == "forbidden":
            raise
        error, status = err.message, 400
        figures, events, found = [], {"deliveries": [], "total": 0}, {"findings": [], "total": 0}
    return render_template(
        "supervision.html", figures=figures, events=events, findings=found, department=department, state=state,
        error=error, may_redeliver=call.actor.role.value == "admin", own_only=call.actor.role.value == "supervisor",
        delivery_states=[(s.value, s.label) for s in DeliveryState], finding_states=FindingState,
        event_labels={t.value: t.label for t in EventType}, section="supervision"), status


@bp.post("/supervision/deliveries/<int:delivery_id>/redeliver")
@page(roles=desk.DESK_ROLES)
def redeliver(call: Call, delivery_id: int) -> Any:
    try:
        with call.writing() as session:
            desk.redeliver(session, call.runtime, call.actor, delivery_id)
    except OneSealError as err:
        if err.kind == "forbidden":
            raise
        flash(err.message, "error")
    else:
        flash(f"推送记录 #{delivery_id} 已重新排队投递")
    return redirect(url_for("supervision_pages.supervision", state="failed"))
