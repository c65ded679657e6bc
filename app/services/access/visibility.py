"""Who may see a case: the window, administrators and auditors every case; a department's staff
the cases of their department or with a step for it; designers only a case's path through its
diagram, never the case itself."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import Forbidden
from app.domain.roles import Role
from app.persistence.cases import tasks as task_queries
from app.persistence.cases.rows import get_case
from app.persistence.models import Case
from app.persistence.background.push_findings import finding_department
from app.services.actor import Actor


def may_view(actor: Actor, case: Case, session: Session) -> bool:
    if actor.sees_all_cases:
        return True
    if actor.role is Role.SUPERVISOR:  # outside the bureau: only the cases its own findings opened
        return finding_department(session, case.id) == actor.department
    if actor.department == case.department:
        return True
    return any(t.department == actor.department for t in task_queries.tasks_of_case(session, case.id))


def load_visible_case(session: Session, actor: Actor, case_id: int, *, process_data_only: bool = False) -> Case:
    """The case, if the actor may see it; ``process_data_only`` when the caller shows nothing
    but the case's path through its diagram (which designers may read)."""
    case = get_case(session, case_id)
    if actor.sees_process_data_only:
        if process_data_only:
            return case
        raise Forbidden("personal_data_not_for_role",
                        "流程设计人员只能查看办件的流程数据（流程图与办理路径），不能查看申请人信息、材料和办理意见",
                        case_id=case_id)
    if not may_view(actor, case, session):
        raise Forbidden("case_not_visible", "无权查看该办件", case_id=case_id)
    return case
