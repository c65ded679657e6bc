"""The task page and what a reviewer does there: claim, release, transfer, complete (including
return for supplement with its one-time notice). Errors come back next to the field, in Chinese."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import Conflict, OneSealError
from app.domain.kinds import TaskStatus
from app.domain.roles import Role
from app.persistence import tasks as task_queries
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.casework.claims import can_act, claim_task, release_task
from app.services.casework.completion import Completion, complete_task
from app.services.casework.supplement import RETURN_DECISION
from app.services.casework.transfer import transfer_candidates, transfer_task
from app.services.processes.deployed import definition_for
from app.services.reading import case_pages, case_sections, case_views
from app.web.edge import STATUS_BY_KIND, error_body, json_response
from app.web.pages.common import (
    FIELD_LABELS,
    actor_or_logout,
    bp,
    ext,
    login_required,
    or_abort,
    safe_next,
    unit,
    wants_json,
)


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str) -> Any:
    return _render_task(task_id)


def _render_task(task_id: str, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
                 status: int = 200) -> Any:
    """The task page; after a refused action, with the error next to its field and what was entered."""
    runtime = ext().runtime
    with unit(write=False) as db_session:
        actor = actor_or_logout(db_session)
        task = or_abort(lambda: task_queries.get_task(db_session, task_id))
        view = or_abort(lambda: case_pages.case_page_view(db_session, runtime, actor, task.case_id))
        spec = _spec(db_session, task)
        candidates = transfer_candidates(db_session, actor, task)
    stage = spec.stage if spec else None
    focus, others = case_sections.task_sections(view["case"], task, stage)
    return render_template(
        "task.html", **view, task=task, spec=spec, actor=actor, field_labels=FIELD_LABELS,
        focus=focus, others=others, brief=case_sections.task_brief(view["case"], task, stage, runtime.catalogue),
        at_window=actor.role in (Role.WINDOW, Role.ADMIN),
        may_act=can_act(actor, task) and task.status == TaskStatus.READY,
        candidates=candidates, return_decision=RETURN_DECISION, errors=errors or {}, form=form or {}), status


_NOTICE_ENTRY = re.compile(r"^notice\[(\d+)\]")


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
    return {field: err.message}, values


def _act(task_id: str, action: Callable[[Session, Actor], Any], done: str, *,
         then: str | None = None) -> Any:
    """Run one action in a write unit; answer JSON to the page's script. Otherwise redirect on
    success, to ``then`` (or the ``next`` the form names, else the task page); on a refusal show
    the task page again with the error, the status saying why (400, 409…)."""
    try:
        with unit(write=True) as db_session:
            actor = actor_or_logout(db_session)
            task = action(db_session, actor)
            view = case_views.task_view(task) if task is not None else None
    except StaleDataError:
        err: OneSealError = Conflict("case_version_stale", "办件已被他人同时更新，请刷新后重试")
    except OneSealError as caught:
        err = caught
    else:
        if wants_json():
            return json_response({"message": done, "task": view})
        flash(done)
        return redirect(safe_next(then or url_for("pages.task_page", task_id=task_id)))
    status = STATUS_BY_KIND.get(err.kind, 400)
    if wants_json():
        return json_response(error_body(err), status)
    if err.kind in ("not_found", "forbidden"):
        abort(status)
    errors, values = _refused(err)
    return _render_task(task_id, errors, values, status)


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    return _act(task_id, lambda s, a: claim_task(s, ext().runtime, a, task_id), "已签收")


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str) -> Any:
    return _act(task_id, lambda s, a: release_task(s, ext().runtime, a, task_id), "已退回签收，任务回到部门待办")


@bp.post("/tasks/<task_id>/transfer")
@login_required
def transfer(task_id: str) -> Any:
    form = request.form
    return _act(task_id, lambda s, a: transfer_task(s, ext().runtime, a, task_id, form.get("to"),
                                                    form.get("reason")), "已转办")


def _ticked(form: Any) -> list[str]:
    return list(dict.fromkeys(code for code in form.getlist("notice_material") if code))


#: what the completion form sends besides the step's declared fields (``field_<name>``)
FORM_ENVELOPE = frozenset({"csrf_token", "version", "decision", "opinion", "next", "notice_material",
                           "supplement_material"})


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
                      expected_version=_int_or_none(form.get("version")), notice=notice, materials=materials)


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id: str) -> Any:
    def action(db_session: Session, actor: Actor) -> Any:
        spec = _spec(db_session, task_queries.get_task(db_session, task_id))
        return complete_task(db_session, ext().runtime, actor, task_id, completion_from_form(request.form, spec))

    return _act(task_id, action, "已办理完成", then=url_for("pages.inbox"))


def _spec(db_session: Session, task: Any) -> Any:
    """What the diagram declares for the task's step (decisions, fields), or None."""
    case = db_session.get(Case, task.case_id)  # usually already in the session: no query
    if case is None:
        return None
    return definition_for(db_session, ext().runtime, case.process_version_id).human_tasks.get(task.element_id)


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
