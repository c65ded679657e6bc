"""Signing in and out, and changing one's password. The session is rotated at login: nothing
of the anonymous one survives; logging out ends it on the server."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.domain.errors import OneSealError
from app.services.access.auth import authenticate, change_own_password
from app.services.access.web_sessions import close_session, open_session
from app.web.edge.browser_session import session_token, sign_in, sign_out
from app.web.edge.pages import page, safe_next
from app.web.edge.units import Call
from app.web.pages.common import bp


@bp.route("/login", methods=["GET", "POST"])
@page(signed_in=False)
def login(call: Call) -> Any:
    error = None
    if request.method == "POST":
        try:
            with call.writing() as session:
                actor = authenticate(session, call.runtime, request.form.get("username", ""),
                                     request.form.get("password", ""))
                token = open_session(session, call.runtime, actor, replacing=session_token())
        except OneSealError as err:
            error = err.message
        else:
            target = safe_next(url_for("pages.inbox"))
            sign_in(token)
            return redirect(target)
    return render_template("login.html", error=error, username=request.form.get("username", ""),
                           next=request.values.get("next", "")), (401 if error else 200)


@bp.post("/account/keep-alive")
@page()
def keep_alive(call: Call) -> Any:
    """“保持登录”: the page's script asks before the session idles out; being signed in (checked by
    ``@page``, which marks the session seen) is all it takes."""
    return "", 204


@bp.post("/logout")
@page(signed_in=False)
def logout(call: Call) -> Any:
    token = session_token()
    if call.actor is not None and token is not None:
        with call.writing() as session:
            close_session(session, call.runtime, call.actor, token)
    sign_out()
    return redirect(url_for("pages.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@page()
def change_password(call: Call) -> Any:
    """修改密码: every other session of the user ends and their API tokens are revoked; this
    browser goes on with a fresh session."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            with call.writing() as session:
                ended = change_own_password(session, call.runtime, call.actor, form.get("current"),
                                            form.get("new"), form.get("confirm"))
                token = open_session(session, call.runtime, call.actor)
        except OneSealError as err:
            errors[err.details.get("field") or "_form"] = err.message
        else:
            sign_in(token)
            others = ended - 1
            flash("密码已修改" + (f"，其他 {others} 处登录已退出" if others > 0 else ""))
            return redirect(url_for("pages.inbox"))
    return render_template("password.html", errors=errors), (400 if errors else 200)
