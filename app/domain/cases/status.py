"""The coarse status of a case (办件状态) and the transitions it allows.

BPMN owns the detailed flow; this enum is what lists, counts and reports use. Every change of
status goes through :func:`check_transition`, so an unexpected jump is an error, not data.
"""
from __future__ import annotations

from enum import StrEnum

from app.domain.errors import Conflict


class CaseStatus(StrEnum):
    REGISTERED = "registered"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    IN_REVIEW = "in_review"
    INSPECTING = "inspecting"
    PENDING_DECISION = "pending_decision"
    CERTIFYING = "certifying"
    READY_TO_ISSUE = "ready_to_issue"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    NOT_ACCEPTED = "not_accepted"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in (CaseStatus.COMPLETED, CaseStatus.NOT_ACCEPTED)


class CaseResult(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_ACCEPTED = "not_accepted"
    WITHDRAWN = "withdrawn"
    #: a case of several items, some approved and some not
    PARTIAL = "partial"
    REVOKED = "revoked"
    #: a revocation case that kept the licence
    UPHELD = "upheld"
    #: 撤回许可: a case the bureau opened on a supervisor's finding withdrew the licence
    LICENCE_WITHDRAWN = "licence_withdrawn"

    @property
    def label(self) -> str:
        return RESULT_LABELS[self]


STATUS_LABELS = {
    CaseStatus.REGISTERED: "待受理",
    CaseStatus.AWAITING_SUPPLEMENT: "待补正",
    CaseStatus.IN_REVIEW: "审查中",
    CaseStatus.INSPECTING: "现场核查中",
    CaseStatus.PENDING_DECISION: "待决定",
    CaseStatus.CERTIFYING: "制证中",
    CaseStatus.READY_TO_ISSUE: "待出件",
    CaseStatus.VERIFYING: "事后核查中",
    CaseStatus.COMPLETED: "已办结",
    CaseStatus.NOT_ACCEPTED: "不予受理",
}
RESULT_LABELS = {
    CaseResult.APPROVED: "准予许可",
    CaseResult.REJECTED: "不予许可",
    CaseResult.NOT_ACCEPTED: "不予受理",
    CaseResult.WITHDRAWN: "视为撤回申请",
    CaseResult.PARTIAL: "部分准予",
    CaseResult.REVOKED: "撤销许可",
    CaseResult.UPHELD: "不予撤销",
    CaseResult.LICENCE_WITHDRAWN: "撤回许可",
}


def combined_result(results: list[str | None]) -> CaseResult | None:
    """The result of a case of several items, from each item's result (None: none decided)."""
    decided = [r for r in results if r is not None]
    if not decided:
        return None
    if all(r == CaseResult.APPROVED for r in decided) and len(decided) == len(results):
        return CaseResult.APPROVED
    if all(r != CaseResult.APPROVED for r in decided):
        return CaseResult.REJECTED
    return CaseResult.PARTIAL

_S = CaseStatus
#: A construction project (工程建设项目) goes round several times: each stage is accepted
#: (registered), may start with a joint survey (inspecting → in_review) and ends in the lead's
#: conclusion (pending_decision), after which the next stage waits to be accepted (registered).
ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.REGISTERED: frozenset({_S.IN_REVIEW, _S.PENDING_DECISION, _S.READY_TO_ISSUE, _S.NOT_ACCEPTED,
                              _S.COMPLETED, _S.VERIFYING, _S.INSPECTING}),
    _S.AWAITING_SUPPLEMENT: frozenset({_S.IN_REVIEW, _S.PENDING_DECISION, _S.COMPLETED}),
    _S.IN_REVIEW: frozenset({_S.PENDING_DECISION, _S.READY_TO_ISSUE, _S.REGISTERED,
                             _S.AWAITING_SUPPLEMENT, _S.INSPECTING}),
    _S.INSPECTING: frozenset({_S.PENDING_DECISION, _S.IN_REVIEW}),
    _S.PENDING_DECISION: frozenset({_S.IN_REVIEW, _S.CERTIFYING, _S.READY_TO_ISSUE,
                                    _S.AWAITING_SUPPLEMENT, _S.REGISTERED}),
    _S.CERTIFYING: frozenset({_S.READY_TO_ISSUE}),
    _S.READY_TO_ISSUE: frozenset({_S.COMPLETED, _S.VERIFYING}),
    _S.VERIFYING: frozenset({_S.COMPLETED}),
    _S.COMPLETED: frozenset(),
    _S.NOT_ACCEPTED: frozenset(),
}


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    """Raise :class:`Conflict` unless ``current`` may become ``target`` (staying is allowed)."""
    if target != current and target not in ALLOWED_TRANSITIONS[current]:
        raise Conflict("status_transition_not_allowed",
                       f"办件状态不能从“{current.label}”变为“{target.label}”",
                       current=current.value, target=target.value)
