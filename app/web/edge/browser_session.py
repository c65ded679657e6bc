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

from urllib.parse import urlsplit

from flask import Flask, Request, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Response
from sqlalchemy.exc import OperationalError

from app.domain.errors import InvalidInput
from app.services.access.web_sessions import check_session, record_check
from app.services.actor import Actor
from app.web.edge.responses import json_response

log = logging.getLogger(__name__)

SID = "sid"
#: endpoints that serve files: they need no user, and never cost a query
_FILE_ENDPOINTS = ("pages.bpmn_js_asset", "modeler.vendor")


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
#: endpoints a read-only role may still post to: they touch no case and no bureau data
SESSION_ENDPOINTS = ("pages.login", "pages.logout", "pages.change_password")
#: where a signed-out form post says it came from (a hidden field every form page may carry)
FORM_PAGE_FIELD = "form_page"


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened without building its signer when the request
    carries no session cookie (every call of the Bearer API, and every first visit): the empty
    session is all such a request can have, and the signer's set-up cost a tenth of a
    millisecond on each of them. A request with the cookie is read exactly as Flask reads it."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        cookies = request.environ.get("HTTP_COOKIE")
        name = self.get_cookie_name(app)
        if app.secret_key and (not cookies or name not in cookies or not request.cookies.get(name)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
    app.before_request(_resolve_early)
    app.before_request(_guard)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _guard() -> Response | None:
    """CSRF and read-only roles, once for every state-changing browser request; a post whose
    session has run out goes to the login page instead (nothing is changed)."""
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return None  # the Bearer API carries no cookie to forge; its own edge refuses read-only roles
    actor = current_actor()
    view = current_app.view_functions.get(request.endpoint or "")
    if actor is None and view is not None and not getattr(view, "public", False):
        return signed_out_post()  # nothing is done: sign in again and come back to the form
    if actor is not None and request.endpoint not in SESSION_ENDPOINTS and not getattr(view, "workspace", False):
        actor.require_write()
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent and request.mimetype in FORM_TYPES:  # never reads another body (an uploaded diagram)
        sent = request.form.get(CSRF_FIELD) or ""
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise InvalidInput("csrf_invalid", "页面已过期或来源不明，请刷新页面后重试")
    return None


def _form_page() -> str:
    """The page the form was on (its hidden ``form_page``, else the Referer on this site)."""
    for candidate in (request.form.get(FORM_PAGE_FIELD, "") if request.mimetype in FORM_TYPES else "",
                      request.referrer or ""):
        parts = urlsplit(candidate)
        if parts.netloc and parts.netloc != request.host:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not path.startswith("//") and not path.startswith("/login"):
            return path
    return url_for("pages.inbox")


def signed_out_post() -> Response:
    """A form posted after the session ran out (idle, too old, signed out elsewhere): nothing is
    done; the user signs in again and comes back to the form, where the page's script puts back
    what they typed (``static/drafts.js``). A script's call gets 401 JSON to say the same."""
    message = "登录已过期，请重新登录；登录后将回到原页面，已填写的内容会自动恢复"
    if request.mimetype not in FORM_TYPES or request.headers.get(CSRF_HEADER):
        return json_response({"code": "session_expired", "message": message, "details": {}}, 401)
    back = _form_page()
    flash(message, "error")
    separator = "&" if "?" in back else "?"
    return redirect(url_for("pages.login", next=f"{back}{separator}draft=restore"), code=303)


def _resolve_early() -> None:
    """Find the user before any handler opens its own unit of work, so that writing the session's
    last-seen time never waits on the handler's own write lock (SQLite)."""
    if request.path.startswith("/api/v1/"):
        return  # the Bearer API: no cookie session to look at (nor to open)
    endpoint = request.endpoint or ""
    if SID in session and not endpoint.endswith(".static") and endpoint not in _FILE_ENDPOINTS:
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
