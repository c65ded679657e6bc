"""What figures were asked for (period, department, item, reviewer) and who may see them.

Leaders (分管领导), efficiency supervisors (效能监察), auditors and administrators see the whole
bureau; reviewers and inspectors see their own department only (asked for no department, they
get theirs; another department is refused). Dates are Beijing days, both ends included.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.bureau.catalogue import Catalogue
from app.domain.timing.clock import local_date
from app.domain.errors import Forbidden, InvalidInput
from app.domain.roles import Role
from app.services.actor import Actor

#: the roles that see the whole bureau's figures
BUREAU_ROLES = (Role.LEADER, Role.EFFICIENCY, Role.AUDITOR, Role.ADMIN)
#: the roles that see their own department's figures
DEPARTMENT_ROLES = (Role.REVIEWER, Role.INSPECTOR)
#: the longest period one request may ask for (ten years and a few days)
MAX_DAYS = 3_660
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CODE = re.compile(r"[A-Za-z0-9_\-]{1,64}")


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    department: str | None = None
    item_code: str | None = None
    reviewer: str | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_params(self) -> dict[str, str]:
        params = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        for name, value in (("department", self.department), ("item", self.item_code),
                            ("reviewer", self.reviewer)):
            if value:
                params[name] = value
        return params


def may_see_statistics(actor: Actor) -> bool:
    return actor.role in BUREAU_ROLES or (actor.role in DEPARTMENT_ROLES and bool(actor.department))


def parse_period(args: Mapping[str, str], actor: Actor, catalogue: Catalogue, now: datetime) -> Period:
    """The period asked for; without dates, this month up to today."""
    if not may_see_statistics(actor):
        raise Forbidden("statistics_not_for_role", "当前角色无权查看效能统计", role=actor.role.value)
    today = local_date(now)
    first = _day(args, "from") or today.replace(day=1)
    last = _day(args, "to") or today
    if first > last:
        raise InvalidInput("invalid_date_range", "起始日期不能晚于结束日期", field="from",
                           **{"from": first.isoformat(), "to": last.isoformat()})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput("date_range_too_long", f"统计期间不能超过 {MAX_DAYS} 天（约十年），请缩短期间",
                           field="to", days=(last - first).days + 1)
    department = _code(args, "department")
    if department is not None and department not in catalogue.departments:
        raise InvalidInput("unknown_department", f"部门“{department}”不在事项目录中", field="department")
    if actor.role in DEPARTMENT_ROLES:
        if department not in (None, actor.department):
            raise Forbidden("department_not_yours", "只能查看本部门的效能统计", department=department)
        department = actor.department
    item = _code(args, "item")
    if item is not None and catalogue.find(item) is None:
        raise InvalidInput("unknown_item", f"事项“{item}”不在事项目录中", field="item")
    reviewer = _code(args, "reviewer")
    return Period(first, last, department, item, reviewer)


def _day(args: Mapping[str, str], name: str) -> date | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not _DAY.fullmatch(raw):
        raise InvalidInput("invalid_date", f"参数 {name} 应为日期 YYYY-MM-DD（如 2026-03-01）", field=name)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("invalid_date", f"参数 {name} 不是有效日期：{raw}", field=name) from None
    if not 2000 <= day.year <= 2100:
        raise InvalidInput("date_out_of_range", f"参数 {name} 应在 2000 年至 2100 年之间", field=name)
    return day


def _code(args: Mapping[str, str], name: str) -> str | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not _CODE.fullmatch(raw):
        raise InvalidInput("invalid_query", f"参数 {name} 应为编码（字母、数字、-、_，不超过 64 个字符）",
                           field=name)
    return raw


def weeks_of(first: date, last: date) -> list[date]:
    """The Mondays of the ISO weeks the period touches."""
    monday = first - timedelta(days=first.weekday())
    result = []
    while monday <= last:
        result.append(monday)
        monday += timedelta(days=7)
    return result
