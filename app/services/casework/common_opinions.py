"""常用意见: the opinions a reviewer keeps for a step and inserts with one click.

Every user has the bureau's usual wordings for each decision to start from, and keeps their own
per step (by the step's name: 审查, 决定 …), at most :data:`MAX_PER_STEP` of them; they add and
remove their own only. Kept opinions are the user's working aid, not case data: they are not
audited."""
from __future__ import annotations

from typing import TypedDict

from sqlalchemy.orm import Session

from app.domain.errors import Conflict, InvalidInput, NotFound
from app.persistence.cases import opinions as opinion_queries
from app.services.actor import Actor
from app.services.runtime import Runtime

MAX_TEXT = 500
MAX_PER_STEP = 20
MAX_STEP = 200
#: the bureau's usual wordings, by decision, offered to everyone
USUAL = {
    "approve": "经审查，申请材料齐全、符合法定形式，同意。",
    "reject": "经审查，申请不符合法定条件，不予同意。理由：",
    "return": "申请材料不齐全或不符合法定形式，请按一次性告知书补正后重新提交。",
}


class OpinionChoice(TypedDict):
    """One opinion the form offers: the user's own (``id`` set) or a usual one (``decision``)."""

    id: int | None
    text: str
    decision: str | None


def choices(session: Session, actor: Actor, step: str, decisions: list[str]) -> list[OpinionChoice]:
    """The user's own opinions for ``step``, then the usual ones for the step's decisions."""
    own: list[OpinionChoice] = [{"id": o.id, "text": o.text, "decision": None}
                                for o in opinion_queries.opinions_of(session, actor.username, step[:MAX_STEP])]
    usual: list[OpinionChoice] = [{"id": None, "text": USUAL[d], "decision": d} for d in decisions if d in USUAL]
    return own + usual


def keep(session: Session, runtime: Runtime, actor: Actor, step: object, text: object) -> OpinionChoice:
    """Keep ``text`` among the user's opinions for ``step`` (kept once)."""
    actor.require_write()
    if not isinstance(step, str) or not step.strip() or len(step) > MAX_STEP:
        raise InvalidInput("invalid_step", "环节名称不正确", field="step")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("opinion_required", "请先填写要保存的意见", field="text")
    text, step = text.strip(), step.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput("opinion_too_long", f"常用意见不能超过 {MAX_TEXT} 字", field="text")
    found = opinion_queries.find(session, actor.username, step, text)
    if found is not None:
        return {"id": found.id, "text": found.text, "decision": None}
    if opinion_queries.count_of(session, actor.username, step) >= MAX_PER_STEP:
        raise Conflict("too_many_opinions", f"每个环节最多保存 {MAX_PER_STEP} 条常用意见，请先删除不用的",
                       field="text")
    kept = opinion_queries.add(session, actor.username, step, text, runtime.clock.now())
    return {"id": kept.id, "text": kept.text, "decision": None}


def forget(session: Session, actor: Actor, opinion_id: int) -> None:
    actor.require_write()
    if not opinion_queries.remove(session, actor.username, opinion_id):
        raise NotFound("opinion_not_found", "常用意见不存在或不是您保存的", opinion_id=opinion_id)
