"""The window desk (综合窗口): register and accept in one step.

For a promised item (承诺件) accepting is the window's first step of the diagram, completed
here with 受理 in the same transaction as the registration: either both happen or neither.
When only secondary materials are missing the case is accepted with gaps (容缺受理) and the
opinion names what is still owed. An immediate item (即办件) is decided on the spot, so it is
only registered and its step waits on the task page.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.domain.acceptance import missing_materials
from app.domain.catalogue import ItemKind
from app.persistence import tasks as task_queries
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.intake import Application, register_case
from app.services.runtime import Runtime
from app.services.task_work import Completion, claim_task, complete_task

ACCEPT = "approve"


@dataclass(frozen=True)
class Acceptance:
    case: Case
    #: the window's step still waiting (即办件: decide on the spot), or None when accepted
    waiting_task_id: str | None


def accept_application(session: Session, runtime: Runtime, actor: Actor, application: Application) -> Acceptance:
    case = register_case(session, runtime, actor, application)
    item = runtime.catalogue.item(case.item_code)
    ours = [t for t in task_queries.ready_tasks_of_case(session, case.id)
            if t.role == actor.role.value and t.department == (actor.department or "")]
    if not ours:
        return Acceptance(case, None)
    task = ours[0]
    claim_task(session, runtime, actor, task.id)
    if item.kind is ItemKind.IMMEDIATE:
        return Acceptance(case, task.id)
    missing = missing_materials(item, case.materials)
    opinion = "材料齐全，予以受理" if not missing else \
        "主要材料齐全，容缺受理，待补交：" + "、".join(m.name for m in missing)
    complete_task(session, runtime, actor, task.id, Completion(decision=ACCEPT, opinion=opinion))
    return Acceptance(case, None)
