"""The Flask application class of the service.

Flask asks, for every before-request, after-request and teardown function and every view of
every request, whether it is a coroutine function (``ensure_sync``, seven questions a request,
each answered by :mod:`inspect` in Python). The service's functions are all plain ``def``:
the answer is kept per function (for the first few thousand functions asked about: a function
made anew for each request, such as an ``after_this_request`` closure, would otherwise be kept
for ever), and a coroutine function is still handed to Flask's own ``async_to_sync``, as Flask
does.
"""
from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


#: how many plain functions are remembered
PLAIN_KEPT = 4096


class ServiceFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: set[Callable[..., Any]] = set()  # asked about and found plain

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if func in self._plain:
            return func
        if iscoroutinefunction(func):
            return self.async_to_sync(func)
        if len(self._plain) < PLAIN_KEPT:
            self._plain.add(func)
        return func
