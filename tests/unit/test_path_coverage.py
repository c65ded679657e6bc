"""Path coverage: flows taken and tasks completed, read from saved workflows and the XML."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.persistence.tasks import ready_tasks_of_case
from app.services.auth import actor_for_username
from app.services.intake import Application, register_case
from app.services.path_coverage import CoverageReport, ProcessCoverage, collect
from app.services.task_work import Completion, claim_task, complete_task
from app.workflow.coverage import outline, trace
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine
from app.workflow.expressions import RestrictedEvaluator
from app.workflow.safe_xml import UnsafeXml

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = Path(__file__).parent / "diagrams"


class Runner:
    """Drives one diagram through the engine, saving and restoring between steps as cases do."""

    def __init__(self, path: Path, process_id: str) -> None:
        evaluator = RestrictedEvaluator()
        self.content = path.read_bytes()
        self.definition = DefinitionCatalogue(evaluator).compile([Document(path.name, self.content)], process_id)
        self.engine = WorkflowEngine(evaluator)
        self.diagram = outline(self.content, filename=path.name)
        self.run = self.engine.start(self.definition, {})

    def complete(self, element_id: str, **data: object) -> None:
        task = next(t for t in self.run.ready_tasks() if t.element_id == element_id)
        self.run.complete(task.id, data)
        self.run = self.engine.restore(self.definition, self.run.save())

    def trace(self):  # type: ignore[no-untyped-def]
        return trace(self.engine.serializer, self.definition, self.run.save(), self.diagram)


def test_outline_reads_flows_activities_and_names():
    diagram = outline((ROOT / "processes" / "standard_promised.bpmn").read_bytes())
    assert len(diagram.flows) == 10
    assert diagram.activities == {"accept_application": "受理", "review_application": "审查",
                                  "decide_application": "决定", "make_certificate": "制证",
                                  "issue_result": "出件"}
    assert diagram.nodes["acceptance_gateway"] == "是否受理"
    flow = diagram.flows["flow_to_not_accepted_end"]
    assert (flow.name, flow.source, flow.target) == ("不予受理", "acceptance_gateway", "not_accepted_end")
    assert diagram.flows_between("acceptance_gateway", "review_application") == ("flow_to_review",)


def test_outline_uses_the_safe_parser():
    with pytest.raises(UnsafeXml):
        outline(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')


def test_branch_not_taken_is_not_covered_and_ready_task_is_reached_not_completed():
    runner = Runner(ROOT / "processes" / "standard_promised.bpmn", "standard_promised")
    runner.complete("accept_application", decision="approve")
    exercised = runner.trace()
    assert exercised.flows == {"flow_to_accept_application", "flow_to_acceptance_gateway", "flow_to_review"}
    assert "review_application" not in exercised.completed  # ready, not done
    assert {"application_submitted", "accept_application", "acceptance_gateway"} <= exercised.completed

    runner = Runner(ROOT / "processes" / "standard_promised.bpmn", "standard_promised")
    runner.complete("accept_application", decision="reject")
    exercised = runner.trace()
    assert exercised.flows == {"flow_to_accept_application", "flow_to_acceptance_gateway",
                               "flow_to_not_accepted_end"}
    assert "not_accepted_end" in exercised.completed


def test_parallel_branches_subprocesses_and_multi_instance_are_all_traced():
    runner = Runner(DIAGRAMS / "paths.bpmn", "paths")
    runner.complete("task_b")
    runner.complete("task_a")  # the join fires on the second branch; the first branch's join is cancelled
    runner.complete("sub_task")  # embedded subprocess
    partway = runner.trace()
    assert {"f_a_join", "f_b_join", "f_sub", "f_sub_task", "f_sub_end", "f_call", "f_called_task"} <= partway.flows
    assert "f_called_end" not in partway.flows and "call" not in partway.completed
    runner.complete("called_task")  # called process (call activity)
    for _ in range(2):
        runner.complete("mi")  # two instances of a multi-instance task
    exercised = runner.trace()
    assert exercised.flows == set(runner.diagram.flows)
    assert set(runner.diagram.activities) <= exercised.completed


def test_interrupted_task_counts_its_incoming_flow_but_is_not_completed():
    runner = Runner(DIAGRAMS / "boundary.bpmn", "boundary")  # the timer fires at once
    exercised = runner.trace()
    assert exercised.flows == {"f1", "f3"}
    assert "work" not in exercised.completed and "late" in exercised.completed
    runner.complete("escalate")
    assert runner.trace().flows == {"f1", "f3", "f4"}


def test_collect_reads_every_case_of_a_database(ext):
    runtime = ext.runtime
    materials = [m.code for m in runtime.catalogue.item("XK-0001").materials]
    with ext.db.unit_of_work() as session:
        window = actor_for_username(session, "window")
        for applicant in ("张三餐饮店", "城南超市"):  # the first stays at 受理
            case = register_case(session, runtime, window, Application("XK-0001", {"name": applicant}, materials))
        task = ready_tasks_of_case(session, case.id)[0]
        claim_task(session, runtime, window, task.id)
        complete_task(session, runtime, window, task.id, Completion(decision="reject", opinion="不属于本机关"))
    with ext.db.session(write=False) as session:
        report = collect(session, runtime)
    by_id = {entry.process_id: entry for entry in report.by_process()}
    assert set(by_id) == {"standard_promised", "immediate"}
    promised = by_id["standard_promised"]
    assert promised.cases == 2
    assert promised.covered_flows == {"flow_to_accept_application", "flow_to_acceptance_gateway",
                                      "flow_to_not_accepted_end"}
    assert promised.covered_tasks == {"accept_application"}
    assert promised.figure() == "流转 3/10（30.0%），任务 1/5（20.0%）"
    assert ("flow_to_decide", "审查 → 决定") in promised.uncovered_flows()
    assert by_id["immediate"].cases == 0 and by_id["immediate"].flows_covered == 0


def test_reports_merge_and_round_trip_through_json():
    def entry(flows: set[str], cases: int) -> ProcessCoverage:
        return ProcessCoverage("p", "流程", "h", {"a": "甲", "b": "乙"}, {"t": "任务"}, flows, set(), cases)

    report = CoverageReport()
    report.add(entry({"a"}, 1))
    other = CoverageReport()
    other.add(entry({"b"}, 2))
    report.merge(other)
    merged = CoverageReport.from_dict(report.to_dict()).by_process()[0]
    assert (merged.covered_flows, merged.cases, merged.flows_covered) == ({"a", "b"}, 3, 2)
    assert report.lines() == ["流程（p）：流转 2/2（100.0%），任务 0/1（0.0%），涉及办件 3 件",
                              "  未覆盖的任务 t（任务）"]

