"""The audit trail for auditors: search by case, actor, action and date; export everything.

Only auditors (审计督查人员) and administrators read the whole trail. Dates are the bureau's
calendar dates (Beijing time), both ends included. Exports stream in chain order; the JSON
export carries each event's fields exactly as they were hashed (time in UTC to the
microsecond), so a full export can be re-verified outside the system.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from app.domain.timing.clock import BUREAU_ZONE
from app.domain.errors import InvalidInput
from app.domain.roles import WINDOW_DEPARTMENT, Role
from app.persistence.audit import queries as audit_queries
from app.persistence.processes import versions as process_versions
from app.persistence.access import users as user_queries
from app.persistence.audit.chain import ChainBreak, verify_chain
from app.persistence.audit.queries import EventFilter
from app.persistence.models import AuditEvent
from app.services.actor import Actor
from app.services.certificates.status import ACTION_LABELS as CERTIFICATE_ACTIONS
from app.services.audit.readable import Change, Vocabulary, changes
from app.services.runtime import Runtime
from app.services.reading.case_history import ACTION_LABELS as CASE_ACTION_LABELS

AUDIT_ROLES = (Role.AUDITOR, Role.ADMIN)
MAX_PAGE_SIZE = 200
#: the dates a search may name: the end date is searched up to the start of the next day
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date.max - timedelta(days=1)

#: Chinese names of every action the trail records: the case history's, and those of no case.
ACTION_LABELS = {
    **CASE_ACTION_LABELS,
    "login": "登录",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "rules_changed": "规则变更",
    "scenario_gate_overridden": "越过未通过的场景部署",
    "supervision_endpoint_set": "设置监管推送地址",
    "supervision_endpoint_deleted": "删除监管推送地址",
    "supervision_redelivered": "重新投递监管推送",
    # a licence's life in the registry (app/services/certificates/status.py): certificate_issued …
    **{f"certificate_{action}": f"证照{label}" for action, label in CERTIFICATE_ACTIONS.items()},
}

#: (field, CSV column header) in export order
EXPORT_COLUMNS = (
    ("id", "事件编号"), ("occurred_at", "时间（北京时间）"), ("actor_name", "操作人"), ("actor", "操作人账号"),
    ("action_label", "动作"), ("action", "动作代码"), ("case_number", "办件编号"), ("element_id", "环节或元素"),
    ("changes", "变更内容"), ("before", "变更前（原始数据）"), ("after", "变更后（原始数据）"),
    ("prev_hash", "前一事件哈希"), ("hash", "本事件哈希"),
    ("request_id", "请求编号"),
)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True)
class TrailQuery:
    case_number: str | None = None
    actor: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    page_size: int = 50

    def as_params(self) -> dict[str, str]:
        """The criteria as query-string parameters (for links to other pages and exports)."""
        params = {"case": self.case_number, "actor": self.actor, "action": self.action,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {k: v for k, v in params.items() if v}


def _text(args: Mapping[str, str], name: str, limit: int = 64) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput("invalid_query", f"查询条件“{name}”过长", field=name)
    return value or None


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = _text(args, name, 10)
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput("invalid_date", f"日期“{value}”格式应为 YYYY-MM-DD", field=name) from None
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:  # the day after the last must exist
        raise InvalidInput("invalid_date", f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间", field=name)
    return day


def _positive(args: Mapping[str, str], name: str, default: int, limit: int) -> int:
    value = _text(args, name, 6)
    try:
        number = int(value) if value else default
    except ValueError:
        raise InvalidInput("invalid_query", f"查询参数“{name}”应为正整数", field=name) from None
    if not 1 <= number <= limit:
        raise InvalidInput("invalid_query", f"查询参数“{name}”应在 1 至 {limit} 之间", field=name)
    return number


def parse_query(args: Mapping[str, str]) -> TrailQuery:
    """Criteria from query-string parameters ``case, actor, action, from, to, page, page_size``."""
    query = TrailQuery(case_number=_text(args, "case"), actor=_text(args, "actor"),
                       action=_text(args, "action"), date_from=_day(args, "from"),
                       date_to=_day(args, "to"), page=_positive(args, "page", 1, 100_000),
                       page_size=_positive(args, "page_size", 50, MAX_PAGE_SIZE))
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise InvalidInput("invalid_date_range", "起始日期不能晚于结束日期", field="from")
    return query


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUREAU_ZONE)


def _filter(session: Session, query: TrailQuery) -> EventFilter | None:
    """The database filter; None when the case number matches no case (nothing can match)."""
    case_id = None
    if query.case_number:
        case_id = audit_queries.case_id_for_number(session, query.case_number)
        if case_id is None:
            return None
    actors = None
    if query.actor:  # a username or a person's name (王审查): everyone it names
        actors = tuple(user_queries.usernames_named(session, query.actor)) or (query.actor,)
    return EventFilter(
        case_id=case_id, actors=actors, action=query.action,
        since=_start_of(query.date_from) if query.date_from else None,
        until=_start_of(query.date_to + timedelta(days=1)) if query.date_to else None)


class EventView(TypedDict):
    """One event of the trail, with its fields exactly as they were hashed (time in UTC to the
    microsecond), its action's Chinese name and its case's number."""

    id: int
    occurred_at: str
    actor: str
    action: str
    action_label: str
    case_id: int | None
    case_number: str | None
    element_id: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    prev_hash: str
    hash: str
    #: the request that wrote the event (hashed as ``request`` when present)
    request_id: str | None
    #: not hashed: who acted, by name, the element by name, and the change as a Chinese list
    actor_name: str
    changes: list[Change]
    element_name: str


def vocabulary(session: Session, runtime: Runtime) -> Vocabulary:
    """What the trail's codes mean, read once per page or export: every user's name, and the
    names of departments, roles, items and processes."""
    catalogue = runtime.catalogue
    items = {code: s.name for group in (catalogue.items, catalogue.bundles, catalogue.projects)
             for code, s in group.items()}
    processes = {v.process_id: v.name for v in process_versions.latest_versions(session)}
    return Vocabulary(user_queries.all_display_names(session), {
        "department": {WINDOW_DEPARTMENT: "综合窗口", **{c: d.name for c, d in catalogue.departments.items()}},
        "role": {r.value: r.label for r in Role}, "item_code": items, "items": items,
        "process_id": processes, "process": processes, "calls": processes})


def event_view(event: AuditEvent, case_number: str | None, words: Vocabulary) -> EventView:
    return {
        "id": event.id, "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action, "action_label": action_label(event.action),
        "case_id": event.case_id, "case_number": case_number, "element_id": event.element_id,
        "before": event.before, "after": event.after, "prev_hash": event.prev_hash, "hash": event.hash,
        "request_id": event.request_id,
        "actor_name": words.person(event.actor),
        "changes": changes(event.before, event.after, words),
        "element_name": str(event.after.get("element_name") or event.after.get("task") or event.after.get("name") or ""),
    }


@dataclass(frozen=True)
class TrailPage:
    query: TrailQuery
    items: list[EventView]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


def search(session: Session, runtime: Runtime, actor: Actor, query: TrailQuery) -> TrailPage:
    """One page of the trail, newest first, with the number of matching events."""
    actor.require(*AUDIT_ROLES)
    criteria = _filter(session, query)
    if criteria is None:
        return TrailPage(query, [], 0)
    rows = audit_queries.search_events(session, criteria, limit=query.page_size,
                                       offset=(query.page - 1) * query.page_size)
    words = vocabulary(session, runtime)
    return TrailPage(query, [event_view(e, n, words) for e, n in rows], audit_queries.count_events(session, criteria))


def export_events(session: Session, runtime: Runtime, actor: Actor, query: TrailQuery) -> Iterator[EventView]:
    """Every matching event in chain order (page and page size are ignored)."""
    actor.require(*AUDIT_ROLES)
    criteria = _filter(session, query)
    if criteria is None:
        return iter(())
    words = vocabulary(session, runtime)
    return (event_view(e, n, words) for e, n in audit_queries.iter_events(session, criteria))


def _cell(view: Mapping[str, object], name: str) -> str:
    value = view[name]
    if name == "occurred_at":
        return datetime.fromisoformat(str(value)).astimezone(BUREAU_ZONE).isoformat(sep=" ", timespec="seconds")
    if name == "changes" and isinstance(value, list):
        return "\n".join(f"{c['field']}：{c['before'] or '—'} → {c['after'] or '—'}" for c in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return "" if value is None else str(value)


def csv_chunks(events: Iterator[EventView], rows_per_chunk: int = 200) -> Iterator[str]:
    """CSV text for Excel: UTF-8 byte-order mark, Chinese headers, one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([title for _, title in EXPORT_COLUMNS])
    for count, view in enumerate(events, start=1):
        writer.writerow([_cell(view, name) for name, _ in EXPORT_COLUMNS])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(events: Iterator[EventView]) -> Iterator[str]:
    """A JSON array of events, written one event at a time."""
    yield "["
    for count, view in enumerate(events):
        yield ("," if count else "") + "\n" + json.dumps(view, ensure_ascii=False)
    yield "\n]\n"


#: the export's file name as people read it, and the ASCII one for old clients
EXPORT_NAME, EXPORT_ASCII_NAME = "审计轨迹", "audit-trail"


def export_chunks(session: Session, runtime: Runtime, actor: Actor, args: Mapping[str, str],
                  fmt: str) -> Iterator[str]:
    """The whole matching trail as CSV (``fmt="csv"``) or JSON text, a chunk at a time; the
    query is checked and the actor authorized before the first chunk is asked for."""
    events = export_events(session, runtime, actor, parse_query(args))
    return csv_chunks(events) if fmt == "csv" else json_chunks(events)


def verify(session: Session, actor: Actor) -> tuple[int, ChainBreak | None]:
    """Recompute the hash chain (as ``oneseal audit verify`` does): events checked, first break."""
    actor.require(*AUDIT_ROLES)
    return verify_chain(session)
