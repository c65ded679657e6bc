"""工程建设项目：登记、四个阶段、阶段时限、并联审批、联合踏勘与验收、容缺后补
Construction projects (工程建设项目): registration, the four stages and their clocks, the items
decided in parallel, the joint survey and acceptance, materials carried forward."""
from __future__ import annotations

from typing import Any

from app.domain.errors import OneSealError
from app.persistence.models import TaskRecord
from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.running.inspection_form import filled_in
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.cases import DECISIONS, listed, register
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.reading.project_views import ProjectView, StageView

#: what each department's reviewer answers when a step works a whole stage at once
BULK_OPINION = "符合要求，同意"


def _register(services: ScenarioServices, applicant: str, type_name: str, project: str, location: str,
              missing: list[str]) -> int:
    found = [t for t in services.catalogue.projects.values() if t.name == type_name]
    expect(found, f"没有项目类型“{type_name}”")
    project_type = found[0]
    materials = [m.code for m in project_type.materials if m.name not in missing]
    expect(len(materials) == len(project_type.materials) - len(missing), "所列材料不在该类项目的材料中")
    return register(services, applicant, project_type.code, materials, {},
                    {"name": project, "location": location})


@given("综合窗口登记“{applicant}”的{type_name}“{project}”，建设地点“{location}”，收取全部材料",
       produces="case_id")
def project_with_all_materials(services: ScenarioServices, applicant: str, type_name: str, project: str,
                               location: str) -> int:
    """登记一个工程建设项目（项目类型：政府投资工程建设项目 / 企业投资工程建设项目），收取四个阶段的全部材料。"""
    return _register(services, applicant, type_name, project, location, [])


@given("综合窗口登记“{applicant}”的{type_name}“{project}”，建设地点“{location}”，缺少材料{names}",
       produces="case_id")
def project_missing_materials(services: ScenarioServices, applicant: str, type_name: str, project: str,
                              location: str, names: str) -> int:
    """登记一个工程建设项目，收取除所列材料外的全部材料（材料名用顿号分隔，可加引号）。"""
    return _register(services, applicant, type_name, project, location, listed(names))


def _complete(services: ScenarioServices, task: TaskRecord, username: str, decision: str | None, opinion: str,
              data: dict[str, Any] | None = None) -> None:
    actor = services.actor(username)
    completion = Completion(decision=decision, opinion=opinion, data=data or {})
    services.run(lambda session, runtime: (claim_task(session, runtime, actor, task.id), complete_task(
        session, runtime, actor, task.id, filled_in(session, runtime, actor, task.id, completion))))


def _each(services: ScenarioServices, case_id: int, step: str, role: str, decision: str | None,
          data: dict[str, Any] | None = None) -> None:
    """Every ready task of ``step``, each worked by its own department's user of ``role``."""
    tasks = services.ready_tasks(case_id, step)
    expect(tasks, f"办件当前没有待办环节“{step}”")
    for task in tasks:
        _complete(services, task, f"{role}_{task.department}", decision, BULK_OPINION, data)


@when("本阶段各事项的承办部门都作出“{decision}”决定")
@when("本阶段其余事项的承办部门都作出“{decision}”决定")
def every_item_decided(services: ScenarioServices, case_id: int, decision: str) -> None:
    """本阶段尚未办理的“并联审批”待办，由各承办部门的审查人员逐一作出同一决定（意见为“符合要求，同意”）。"""
    _each(services, case_id, "并联审批", "reviewer", DECISIONS[decision])


def _decide_item(services: ScenarioServices, case_id: int, username: str, item: str, decision: str,
                 opinion: str, data: dict[str, Any] | None = None) -> OneSealError | None:
    items = services.catalogue.items
    tasks = [t for t in services.ready_tasks(case_id, "并联审批") if t.item_code in items and items[t.item_code].name == item]
    expect(tasks, f"当前没有“{item}”的并联审批待办")
    try:
        _complete(services, tasks[0], username, DECISIONS[decision], opinion, data)
    except OneSealError as err:
        return err
    return None


