"""pyHanko's synchronous calls run their own asyncio loop (``asyncio.run``), which Python
refuses inside a thread whose loop is already running (an async host, Playwright's sync
API in the tests). Such calls are then made on a helper thread of their own."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_helper = ThreadPoolExecutor(max_workers=2, thread_name_prefix="oneseal-pdf")


def outside_running_loop(call: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    return _helper.submit(call).result()
