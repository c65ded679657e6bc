"""``@page``: the edge of the server-rendered pages (pages, the modeler's pages, the auditors').

A page handler is ``(call, **url_args) -> response``. Around it: the signed-in user (otherwise
to the login page, or 401 for a form post), the roles the page is for, a read unit for what it
shows; a form that changes something runs its service in ``call.writing()``, its own unit of
work. A domain error becomes the Chinese error page with its status (``app/web/edge/errors.py``),
unless the handler shows it next to the form.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, request, url_for

from app.domain.errors import Forbidden
from app.domain.roles import Role
from app.web.edge.browser_session import current_actor, signed_out_post
from app.web.edge.units import Call, ext, unit


def page(*, roles: tuple[Role, ...] | None = None, signed_in: bool = True) -> Callable[..., Callable[..., Any]]:
    """Decorate a page handler ``(call, **url_args)``; ``signed_in=False`` for public pages (the
    call's actor is then whoever is signed in, or None)."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None and signed_in:
                if request.method != "GET":
                    return signed_out_post()
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            if roles is not None and (actor is None or actor.role not in roles):
                raise Forbidden("page_not_for_role", "您的角色无权使用此页面")
            with unit(write=False) as session:
                return view(Call(session, ext().runtime, actor), **kwargs)  # type: ignore[arg-type]
        wrapper.public = not signed_in  # type: ignore[attr-defined]  # its forms need no sign-in
        return wrapper
    return decorator


def wants_json() -> bool:
    """A page's own script asked (partial update) rather than a plain form post."""
    return request.accept_mimetypes.best == "application/json"


def safe_next(default: str) -> str:
    """The ``next`` the form names, if it stays on this site; else ``default``."""
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default
