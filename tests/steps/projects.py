"""Steps for construction projects (工程建设项目): registration, the four stages, their clocks,
the items decided in parallel, the joint survey and acceptance, materials carried forward."""
from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from app.domain.errors import OneSealError
from app.persistence import tasks as task_queries
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from tests.steps.common import DECISIONS

#: what each department's reviewer answers when a step works a whole stage at once
BULK_OPINION = "符合要求，同意"


def _type(desk: Any, name: str) -> Any:
    found = [t for t in desk.ext.runtime.catalogue.projects.values() if t.name == name]
    assert found, f"没有项目类型“{name}”"
    return found[0]


def _names(text: str) -> list[str]:
    return [n.strip("“”") for n in text.split("、")]


def _register(desk: Any, applicant: str, type_name: str, project: str, location: str,
              missing: list[str]) -> None:
    project_type = _type(desk, type_name)
    materials = [m.code for m in project_type.materials if m.name not in missing]
    assert len(materials) == len(project_type.materials) - len(missing), "所列材料不在该类项目的材料中"
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(s, rt, window, Application(
        project_type.code, {"name": applicant}, materials, {}, {"name": project, "location": location})).id)


@given(parsers.parse("综合窗口登记“{applicant}”的{type_name}“{project}”，建设地点“{location}”，收取全部材料"))
def project_with_all_materials(desk: Any, applicant: str, type_name: str, project: str, location: str) -> None:
    """登记一个工程建设项目（项目类型：政府投资工程建设项目 / 企业投资工程建设项目），收取四个阶段的全部材料。"""
    _register(desk, applicant, type_name, project, location, [])


@given(parsers.parse("综合窗口登记“{applicant}”的{type_name}“{project}”，建设地点“{location}”，缺少材料{names}"))
def project_missing_materials(desk: Any, applicant: str, type_name: str, project: str, location: str,
                              names: str) -> None:
    """登记一个工程建设项目，收取除所列材料外的全部材料（材料名用顿号分隔，可加引号）。"""
    _register(desk, applicant, type_name, project, location, _names(names))


def _ready(desk: Any, step: str) -> list[Any]:
    return desk.run(lambda s, rt: [t for t in task_queries.ready_tasks_of_case(s, desk.case_id) if t.name == step])


def _complete(desk: Any, task: Any, username: str, decision: str | None, opinion: str,
              data: dict[str, Any] | None = None) -> None:
    actor = desk.actor(username)
    desk.run(lambda s, rt: (claim_task(s, rt, actor, task.id), complete_task(
        s, rt, actor, task.id, Completion(decision=decision, opinion=opinion, data=data or {}))))


def _each(desk: Any, step: str, role: str, decision: str | None, data: dict[str, Any] | None = None) -> None:
    """Every ready task of ``step``, each worked by its own department's user of ``role``."""
    tasks = _ready(desk, step)
    assert tasks, f"办件当前没有待办环节“{step}”"
    for task in tasks:
        _complete(desk, task, f"{role}_{task.department}", decision, BULK_OPINION, data)


@when(parsers.parse("本阶段各事项的承办部门都作出“{decision}”决定"))
@when(parsers.parse("本阶段其余事项的承办部门都作出“{decision}”决定"))
def every_item_decided(desk: Any, decision: str) -> None:
    """本阶段尚未办理的“并联审批”待办，由各承办部门的审查人员逐一作出同一决定（意见为“符合要求，同意”）。"""
    _each(desk, "并联审批", "reviewer", DECISIONS[decision])


def _decide_item(desk: Any, username: str, item: str, decision: str, opinion: str,
                 data: dict[str, Any] | None = None) -> None:
    tasks = [t for t in _ready(desk, "并联审批") if desk.ext.runtime.catalogue.items[t.item_code].name == item]
    assert tasks, f"当前没有“{item}”的并联审批待办"
    desk.error = None
    try:
        _complete(desk, tasks[0], username, DECISIONS[decision], opinion, data)
    except OneSealError as err:
        desk.error = err


@when(parsers.parse("“{username}”对“{item}”作出“{decision}”决定，意见为“{opinion}”"))
def item_decided(desk: Any, username: str, item: str, decision: str, opinion: str) -> None:
    """某部门的审查人员在“并联审批”中对本阶段的某个事项作出决定（一个部门有几个事项时按事项选择）。"""
    _decide_item(desk, username, item, decision, opinion)


@when(parsers.parse("“{username}”对“{item}”作出“准予”决定，证照编号为“{number}”"))
def item_approved_with_certificate(desk: Any, username: str, item: str, number: str) -> None:
    """某部门的审查人员在“并联审批”中准予本阶段的某个事项，并登记其证照编号（意见为“符合要求，同意”）。"""
    _decide_item(desk, username, item, "准予", BULK_OPINION, {"certificate_no": number})


@when(parsers.parse("参加联合踏勘的各部门都给出“{finding}”的踏勘意见"))
def every_department_surveyed(desk: Any, finding: str) -> None:
    """联合踏勘（联合现场核查）中每个参加部门的核查人员都给出同一结论。"""
    _each(desk, "联合现场核查", "inspector", None, {"finding": finding})


@when(parsers.parse("参加联合验收的各部门都作出“{decision}”决定"))
def every_department_accepted(desk: Any, decision: str) -> None:
    """竣工联合验收中尚未办理的部门逐一作出同一验收决定（合格/不合格）。"""
    _each(desk, "联合验收", "reviewer", DECISIONS[decision])


