"""出件 at the window in one step: the clerk who has just approved a 告知承诺 case on the spot (or
finds a case waiting at the window for its result to be handed over) issues it from the receipt,
choosing the delivery; the window's 出件 task is claimed and completed in the same unit of work,
through the same checks as any completion."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.domain.errors import Conflict
from app.domain.roles import Role
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.rows import get_case
from app.persistence.models import TaskRecord
from app.services.actor import Actor
from app.services.casework.claims import can_act, claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime

#: the field the diagrams' 出件 steps declare
DELIVERY = "delivery"


@dataclass(frozen=True)
class IssuingStep:
    task: TaskRecord
    #: the deliveries the step offers (窗口领取, 邮寄送达, 电子送达)
    deliveries: tuple[str, ...]


def issuing_step(session: Session, runtime: Runtime, actor: Actor, case_id: int) -> IssuingStep | None:
    """The case's open 出件 step the actor may work at the window (one that asks for the
    delivery), or None."""
    case = get_case(session, case_id)
    steps = definition_for(session, runtime, case.process_version_id).human_tasks
    for task in task_queries.ready_tasks_of_case(session, case_id):
        spec = steps.get(task.element_id)
        field = spec.field_spec(DELIVERY) if spec is not None else None
        if task.role == Role.WINDOW and field is not None and can_act(actor, task) \
                and task.claimed_by in (None, actor.username):
            return IssuingStep(task, field.choices)
    return None


def issue_now(session: Session, runtime: Runtime, actor: Actor, case_id: int, delivery: str) -> TaskRecord:
    """Claim and complete the case's 出件 step with ``delivery`` (窗口领取, 邮寄送达, 电子送达)."""
    actor.require_write()
    step = issuing_step(session, runtime, actor, case_id)
    if step is None:
        raise Conflict("nothing_to_issue", "该办件当前没有可在窗口出件的环节", case_id=case_id)
    claim_task(session, runtime, actor, step.task.id)
    return complete_task(session, runtime, actor, step.task.id, Completion(data={DELIVERY: delivery}))
