"""场景工坊：审计人员编写场景，在沙箱中运行
The auditors' workshop as the scenarios see it: a scenario written into the library, run in a
sandbox of the scenario's own bureau, its result, and what the run left behind (nothing)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.domain.errors import OneSealError
from app.persistence.audit import scenarios as scenario_store
from app.persistence.models import Case
from app.persistence.tables.scenarios import ScenarioRun
from app.scenarios.running.expect import ExpectationFailed, expect, expect_answer, expect_equal, expect_in
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.sandbox import SANDBOX_FLAG, SandboxFactory
from app.scenarios.running.services import ScenarioServices

#: a scenario of the library may itself run the library (the shipped 场景工坊 does), once and no deeper
MAX_DEPTH = 2


def _depth(services: ScenarioServices) -> int:
    depth = int(services.app.config.get(SANDBOX_FLAG, 0))
    if depth >= MAX_DEPTH:
        raise ExpectationFailed("场景沙箱中运行的场景不能再运行场景库（最多嵌套一层）")
    return depth


def _document(services: ScenarioServices, name: str) -> Any:
    found = [d for d in services.read(scenario_store.all_documents) if d.name == name]
    expect(found, f"场景库中没有名为“{name}”的场景")
    return found[0]


def _text(name: str, rows: list[list[str]]) -> str:
    lines = ["# language: zh-CN", f"功能: {name}", f"  场景: {name}"]
    lines += [f"    {row[0]}" for row in rows if row and row[0].strip()]
    return "\n".join(lines) + "\n"


@given("“{username}”在场景库中编写场景“{name}”，步骤为：")
def write_scenario(services: ScenarioServices, username: str, name: str, datatable: list[list[str]]) -> None:
    """审计人员把表格中的句子（每行一步）作为一个场景保存到场景库。"""
    from app.scenarios.workshop.library import create_document

    actor = services.actor(username)
    services.run(lambda session, runtime: create_document(session, runtime, actor, name=name,
                                                          text=_text(name, datatable)))


@when("“{username}”修改场景库中的“{name}”，把“{old}”改为“{new}”")
def edit_scenario(services: ScenarioServices, username: str, name: str, old: str, new: str) -> None:
    """审计人员修改场景中的文字，保存为新版本。"""
    from app.scenarios.workshop.library import save_version

    actor = services.actor(username)
    document = _document(services, name)
    revision = services.read(lambda session: scenario_store.get_revision(session, document.id,
                                                                         document.current_version))
    expect_in(old, revision.text)
    services.run(lambda session, runtime: save_version(
        session, runtime, actor, document.id, text=revision.text.replace(old, new),
        base_version=document.current_version))


@when("“{username}”运行场景库中的“{name}”", produces="answer")
def run_scenario(services: ScenarioServices, username: str, name: str) -> ScenarioRun | OneSealError:
    """审计人员运行场景库中的一个场景：在沙箱（临时数据库）中运行，等它结束。"""
    from app.scenarios.workshop.runs import execute_run, start_run

    depth = _depth(services)
    actor = services.actor(username)
    document = _document(services, name)
    try:
        run_id = services.run(lambda session, runtime: start_run(session, runtime, actor,
                                                                 scenario_ids=[document.id]).id)
    except OneSealError as err:
        return err
    factory = SandboxFactory(services.runtime, services.db.url, depth=depth + 1)
    try:
        execute_run(services.db, services.runtime, factory, run_id)
    finally:
        factory.close()
    return services.read(lambda session: scenario_store.get_run(session, run_id))


def _run(answer: object) -> ScenarioRun:
    return expect_answer(answer, ScenarioRun, "一次场景运行")


@then("场景运行结果为“{label}”")
def run_status(answer: object, label: str) -> None:
    """场景运行的结果：全部通过、有场景未通过、运行出错。"""
    from app.scenarios.workshop.runs import RUN_STATUS

    run = _run(answer)
    expect_equal(RUN_STATUS.get(run.status, run.status), label, run.message)


@then("第{number:d}步未通过，实际为“{text}”")
def failed_step(services: ScenarioServices, answer: object, number: int, text: str) -> None:
    """运行的场景在第几步失败，实际情况包含给定文字。"""
    run = _run(answer)
    rows = services.read(lambda session: scenario_store.results(session, run.id))
    steps = [s for row in rows for s in row.steps]
    expect(0 < number <= len(steps), f"场景只有 {len(steps)} 步")
    step = steps[number - 1]
    expect_equal(step["status"], "failed", [s["status"] for s in steps])
    expect_in(text, step["actual"] or "")


@then("场景运行的问题中写明“{text}”")
def run_problem(services: ScenarioServices, answer: object, text: str) -> None:
    """场景有误未运行时，指出的问题（逐行）包含给定文字。"""
    run = _run(answer)
    rows = services.read(lambda session: scenario_store.results(session, run.id))
    expect_in(text, "\n".join(row.message or "" for row in rows))


@then("场景库中的“{name}”为第{number:d}版")
def library_version(services: ScenarioServices, name: str, number: int) -> None:
    """场景库中某场景的当前版本号。"""
    expect_equal(_document(services, name).current_version, number)


@then("系统中的办件共{count:d}件")
def case_count(services: ScenarioServices, count: int) -> None:
    """本系统数据库中的办件总数（场景在沙箱中登记的办件不计在内）。"""
    expect_equal(services.read(lambda session: session.scalar(select(func.count()).select_from(Case))), count)
