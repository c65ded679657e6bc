"""Kinds of cases and tasks, and the states of a task in the inbox.

They are string enums, stored as their values: a row's ``kind`` or ``status`` compares equal to
the member (``case.kind == CaseKind.PROJECT``), so code names the member and never the string.
"""
from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    #: one licensing item (事项)
    ITEM = "item"
    #: several related items applied for together (一件事)
    BUNDLE = "bundle"
    #: a construction project through its four stages (工程建设项目)
    PROJECT = "project"
    #: a case the bureau opens to revoke a licence it granted (撤销); named after its process
    REVOCATION = "revocation"
    #: a holder's application about an issued licence: 变更, 延续 or 注销; named after its process
    LICENCE_CHANGE = "licence_change"

    @property
    def has_items(self) -> bool:
        """Each of its items keeps its own result and certificate (``case_items`` rows)."""
        return self in (CaseKind.BUNDLE, CaseKind.PROJECT)


class TaskKind(StrEnum):
    #: a human task of the case's workflow, mirrored from the saved workflow
    WORKFLOW = "workflow"
    #: 超期督办: given to a section chief by the deadline check, outside the workflow
    ESCALATION = "escalation"


class TaskStatus(StrEnum):
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
