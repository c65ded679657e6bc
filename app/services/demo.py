"""Demo data for a trial installation: users for every role and department, a few cases.

Loaded only on request (``oneseal init-db --demo``, ``make run``), never by default.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.domain.roles import WINDOW_DEPARTMENT, Role
from app.persistence.cases import tasks as task_queries
from app.persistence.access import users as user_queries
from app.services.access.auth import create_user
from app.services.actor import Actor
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from app.services.runtime import Runtime


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    department: str | None


def demo_users(runtime: Runtime) -> list[DemoUser]:
    people = [
        DemoUser("window", "王窗口", Role.WINDOW, WINDOW_DEPARTMENT),
        DemoUser("window2", "李窗口", Role.WINDOW, WINDOW_DEPARTMENT),
        DemoUser("designer", "赵设计", Role.DESIGNER, None),
        DemoUser("auditor", "钱审计", Role.AUDITOR, None),
        DemoUser("efficiency", "孙监察", Role.EFFICIENCY, None),
        DemoUser("admin", "系统管理员", Role.ADMIN, None),
    ]
    for code, department in runtime.catalogue.departments.items():
        if code == WINDOW_DEPARTMENT:
            continue
        short = department.name.removesuffix("局").removesuffix("管理")
        people += [
            DemoUser(f"reviewer_{code}", f"{short}审查员", Role.REVIEWER, code),
            DemoUser(f"reviewer2_{code}", f"{short}审查员二", Role.REVIEWER, code),
            DemoUser(f"leader_{code}", f"{short}分管领导", Role.LEADER, code),
            DemoUser(f"inspector_{code}", f"{short}核查员", Role.INSPECTOR, code),
            # 现场核查须两人（行政许可法第三十四条）: the second inspector each form names
            DemoUser(f"inspector2_{code}", f"{short}核查员二", Role.INSPECTOR, code),
        ]
    # 监管人员: the supervising departments' staff, outside the bureau (findings, the push desk)
    for code in sorted({item.supervisor for item in runtime.catalogue.items.values()}):
        short = runtime.catalogue.department_name(code).removesuffix("局").removesuffix("管理")
        people.append(DemoUser(f"supervisor_{code}", f"{short}监管员", Role.SUPERVISOR, code))
    return people


def load_demo(session: Session, runtime: Runtime, password: str, *,
              with_cases: bool = True) -> list[DemoUser]:
    """Create missing demo users and, on an empty database, a few demo cases."""
    created = []
    for person in demo_users(runtime):
        if user_queries.find_user(session, person.username) is None:
            create_user(session, runtime, username=person.username, display_name=person.display_name,
                        password=password, role=person.role, department=person.department)
            created.append(person)
    if with_cases and created and created[0].username == "window":
        _demo_cases(session, runtime)
    return created


def _demo_cases(session: Session, runtime: Runtime) -> None:
    window = Actor("window", Role.WINDOW, WINDOW_DEPARTMENT, "王窗口")
    applicants = ["县城南便民超市", "张三餐饮店", "河畔宾馆", "康宁大药房", "星光KTV", "绿源林场"]
    items = [i for i in runtime.catalogue.items.values() if i.kind.value == "promised"][:6]
    for index, (item, applicant) in enumerate(zip(items, applicants)):
        case = register_case(session, runtime, window, Application(
            item_code=item.code, applicant={"name": applicant, "contact": "0910-1234567"},
            materials=[m.code for m in item.materials]))
        if index % 2 == 0:
            task = task_queries.ready_tasks_of_case(session, case.id)[0]
            claim_task(session, runtime, window, task.id)
            complete_task(session, runtime, window, task.id, Completion(decision="approve", opinion="材料齐全，予以受理"))
    # an immediate item approved at the window: a signed licence in the registry, to verify at /verify
    replacement = next((i for i in runtime.catalogue.items.values() if i.kind.value == "immediate"), None)
    if replacement is not None and runtime.seals.configured:
        case = register_case(session, runtime, window, Application(
            item_code=replacement.code, applicant={"name": "张三餐饮店", "contact": "0910-1234567",
                                                   "address": "城关镇解放路 12 号"},
            materials=[m.code for m in replacement.materials]))
        task = task_queries.ready_tasks_of_case(session, case.id)[0]
        claim_task(session, runtime, window, task.id)
        complete_task(session, runtime, window, task.id, Completion(decision="approve", opinion="当场办结"))
    for project_type in runtime.catalogue.projects.values():  # a construction project of each type
        register_case(session, runtime, window, Application(
            item_code=project_type.code, applicant={"name": "县城市建设投资有限公司"},
            materials=[m.code for m in project_type.materials if m.main],
            project={"name": f"城南新区{project_type.name.removesuffix('工程建设项目')}示范项目",
                     "location": "城南新区学府路"}))
