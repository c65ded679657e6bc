"""What every page shares: the blueprint, the session user, CSRF, units of work, filters.

Sessions are kept on the server (``app/web/browser_session.py``) and rotated at login; every
state-changing request carries a CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``); GET never changes state.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.domain.clock import BUREAU_ZONE
from app.domain.errors import OneSealError
from app.domain.roles import Role
from app.services.actor import Actor
from app.web.browser_session import current_actor
from app.web.edge import STATUS_BY_KIND, is_busy, record_incident

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/assets")

WEEKDAYS = "一二三四五六日"
#: Chinese labels of the task fields the shipped diagrams declare (others show their name).
FIELD_LABELS = {"certificate_no": "证照编号", "delivery": "送达方式", "commitment_signed": "已签署告知承诺书",
                "finding": "核查结论"}


def ext() -> Any:
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


@bp.app_template_filter("cn_date")
def cn_date(value: str | date | None) -> str:
    """``2026-03-16`` shown as ``2026年3月16日（周一）``."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


@bp.app_template_filter("item_names")
def item_names(codes: Any) -> list[str]:
    """Catalogue item codes shown as the items' names (a code the catalogue lost stays a code)."""
    items = ext().runtime.catalogue.items
    return [items[code].name if code in items else code for code in codes or ()]


@bp.app_template_filter("department_name")
def department_name(code: str | None) -> str:
    return ext().runtime.catalogue.department_name(code)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    actor = current_actor()
    if actor is None:
        return {"csrf_token": csrf_token, "current_user": None, "current_role": None,
                "current_role_code": None, "current_department": None}
    return {"csrf_token": csrf_token, "current_user": actor.display_name or actor.username,
            "current_role": actor.role.label, "current_role_code": actor.role.value,
            "current_department": ext().runtime.catalogue.department_name(actor.department)}


@bp.before_request
def _check_csrf() -> Any:
    """Every state-changing request to the pages needs the session's token."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        return render_template("error.html", status=400, message="页面已过期或来源不明，请刷新页面后重试"), 400
    return None


@bp.errorhandler(OperationalError)
def _database_trouble(err: OperationalError) -> Any:
    """A busy database (SQLite locked, a PostgreSQL deadlock) is a moment to retry, not a 500."""
    if not is_busy(err):
        raise err
    log.warning("database busy on %s %s: %s", request.method, request.path, err.orig)
    return render_template("error.html", status=503, message="系统繁忙，请稍后重试（未保存任何更改）"), 503


@contextmanager
def unit(write: bool) -> Iterator[Session]:
    """A database session for one page: commits when ``write``, otherwise just closes."""
    db_session = ext().db.session(write=write)
    try:
        yield db_session
        if write:
            db_session.commit()
        # a read unit just closes: close() ends the transaction without expiring loaded rows
    except OneSealError as err:
        db_session.rollback()
        if err.incident is not None:
            record_incident(ext().db, ext().runtime, err.incident)
        raise
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only for a signed-in user whose session still holds; otherwise to the login page (a form
    post gets 401)."""
    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        if current_actor() is None:
            if request.method != "GET":
                abort(401)
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)
    return wrapper


def actor_or_logout(_db_session: Session | None = None) -> Actor:
    """The signed-in user, as their server-side session found them at the start of the request
    (a deactivated user's sessions hold no more)."""
    actor = current_actor()
    if actor is None:
        abort(401)
    return actor


def require_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        abort(403)


def or_abort(load: Callable[[], Any]) -> Any:
    """Run a read; a domain error becomes the matching HTTP error page."""
    try:
        return load()
    except OneSealError as err:
        abort(STATUS_BY_KIND.get(err.kind, 400))


def wants_json() -> bool:
    """A page's own script asked (partial update) rather than a plain form post."""
    return request.accept_mimetypes.best == "application/json"


def safe_next(default: str) -> str:
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
