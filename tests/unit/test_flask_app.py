"""The service's Flask class asks once per function whether it is a coroutine function."""
from __future__ import annotations

import asyncio

from app.web.edge import flask_app
from app.web.edge.flask_app import ServiceFlask


def test_a_plain_function_is_asked_about_once_and_a_coroutine_function_still_goes_to_async_to_sync(monkeypatch):
    app = ServiceFlask(__name__)
    asked: list[object] = []
    monkeypatch.setattr(flask_app, "iscoroutinefunction", lambda func: asked.append(func) or asyncio.iscoroutinefunction(func))

    def plain() -> str:
        return "办结"

    async def later() -> str:
        return "异步"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    assert asked == [plain]
    handed: list[object] = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: handed.append(func) or "同步包装")
    assert app.ensure_sync(later) == "同步包装" and app.ensure_sync(later) == "同步包装"
    assert handed == [later, later]  # never remembered as plain


def test_the_functions_remembered_are_bounded(monkeypatch):
    app = ServiceFlask(__name__)
    monkeypatch.setattr(flask_app, "PLAIN_KEPT", 3)
    for _ in range(10):
        app.ensure_sync(lambda: None)  # a new function each time, as a per-request closure is
    assert len(app._plain) == 3
