"""The on-site inspection form as a scenario fills it when the sentence gives only the finding:
the day of the visit is today, the second inspector the first colleague the form offers (核查须两人).
A sentence that names them (or leaves the finding out, to see the form refused) is taken as written."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.rows import get_case
from app.services.actor import Actor
from app.services.casework.completion import Completion
from app.services.casework.form_fields import eligible_people
from app.services.processes.deployed import definition_for
from app.services.runtime import Runtime


def filled_in(session: Session, runtime: Runtime, actor: Actor, task_id: str, completion: Completion) -> Completion:
    data: dict[str, Any] = dict(completion.data or {})
    if "finding" not in data:
        return completion
    task = task_queries.get_task(session, task_id)
    version_id = get_case(session, task.case_id).process_version_id
    spec = definition_for(session, runtime, version_id).human_task(task.element_id)
    for field in spec.fields if spec else ():
        if field.name in data or not field.required:
            continue
        if field.type == "date" and field.option == "past":
            data[field.name] = local_date(runtime.clock.now()).isoformat()
        elif field.type == "person":
            people = eligible_people(session, actor, task, field)
            if people:
                data[field.name] = people[0][0]
    return replace(completion, data=data)
