"""Signing in and out, and changing one's password. The session is rotated at login: nothing
of the anonymous one survives; logging out ends it on the server."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.domain.errors import OneSealError
from app.services.access.auth import authenticate, change_own_password
from app.services.access.web_sessions import close_session, open_session
from app.web.browser_session import current_actor, session_token, sign_in, sign_out
from app.web.pages.common import (
    actor_or_logout,
    bp,
    ext,
    login_required,
    safe_next,
    unit,
)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            with unit(write=True) as db_session:
                actor = authenticate(db_session, ext().runtime, request.form.get("username", ""),
                                     request.form.get("password", ""))
                token = open_session(db_session, ext().runtime, actor, replacing=session_token())
        except OneSealError as err:
            error = err.message
        else:
            target = safe_next(url_for("pages.inbox"))
            sign_in(token)
            return redirect(target)
    return render_template("login.html", error=error, username=request.form.get("username", ""),
                           next=request.values.get("next", "")), (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    actor, token = current_actor(), session_token()
    if actor is not None and token is not None:
        with unit(write=True) as db_session:
            close_session(db_session, ext().runtime, actor, token)
    sign_out()
    return redirect(url_for("pages.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """修改密码: every other session of the user ends and their API tokens are revoked; this
    browser goes on with a fresh session."""
    actor = actor_or_logout()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            with unit(write=True) as db_session:
                ended = change_own_password(db_session, ext().runtime, actor, form.get("current"),
                                            form.get("new"), form.get("confirm"))
                token = open_session(db_session, ext().runtime, actor)
        except OneSealError as err:
            errors[err.details.get("field") or "_form"] = err.message
        else:
            sign_in(token)
            others = ended - 1
            flash("密码已修改" + (f"，其他 {others} 处登录已退出" if others > 0 else ""))
            return redirect(url_for("pages.inbox"))
    return render_template("password.html", errors=errors), (400 if errors else 200)
