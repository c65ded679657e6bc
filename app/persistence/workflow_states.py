"""Every saved workflow, in batches, for readers that look at all cases (path coverage)."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.persistence.batches import in_batches
from app.persistence.models import WorkflowState


def iter_workflow_states(session: Session, batch: int = 200) -> Iterator[WorkflowState]:
    """All saved workflows by case id, ``batch`` rows at a time (memory stays bounded)."""
    return (row[0] for row in in_batches(session, select(WorkflowState), WorkflowState.case_id, batch))
