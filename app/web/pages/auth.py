"""Signing in and out. The session is rotated at login: nothing of the anonymous one survives."""
from __future__ import annotations

import secrets
from typing import Any

from flask import redirect, render_template, request, session, url_for

from app.domain.errors import OneSealError
from app.services.access.auth import authenticate
from app.web.pages.common import bp, ext, safe_next, unit


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        try:
            with unit(write=True) as db_session:
                actor = authenticate(db_session, ext().runtime, request.form.get("username", ""),
                                     request.form.get("password", ""))
        except OneSealError as err:
            error = err.message
        else:
            target = safe_next(url_for("pages.inbox"))
            session.clear()  # rotate: nothing from the anonymous session survives
            session["username"] = actor.username
            session["display_name"] = actor.display_name or actor.username
            session["role"] = actor.role.value
            session["role_label"] = actor.role.label
            session["department_name"] = ext().runtime.catalogue.department_name(actor.department)
            session["csrf"] = secrets.token_urlsafe(32)
            return redirect(target)
    return render_template("login.html", error=error, username=request.form.get("username", ""),
                           next=request.values.get("next", "")), (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("pages.login"))
