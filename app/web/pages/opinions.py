"""常用意见 from the task page: keep the opinion one has written for the step, or forget one.
The page's script calls these and gets JSON; without scripts the form posts and the page reloads."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from app.domain.errors import OneSealError
from app.services.casework import common_opinions
from app.web.edge.pages import page, safe_next, wants_json
from app.web.edge.responses import error_body, json_response, status_of
from app.web.edge.units import Call
from app.web.pages.common import bp


def _answer(call: Call, work: Any, done: str) -> Any:
    try:
        with call.writing() as session:
            result = work(session)
    except OneSealError as err:
        if wants_json():
            return json_response(error_body(err), status_of(err))
        if err.kind in ("forbidden",):
            raise
        flash(err.message, "error")
        return redirect(safe_next(url_for("pages.inbox")))
    if wants_json():
        return json_response({"message": done, "opinion": result})
    flash(done)
    return redirect(safe_next(url_for("pages.inbox")))


@bp.post("/opinions")
@page()
def keep_opinion(call: Call) -> Any:
    form = request.form
    return _answer(call, lambda session: common_opinions.keep(session, call.runtime, call.actor,
                                                              form.get("step"), form.get("text")),
                   "已保存为常用意见")


@bp.post("/opinions/<int:opinion_id>/delete")
@page()
def forget_opinion(call: Call, opinion_id: int) -> Any:
    return _answer(call, lambda session: common_opinions.forget(session, call.actor, opinion_id), "已删除该常用意见")