@when("“{username}”对“{item}”作出“{decision}”决定，意见为“{opinion}”", produces="answer")
def item_decided(services: ScenarioServices, case_id: int, username: str, item: str, decision: str,
                 opinion: str) -> OneSealError | None:
    """某部门的审查人员在“并联审批”中对本阶段的某个事项作出决定（一个部门有几个事项时按事项选择）。"""
    return _decide_item(services, case_id, username, item, decision, opinion)


@when("“{username}”对“{item}”作出“准予”决定，许可范围为“{scope}”", produces="answer")
def item_approved_with_certificate(services: ScenarioServices, case_id: int, username: str, item: str,
                                   scope: str) -> OneSealError | None:
    """某部门的审查人员在“并联审批”中准予本阶段的某个事项，并写明印在证照上的许可范围（意见为“符合要求，同意”）；
    证照随即以本局电子印章签发。"""
    return _decide_item(services, case_id, username, item, "准予", BULK_OPINION, {"scope": scope})


@when("参加联合踏勘的各部门都给出“{finding}”的踏勘意见")
def every_department_surveyed(services: ScenarioServices, case_id: int, finding: str) -> None:
    """联合踏勘（联合现场核查）中每个参加部门的核查人员都给出同一结论。"""
    _each(services, case_id, "联合现场核查", "inspector", None, {"finding": finding})


@when("参加联合验收的各部门都作出“{decision}”决定")
def every_department_accepted(services: ScenarioServices, case_id: int, decision: str) -> None:
    """竣工联合验收中尚未办理的部门逐一作出同一验收决定（合格/不合格）。"""
    _each(services, case_id, "联合验收", "reviewer", DECISIONS[decision])


def _pass_stage(services: ScenarioServices, case_id: int, number: int, lead: str) -> None:
    (accept,) = [t for t in services.ready_tasks(case_id) if t.project_stage == number]
    _complete(services, accept, f"reviewer_{lead}", "approve", "材料齐全，予以受理")
    if services.ready_tasks(case_id, "联合现场核查"):
        _each(services, case_id, "联合现场核查", "inspector", None, {"finding": "合格"})
        (conclusion,) = services.ready_tasks(case_id, "形成联合核查结论")
        _complete(services, conclusion, f"inspector_{conclusion.department}", None, "联合踏勘合格",
                  {"finding": "合格"})
    _each(services, case_id, "并联审批", "reviewer", "approve")
    (conclude,) = services.ready_tasks(case_id, "阶段批复")
    _complete(services, conclude, f"leader_{lead}", "approve", "本阶段事项全部准予，同意通过")


@given("项目已依次通过前{count:d}个阶段")
def stages_passed(services: ScenarioServices, case_id: int, count: int) -> None:
    """从第一阶段起，各阶段由牵头部门受理、联合踏勘合格、各事项准予、牵头部门批复通过。"""
    for stage in _project(services, case_id)["stages"][:count]:
        _pass_stage(services, case_id, stage["number"], stage["lead"])


def _project(services: ScenarioServices, case_id: int) -> ProjectView:
    project = present(services.detail(case_id)["project"], "本办件不是工程建设项目")
    return project


def _stage(services: ScenarioServices, case_id: int, number: int) -> StageView:
    stages = _project(services, case_id)["stages"]
    expect(1 <= number <= len(stages), f"项目只有{len(stages)}个阶段，没有第{number}阶段")
    return stages[number - 1]


