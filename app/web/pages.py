"""Server-rendered pages: login, inbox, task, case, and registration at the window.

Sessions are cookie-based and rotated at login; every state-changing form carries a CSRF
token; GET never changes state. Errors are shown next to the form, in Chinese.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.clock import BUREAU_ZONE
from app.domain.errors import Conflict, OneSealError
from app.persistence import tasks as task_queries
from app.persistence.models import Case
from app.services import case_views
from app.services import inbox as inbox_service
from app.services.actor import Actor
from app.services.auth import actor_for_username, authenticate
from app.services.intake import Application, register_case
from app.services.processes import definition_for
from app.services.task_work import (
    Completion,
    can_act,
    claim_task,
    complete_task,
    release_task,
)
from app.web.edge import STATUS_BY_KIND

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


def _ext() -> Any:
    return current_app.extensions["oneseal"]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


@bp.app_template_filter("local_time")
def local_time(value: str | None, precision: int = 16) -> str:
    """An ISO timestamp (UTC) shown in Beijing time: ``2026-03-02 09:30``."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(BUREAU_ZONE)
    return moment.isoformat(sep=" ")[:precision]


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": session.get("display_name"),
            "current_role": session.get("role_label"), "current_department": session.get("department_name")}


@bp.before_request
def _check_csrf() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, description="csrf")


@contextmanager
def _unit(write: bool) -> Iterator[Session]:
    db_session = _ext().db.session(write=write)
    try:
        yield db_session
        if write:
            db_session.commit()
        # a read unit just closes: close() ends the transaction without expiring loaded rows
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


def _current_actor(db_session: Session) -> Actor | None:
    username = session.get("username")
    return actor_for_username(db_session, username) if username else None


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if not session.get("username"):
            return redirect(url_for("pages.login", next=request.path))
        return view(**kwargs)
    return wrapper


def _actor_or_logout(db_session: Session) -> Actor:
    actor = _current_actor(db_session)
    if actor is None:
        session.clear()
        abort(401)
    return actor


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            with _unit(write=True) as db_session:
                actor = authenticate(db_session, _ext().runtime, request.form.get("username", ""),
                                     request.form.get("password", ""))
        except OneSealError as err:
            error = err.message
        else:
            session.clear()  # rotate: nothing from the anonymous session survives
            session["username"] = actor.username
            session["display_name"] = actor.display_name or actor.username
            session["role_label"] = actor.role.label
            session["department_name"] = _ext().runtime.catalogue.department_name(actor.department)
            session["csrf"] = secrets.token_urlsafe(32)
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("pages.inbox"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/")
@login_required
def inbox() -> Any:
    tab = request.args.get("tab", "mine")
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    with _unit(write=False) as db_session:
        actor = _actor_or_logout(db_session)
        try:
            page = inbox_service.inbox(db_session, actor, tab=tab, search=request.args.get("q"),
                                       page=page_number)
        except OneSealError as err:
            abort(STATUS_BY_KIND.get(err.kind, 400))
    return render_template("inbox.html", page=page, actor=actor, q=request.args.get("q", ""))


def _or_abort(load: Callable[[], Any]) -> Any:
    """Run a read; a domain error becomes the matching HTTP error page."""
    try:
        return load()
    except OneSealError as err:
        abort(STATUS_BY_KIND.get(err.kind, 400))


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str) -> Any:
    with _unit(write=False) as db_session:
        actor = _actor_or_logout(db_session)
        task = _or_abort(lambda: task_queries.get_task(db_session, task_id))
        detail = _or_abort(lambda: case_views.case_detail(db_session, _ext().runtime, actor, task.case_id))
        spec = _task_spec(db_session, task)
    return render_template("task.html", task=task, case=detail, spec=spec, actor=actor,
                           may_act=can_act(actor, task) and task.status == task_queries.READY,
                           errors=session.pop("form_errors", {}), form=session.pop("form_values", {}))


def _task_spec(db_session: Session, task: Any) -> Any:
    case = db_session.get(Case, task.case_id)  # already in the session: no query
    return definition_for(db_session, _ext().runtime, case.process_version_id).human_tasks.get(task.element_id)


def _act(task_id: str, action: Callable[[Session, Actor], Any], done: str) -> Any:
    try:
        with _unit(write=True) as db_session:
            actor = _actor_or_logout(db_session)
            action(db_session, actor)
    except OneSealError as err:
        field = err.details.get("field") or "_form"
        session["form_errors"] = {field: err.message}
        session["form_values"] = {k: v for k, v in request.form.items() if k != "csrf_token"}
        if err.kind in ("not_found", "forbidden"):
            abort(STATUS_BY_KIND[err.kind])
        return redirect(url_for("pages.task_page", task_id=task_id))
    except StaleDataError:
        session["form_errors"] = {"_form": Conflict("stale", "办件已被他人同时更新，请刷新后重试").message}
        return redirect(url_for("pages.task_page", task_id=task_id))
    flash(done)
    return redirect(url_for("pages.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    return _act(task_id, lambda s, a: claim_task(s, _ext().runtime, a, task_id), "已签收")


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str) -> Any:
    return _act(task_id, lambda s, a: release_task(s, _ext().runtime, a, task_id), "已退回签收")


@bp.post("/tasks/<task_id>/complete")
@login_required
def complete(task_id: str) -> Any:
    form = request.form

    def action(db_session: Session, actor: Actor) -> Any:
        spec = _task_spec(db_session, task_queries.get_task(db_session, task_id))
        data = {f.name: f.from_form(form[f"field_{f.name}"]) for f in (spec.fields if spec else ())
                if form.get(f"field_{f.name}", "") != ""}
        completion = Completion(decision=form.get("decision") or None, opinion=form.get("opinion"),
                                data=data, expected_version=_int_or_none(form.get("version")))
        return complete_task(db_session, _ext().runtime, actor, task_id, completion)

    return _act(task_id, action, "已办理完成")


def _int_or_none(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    with _unit(write=False) as db_session:
        actor = _actor_or_logout(db_session)
        detail = _or_abort(lambda: case_views.case_detail(db_session, _ext().runtime, actor, case_id))
    return render_template("case.html", case=detail)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def register() -> Any:
    runtime = _ext().runtime
    items = sorted(runtime.catalogue.items.values(), key=lambda i: i.code)
    chosen = runtime.catalogue.items.get(request.values.get("item_code", ""))
    errors: dict[str, str] = {}
    if request.method == "POST" and chosen is not None:
        try:
            with _unit(write=True) as db_session:
                actor = _actor_or_logout(db_session)
                case = register_case(db_session, runtime, actor, Application(
                    item_code=chosen.code,
                    applicant={k: v for k, v in {"name": request.form.get("applicant_name", ""),
                                                 "contact": request.form.get("applicant_contact", "")}.items()
                               if v or k == "name"},
                    materials=request.form.getlist("materials")))
                case_id = case.id
        except OneSealError as err:
            if err.kind == "forbidden":
                abort(403)
            errors[err.details.get("field") or "_form"] = err.message
        else:
            flash("办件已登记")
            return redirect(url_for("pages.case_page", case_id=case_id))
    status = 400 if errors else 200
    return render_template("register.html", items=items, chosen=chosen, errors=errors,
                           form=request.form), status
