"""What the modeler's properties panel needs beside the diagram: the engine's vocabulary in
Chinese (stages, results, lanes and their roles, deployed processes to call) and the check of
one expression as the designer types it, by the same restricted evaluator deployment uses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.domain.cases.status import RESULT_LABELS, STATUS_LABELS, CaseResult, CaseStatus
from app.domain.errors import InvalidInput
from app.domain.roles import LANE_ROLES
from app.persistence.processes import versions as process_versions
from app.services.actor import Actor
from app.services.processes.modeler import READERS
from app.services.runtime import Runtime
from app.workflow.expressions.limits import ExpressionError, step_budget
from app.workflow.task_metadata import CASE_RESULTS, CERTIFICATE_ACTIONS, STAGES, SUSPENSION_REASONS

#: the longest expression the panel checks (a condition is one line; a script is not checked here)
MAX_EXPRESSION = 2_000
SUSPENSION_LABELS = {"supplement": "补正材料", "expert_review": "专家评审", "hearing": "听证",
                     "rectification": "整改"}
CERTIFICATE_LABELS = {"issue": "制发证照", "refusal": "制作不予许可决定书", "deliver": "送达（出件）",
                      "cancel": "注销证照"}


@dataclass(frozen=True)
class ExpressionCheck:
    valid: bool
    code: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "code": self.code, "message": self.message}


def check_expression(runtime: Runtime, actor: Actor, text: object) -> ExpressionCheck:
    """Whether ``text`` is an expression the engine would accept (conditions, completion
    conditions, timer values); the refusal in Chinese, as validation would word it."""
    actor.require(*READERS)
    if not isinstance(text, str):
        raise InvalidInput("expression_missing", "请提供要检查的表达式（expression）", field="expression")
    if len(text) > MAX_EXPRESSION:
        raise InvalidInput("expression_too_long", f"表达式超过 {MAX_EXPRESSION} 个字符", field="expression")
    if not text.strip():
        return ExpressionCheck(False, "expression_empty", "表达式为空")
    evaluator = runtime.definitions.evaluator
    try:
        evaluator.check_expression(text.strip())
        with step_budget(what="本表达式"):
            evaluator.check_constant_parts(text.strip(), "eval")
    except ExpressionError as err:
        return ExpressionCheck(False, err.code, err.message)
    return ExpressionCheck(True)


def vocabulary(session: Session, actor: Actor) -> dict[str, Any]:
    """Choices and their Chinese labels for the panel's lists (values are what the XML holds)."""
    actor.require(*READERS)
    return {
        "stages": [[s, STATUS_LABELS[CaseStatus(s)]] for s in STAGES],
        "results": [[r, RESULT_LABELS[CaseResult(r)]] for r in CASE_RESULTS],
        "suspensions": [[s, SUSPENSION_LABELS[s]] for s in SUSPENSION_REASONS],
        "certificates": [[c, CERTIFICATE_LABELS[c]] for c in CERTIFICATE_ACTIONS],
        "lanes": [[lane, role.label] for lane, role in LANE_ROLES.items()],
        "processes": [[v.process_id, v.name] for v in process_versions.latest_versions(session)],
    }