def _pass_stage(desk: Any, stage: dict[str, Any]) -> None:
    lead = stage["lead"]
    (accept,) = desk.run(lambda s, rt: [t for t in task_queries.ready_tasks_of_case(s, desk.case_id)
                                        if t.project_stage == stage["number"]])
    _complete(desk, accept, f"reviewer_{lead}", "approve", "材料齐全，予以受理")
    if _ready(desk, "联合现场核查"):
        _each(desk, "联合现场核查", "inspector", None, {"finding": "合格"})
        (conclusion,) = _ready(desk, "形成联合核查结论")
        _complete(desk, conclusion, f"inspector_{conclusion.department}", None, "联合踏勘合格",
                  {"finding": "合格"})
    _each(desk, "并联审批", "reviewer", "approve")
    (conclude,) = _ready(desk, "阶段批复")
    _complete(desk, conclude, f"leader_{lead}", "approve", "本阶段事项全部准予，同意通过")


@given(parsers.parse("项目已依次通过前{count:d}个阶段"))
def stages_passed(desk: Any, count: int) -> None:
    """从第一阶段起，各阶段由牵头部门受理、联合踏勘合格、各事项准予、牵头部门批复通过。"""
    for stage in desk.detail()["project"]["stages"][:count]:
        _pass_stage(desk, {"number": stage["number"], "lead": stage["lead"]})


def _stage(desk: Any, number: int) -> dict[str, Any]:
    project = desk.detail()["project"]
    assert project is not None, "本办件不是工程建设项目"
    return project["stages"][number - 1]


@then("项目各阶段的进度为：")
def progress_table(desk: Any, datatable: list[list[str]]) -> None:
    """各阶段的进度：表格六列为“阶段”“牵头部门”“时限”“已用工作日”“事项”（已办/总数）“状态”；未开始计时的阶段已用工作日写“—”。"""
    header, *rows = datatable
    assert header == ["阶段", "牵头部门", "时限", "已用工作日", "事项", "状态"], header
    stages = desk.detail()["project"]["stages"]
    actual = [[s["name"], s["lead_name"], str(s["limit"]),
               "—" if s["working_days_used"] is None else str(s["working_days_used"]),
               f"{s['items_done']}/{s['items_total']}", s["status_label"]] for s in stages]
    assert actual == rows, actual


@then(parsers.parse("第{number:d}阶段的办结时限为“{day}”"))
def stage_due(desk: Any, number: int, day: str) -> None:
    """某阶段的办结时限（从牵头部门受理次日起算该阶段的工作日时限）。"""
    stage = _stage(desk, number)
    assert stage["due_date"] == day, stage


@then(parsers.parse("第{number:d}阶段已超期"))
def stage_overdue(desk: Any, number: int) -> None:
    """某阶段已过（或办结时已过）其办结时限。"""
    stage = _stage(desk, number)
    assert stage["overdue"] is True, stage


@then(parsers.parse("第{number:d}阶段未超期"))
def stage_on_time(desk: Any, number: int) -> None:
    """某阶段在其办结时限内（或在时限内办结）。"""
    stage = _stage(desk, number)
    assert stage["overdue"] is False, stage


@then(parsers.parse("项目共用{used:d}个工作日，各阶段时限合计{total:d}个工作日"))
def project_days(desk: Any, used: int, total: int) -> None:
    """整个项目各阶段已用工作日之和，及各阶段时限之和。"""
    project = desk.detail()["project"]
    assert (project["working_days_used"], project["total_limit"]) == (used, total), project


@then("阶段之间不计时")
def no_clock_between_stages(desk: Any) -> None:
    """上一阶段已办结、下一阶段尚未受理：申请人准备材料期间，办件没有办结时限。"""
    detail = desk.detail()
    assert detail["time_limit"]["due_date"] is None, detail["time_limit"]
    assert detail["project"]["current_stage"] is not None
    assert _stage(desk, detail["project"]["current_stage"])["status_label"] == "待受理"


@then(parsers.parse("第{number:d}阶段办结前须补齐：{names}"))
def owed_before_conclusion(desk: Any, number: int, names: str) -> None:
    """某阶段批复（办结）前必须收齐的材料：以前各阶段容缺后补的次要材料（竣工验收：全部材料）。"""
    owed = [m["name"] for m in _stage(desk, number)["owed"]]
    assert owed == _names(names), owed


@then(parsers.parse("第{number:d}阶段无须补齐任何材料"))
def nothing_owed(desk: Any, number: int) -> None:
    """某阶段办结前已不欠任何材料。"""
    assert _stage(desk, number)["owed"] == []


@then(parsers.parse("“{step}”环节由“{department}”办理"))
def step_department(desk: Any, step: str, department: str) -> None:
    """某个待办环节（如“阶段受理”“阶段批复”）的承办部门。"""
    tasks = [t for t in desk.detail()["tasks"] if t["name"] == step]
    names = [desk.ext.runtime.catalogue.department_name(t["department"]) for t in tasks]
    assert names == [department], names


@then(parsers.parse("第{number:d}阶段的“并联审批”包含以下事项："))
def stage_items(desk: Any, number: int, datatable: list[list[str]]) -> None:
    """某阶段并联办理的事项及承办部门（表格两列：“事项”“承办部门”）。"""
    header, *rows = datatable
    assert header == ["事项", "承办部门"], header
    items = _stage(desk, number)["items"]
    assert [[i["name"], i["department_name"]] for i in items] == rows, items
