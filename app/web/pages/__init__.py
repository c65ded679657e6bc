"""Server-rendered pages, one module per group: sign-in, inbox, tasks, cases, case search, window desk, and
the public progress page. The templates need no build step; scripts only where they help."""
from __future__ import annotations

from app.web.pages import (  # noqa: F401  (routes)
    attachments,
    auth,
    cases,
    certificates,
    inbox,
    opinions,
    progress,
    search,
    tasks,
    window,
)
from app.web.pages.common import bp

__all__ = ["bp"]
