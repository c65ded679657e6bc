"""The task page and what a reviewer does there: claim, release, transfer, complete (including
return for supplement with its one-time notice). Errors come back next to the field, in Chinese."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, OneSealError
from app.domain.roles import Role
from app.services.actor import Actor
from app.services.casework.claims import claim_task, release_task
from app.services.casework.completion import Completion, complete_task
from app.services.casework.supplement import RETURN_DECISION
from app.services.casework.transfer import transfer_task
from app.services.reading import case_views
from app.services.reading.task_page import spec_of_task, task_page_view, where_next
from app.web.edge.browser_session import FORM_PAGE_FIELD
from app.web.edge.pages import page, safe_next, wants_json
from app.web.edge.responses import error_body, json_response, status_of
from app.web.edge.request_input import whole_number
from app.web.edge.units import Call
from app.web.pages.common import FIELD_LABELS, bp


@bp.get("/tasks/<task_id>")
@page()
def task_page(call: Call, task_id: str) -> Any:
    return _render_task(call, task_id)


def _render_task(call: Call, task_id: str, errors: dict[str, str] | None = None,
                 form: dict[str, Any] | None = None, status: int = 200) -> Any:
    """The task page; after a refused action, with the error next to its field and what was entered."""
    view = task_page_view(call.session, call.runtime, call.actor, task_id)
    return render_template(
        "task.html", **view, actor=call.actor, field_labels=FIELD_LABELS,
        at_window=call.actor.role in (Role.WINDOW, Role.ADMIN), return_decision=RETURN_DECISION,
        errors=errors or {}, form=form or {}), status


_NOTICE_ENTRY = re.compile(r"^notice\[(\d+)\]")
#: the largest case version a form can name (the column's 64-bit integer)
MAX_VERSION = 2**63 - 1


def _refused(err: OneSealError) -> tuple[dict[str, str], dict[str, Any]]:
    """The error keyed by the field it belongs to, and what was entered."""
    field = err.details.get("field") or "_form"
    if err.code == "unknown_field":  # no place on the page: said above the form
        field = "_form"
    entry = _NOTICE_ENTRY.match(field)
    ticked = _ticked(request.form)
    if entry and int(entry.group(1)) < len(ticked):  # the n-th notice entry is the n-th ticked material
        field = f"notice.{ticked[int(entry.group(1))]}"
    values: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
    values["notice_material"] = ticked
    values["supplement_material"] = request.form.getlist("supplement_material")
    named = err.details.get("fields")
    if isinstance(named, dict) and len(named) > 1:  # every problem of the form, each at its field
        return {"_form": f"有 {len(named)} 处需要修改：{err.message}", **named}, values
    return {field: err.message}, values


def _act(call: Call, task_id: str, action: Callable[[Session, Actor], Any], done: str | list[str], *,
         then: str | None = None) -> Any:
    """Run one action in a write unit; answer JSON to the page's script. Otherwise redirect on
    success, to ``then`` (or the ``next`` the form names, else the task page); on a refusal show
    the task page again with the error, the status saying why (400, 409…)."""
    try:
        with call.writing() as session:
            task = action(session, call.actor)
            view = case_views.task_view(task) if task is not None else None
    except OneSealError as err:
        status = status_of(err)
        if wants_json():
            return json_response(error_body(err), status)
        if err.kind in ("not_found", "forbidden", "unavailable"):
            raise
        errors, values = _refused(err)
        return _render_task(call, task_id, errors, values, status)
    said = done if isinstance(done, str) else "，".join(done)  # a list: filled in by the action
    if wants_json():
        return json_response({"message": said, "task": view})
    flash(said)
    return redirect(safe_next(then or url_for("pages.task_page", task_id=task_id)))


@bp.post("/tasks/<task_id>/claim")
@page()
def claim(call: Call, task_id: str) -> Any:
    return _act(call, task_id, lambda s, a: claim_task(s, call.runtime, a, task_id), "已签收")


@bp.post("/tasks/<task_id>/release")
@page()
def release(call: Call, task_id: str) -> Any:
    return _act(call, task_id, lambda s, a: release_task(s, call.runtime, a, task_id),
                "已退回签收，任务回到部门待办")


@bp.post("/tasks/<task_id>/transfer")
@page()
def transfer(call: Call, task_id: str) -> Any:
    form = request.form
    return _act(call, task_id, lambda s, a: transfer_task(s, call.runtime, a, task_id, form.get("to"),
                                                          form.get("reason")), "已转办")


def _ticked(form: Any) -> list[str]:
    return list(dict.fromkeys(code for code in form.getlist("notice_material") if code))


#: what the completion form sends besides the step's declared fields (``field_<name>``)
FORM_ENVELOPE = frozenset({"csrf_token", "version", "decision", "opinion", "next", "notice_material",
                           "supplement_material", FORM_PAGE_FIELD})


def _undeclared(form: Any, spec: Any) -> dict[str, Any]:
    """Whatever the form carries that neither the page nor the step declares, by field name."""
    declared = {f"field_{f.name}" for f in (spec.fields if spec else ())}
    return {key.removeprefix("field_"): form[key] for key in form
            if key not in FORM_ENVELOPE and key not in declared and not key.startswith("notice_reason_")}


def completion_from_form(form: Any, spec: Any) -> Completion:
    """The form as a completion: decision, opinion, the step's fields; for 退回补正 the one-time
    notice (each ticked material with its reason), for 补正材料 the materials brought back.
    A field the step does not declare is passed on too, so that the service refuses it by name
    (RELIABILITY.md 14) rather than the page dropping it. The service validates all of it and
    names the field that is wrong."""
    data = _undeclared(form, spec)
    data.update({f.name: f.from_form(form[f"field_{f.name}"]) for f in (spec.fields if spec else ())
                 if form.get(f"field_{f.name}", "") != ""})
    decision = form.get("decision") or None
    notice = [{"material": code, "reason": (form.get(f"notice_reason_{code}") or "").strip()}
              for code in _ticked(form)] if decision == RETURN_DECISION else None
    materials = form.getlist("supplement_material") if spec and spec.suspends_clock == "supplement" else None
    return Completion(decision=decision, opinion=form.get("opinion"), data=data,
                      expected_version=_form_version(form.get("version")), notice=notice, materials=materials)


@bp.post("/tasks/<task_id>/complete")
@page()
def complete(call: Call, task_id: str) -> Any:
    said = ["已办理完成"]

    def action(session: Session, actor: Actor) -> Any:
        spec = spec_of_task(session, call.runtime, task_id)
        task = complete_task(session, call.runtime, actor, task_id, completion_from_form(request.form, spec))
        said.append(where_next(session, call.runtime, task.case_id))  # where the case went next
        return task

    return _act(call, task_id, action, said, then=url_for("pages.inbox"))


def _form_version(raw: str | None) -> int | None:
    """The case version the form was filled in against (its hidden field); absent or empty: no
    check. Anything else but a whole number is refused, never read as absent: that would complete
    the step without the lost-update check (the API refuses the same values)."""
    if raw is None or not raw.strip():
        return None
    version = whole_number(raw, MAX_VERSION)
    if version is None:
        raise InvalidInput("invalid_version", "办件版本号应为整数，请刷新页面后重新提交")  # hidden: said above the form
    return version
