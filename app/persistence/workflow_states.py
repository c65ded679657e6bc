"""Every saved workflow, in batches, for readers that look at all cases (path coverage)."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.persistence.models import WorkflowState


def iter_workflow_states(session: Session, batch: int = 200) -> Iterator[WorkflowState]:
    """All saved workflows by case id, ``batch`` rows at a time (memory stays bounded)."""
    last_case_id = 0
    while True:
        rows = session.scalars(select(WorkflowState).where(WorkflowState.case_id > last_case_id)
                               .order_by(WorkflowState.case_id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_case_id = rows[-1].case_id