@then("项目各阶段的进度为：")
def progress_table(services: ScenarioServices, case_id: int, datatable: list[list[str]]) -> None:
    """各阶段的进度：表格六列为“阶段”“牵头部门”“时限”“已用工作日”“事项”（已办/总数）“状态”；未开始计时的阶段已用工作日写“—”。"""
    header, *rows = datatable
    expect_equal(header, ["阶段", "牵头部门", "时限", "已用工作日", "事项", "状态"])
    actual = [[s["name"], s["lead_name"], str(s["limit"]),
               "—" if s["working_days_used"] is None else str(s["working_days_used"]),
               f"{s['items_done']}/{s['items_total']}", s["status_label"]]
              for s in _project(services, case_id)["stages"]]
    expect_equal(actual, rows)


@then("第{number:d}阶段的办结时限为“{day}”")
def stage_due(services: ScenarioServices, case_id: int, number: int, day: str) -> None:
    """某阶段的办结时限（从牵头部门受理次日起算该阶段的工作日时限）。"""
    stage = _stage(services, case_id, number)
    expect_equal(stage["due_date"], day, stage)


@then("第{number:d}阶段已超期")
def stage_overdue(services: ScenarioServices, case_id: int, number: int) -> None:
    """某阶段已过（或办结时已过）其办结时限。"""
    stage = _stage(services, case_id, number)
    expect_equal(stage["overdue"], True, stage)


@then("第{number:d}阶段未超期")
def stage_on_time(services: ScenarioServices, case_id: int, number: int) -> None:
    """某阶段在其办结时限内（或在时限内办结）。"""
    stage = _stage(services, case_id, number)
    expect_equal(stage["overdue"], False, stage)


@then("项目共用{used:d}个工作日，各阶段时限合计{total:d}个工作日")
def project_days(services: ScenarioServices, case_id: int, used: int, total: int) -> None:
    """整个项目各阶段已用工作日之和，及各阶段时限之和。"""
    project = _project(services, case_id)
    expect_equal((project["working_days_used"], project["total_limit"]), (used, total), project)


@then("阶段之间不计时")
def no_clock_between_stages(services: ScenarioServices, case_id: int) -> None:
    """上一阶段已办结、下一阶段尚未受理：申请人准备材料期间，办件没有办结时限。"""
    detail = services.detail(case_id)
    expect_equal(detail["time_limit"]["due_date"], None, detail["time_limit"])
    project = present(detail["project"], "本办件不是工程建设项目")
    current = present(project["current_stage"], "项目已没有待办的阶段")
    expect_equal(project["stages"][current - 1]["status_label"], "待受理")


@then("第{number:d}阶段办结前须补齐：{names}")
def owed_before_conclusion(services: ScenarioServices, case_id: int, number: int, names: str) -> None:
    """某阶段批复（办结）前必须收齐的材料：以前各阶段容缺后补的次要材料（竣工验收：全部材料）。"""
    expect_equal([m["name"] for m in _stage(services, case_id, number)["owed"]], listed(names))


@then("第{number:d}阶段无须补齐任何材料")
def nothing_owed(services: ScenarioServices, case_id: int, number: int) -> None:
    """某阶段办结前已不欠任何材料。"""
    expect_equal(_stage(services, case_id, number)["owed"], [])


@then("“{step}”环节由“{department}”办理")
def step_department(services: ScenarioServices, case_id: int, step: str, department: str) -> None:
    """某个待办环节（如“阶段受理”“阶段批复”）的承办部门。"""
    tasks = [t for t in services.detail(case_id)["tasks"] if t["name"] == step]
    expect_equal([services.catalogue.department_name(t["department"]) for t in tasks], [department])


@then("第{number:d}阶段的“并联审批”包含以下事项：")
def stage_items(services: ScenarioServices, case_id: int, number: int, datatable: list[list[str]]) -> None:
    """某阶段并联办理的事项及承办部门（表格两列：“事项”“承办部门”）。"""
    header, *rows = datatable
    expect_equal(header, ["事项", "承办部门"])
    items = _stage(services, case_id, number)["items"]
    expect_equal([[i["name"], i["department_name"]] for i in items], rows)
