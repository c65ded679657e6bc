"""The on-site inspection form as tests fill it: besides the finding, the day of the visit (the
case's registration day, never in the future) and the second inspector (核查须两人: the
department's other inspector, ``inspector2_<department>``)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.timing.clock import BUREAU_ZONE

#: the steps done on site, whose form asks for the day and the second inspector
ON_SITE = frozenset({"独立现场核查", "受托核查并反馈", "联合现场核查", "整改后复查"})


def registered_day(case: dict[str, Any]) -> str:
    return datetime.fromisoformat(case["created_at"]).astimezone(BUREAU_ZONE).date().isoformat()


def second_of(user: str) -> str:
    """``inspector_health`` → ``inspector2_health`` and back: the colleague who went along."""
    if user.startswith("inspector2_"):
        return user.replace("inspector2_", "inspector_", 1)
    return user.replace("inspector_", "inspector2_", 1)


def on_site(case: dict[str, Any], task: dict[str, Any], user: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the day and the second inspector when ``task`` is done on site and they are missing."""
    if task.get("name") not in ON_SITE or "finding" not in data:
        return data
    return {"inspected_on": registered_day(case), "second_inspector": second_of(user), **data}


def inspection_body(case: dict[str, Any], task: dict[str, Any], user: str, finding: str,
                    opinion: str = "现场与材料一致") -> dict[str, Any]:
    return {"opinion": opinion, "data": on_site(case, task, user, {"finding": finding})}
