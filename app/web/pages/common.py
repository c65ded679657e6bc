"""What every page shares: the blueprint, the template filters, and who is signed in.

The edge around each page (signed-in user, roles, units of work, CSRF, the error page) is
``app/web/edge``: pages use ``@page`` and ``call.writing()``.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint

from app.domain.timing.clock import BUREAU_ZONE
from app.domain.cases.field_labels import FIELD_LABELS
from app.web.edge.browser_session import csrf_token, current_actor
from app.web.edge.units import ext

bp = Blueprint("pages", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/assets")

WEEKDAYS = "一二三四五六日"
#: Chinese labels of the task fields the shipped diagrams declare (others show their name).


@bp.app_template_filter("local_time")
def local_time(value: str | None, precision: int = 16) -> str:
    """An ISO timestamp (UTC) shown in Beijing time: ``2026-03-02 09:30``."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value).astimezone(BUREAU_ZONE)
    return moment.isoformat(sep=" ")[:precision]


@bp.app_template_filter("cn_date")
def cn_date(value: str | date | None) -> str:
    """``2026-03-16`` shown as ``2026年3月16日（周一）``."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


@bp.app_template_filter("item_names")
def item_names(codes: Any) -> list[str]:
    """Catalogue item codes shown as the items' names (a code the catalogue lost stays a code)."""
    items = ext().runtime.catalogue.items
    return [items[code].name if code in items else code for code in codes or ()]


@bp.app_template_filter("department_name")
def department_name(code: str | None) -> str:
    return ext().runtime.catalogue.department_name(code)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    actor = current_actor()
    if actor is None:
        return {"csrf_token": csrf_token, "current_user": None, "current_role": None,
                "current_role_code": None, "current_department": None}
    return {"csrf_token": csrf_token, "current_user": actor.display_name or actor.username,
            "current_role": actor.role.label, "current_role_code": actor.role.value,
            "current_department": ext().runtime.catalogue.department_name(actor.department),
            # the page's script warns before the session idles out (static/drafts.js)
            "session_idle_seconds": ext().runtime.settings.session_idle_minutes * 60}
