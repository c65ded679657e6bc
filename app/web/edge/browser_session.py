"""The browser's signed-in session, and the guards every browser request passes.

The signed cookie holds a random session token (besides the CSRF token and flash messages),
never who the user is: the server keeps that, and ends the session at logout, after idling, at
its age limit and on a password change (``app/services/access/web_sessions.py``).

Guards, for every state-changing request that a browser session may make (pages, the modeler's
calls, the auditors' pages; not the Bearer API): the session's CSRF token must come with it
(form field ``csrf_token`` or header ``X-CSRF-Token``), and a read-only role (auditors) is
refused whatever it targets, signing in and out, changing one's own password and the auditors'
own workshop (handlers marked ``@api(workspace=True)``: their scenario library and runs) aside.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from flask import Flask, current_app, g, request, session
from sqlalchemy.exc import OperationalError

from app.domain.errors import InvalidInput
from app.services.access.web_sessions import check_session, record_check
from app.services.actor import Actor

log = logging.getLogger(__name__)

SID = "sid"
#: endpoints that serve files: they need no user, and never cost a query
_FILE_ENDPOINTS = ("pages.bpmn_js_asset", "modeler.vendor")


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: endpoints a read-only role may still post to: they touch no case and no bureau data
SESSION_ENDPOINTS = ("pages.login", "pages.logout", "pages.change_password")


def init_app(app: Flask) -> None:
    app.before_request(_resolve_early)
    app.before_request(_guard)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _guard() -> None:
    """CSRF and read-only roles, once for every state-changing browser request."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return  # the Bearer API carries no cookie to forge; its own edge refuses read-only roles
    actor = current_actor()
    view = current_app.view_functions.get(request.endpoint or "")
    if actor is not None and request.endpoint not in SESSION_ENDPOINTS and not getattr(view, "workspace", False):
        actor.require_write()
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent and request.mimetype in FORM_TYPES:  # never reads another body (an uploaded diagram)
        sent = request.form.get(CSRF_FIELD) or ""
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise InvalidInput("csrf_invalid", "页面已过期或来源不明，请刷新页面后重试")


def _resolve_early() -> None:
    """Find the user before any handler opens its own unit of work, so that writing the session's
    last-seen time never waits on the handler's own write lock (SQLite)."""
    endpoint = request.endpoint or ""
    if SID in session and not endpoint.endswith(".static") and endpoint not in _FILE_ENDPOINTS \
            and not request.path.startswith("/api/v1/"):
        current_actor()


def current_actor() -> Actor | None:
    """The signed-in user of this request, or None; a session that no longer holds is dropped
    from the cookie."""
    if "oneseal_actor" in g:
        return g.oneseal_actor
    actor = None
    token = session.get(SID)
    if isinstance(token, str) and token:
        ext: Any = current_app.extensions["oneseal"]
        with ext.db.session(write=False) as db_session:
            check = check_session(db_session, ext.runtime, token)
        if check.ended is not None or check.seen_stale:
            try:
                with ext.db.unit_of_work() as db_session:
                    record_check(db_session, ext.runtime, token, check)
            except OperationalError as err:  # bookkeeping only: a busy database does not refuse the page
                log.warning("session bookkeeping skipped: %s", err.orig)
        actor = check.actor
    if actor is None and SID in session:
        session.pop(SID)  # the CSRF token stays: a form posted now is refused as signed out, not as forged
    g.oneseal_actor = actor
    return actor


def session_token() -> str | None:
    token = session.get(SID)
    return token if isinstance(token, str) else None


def sign_in(token: str) -> None:
    """Rotate: nothing of the earlier (anonymous) session survives; a fresh CSRF token."""
    session.clear()
    session[SID] = token
    session["csrf"] = secrets.token_urlsafe(32)
    g.pop("oneseal_actor", None)


def sign_out() -> None:
    session.clear()
    g.oneseal_actor = None
