"""Path coverage: flows taken and tasks completed, read from saved workflows and the XML."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.persistence.cases.tasks import ready_tasks_of_case
from app.services.access.auth import actor_for_username
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.decisions import build_evaluator
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from app.services.processes.coverage import CoverageReport, ProcessCoverage, collect
from app.workflow.checking.coverage import Trace, outline, trace
from app.workflow.definitions import DefinitionCatalogue, Document
from app.workflow.engine import WorkflowEngine
from app.workflow.checking.safe_xml import UnsafeXml

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = Path(__file__).parent / "diagrams"
STANDARD = (ROOT / "processes" / "standard_promised.bpmn", ROOT / "processes" / "site_inspection.bpmn")


class Runner:
    """Drives one diagram through the engine, saving and restoring between steps as cases do."""

    def __init__(self, process_id: str, *paths: Path, data: dict | None = None) -> None:
        evaluator = build_evaluator(None)[0]
        documents = [Document(path.name, path.read_bytes()) for path in paths]
        self.definition = DefinitionCatalogue(evaluator).compile(documents, process_id)
        self.engine = WorkflowEngine(evaluator, lambda: datetime.now(UTC))
        self.diagram = outline(documents[0].content, filename=documents[0].filename)
        self.run = self.engine.start(self.definition, data or {})

    def complete(self, element_id: str, **data: object) -> None:
        task = next(t for t in self.run.ready_tasks() if t.element_id == element_id)
        self.run.complete(task.id, data)
        self.run = self.engine.restore(self.definition, self.run.save())

    def trace(self) -> dict[str, Trace]:
        return trace(self.engine.serializer, self.definition, self.run.save())

    def flows(self, process_id: str | None = None) -> set[str]:
        return self.diagram.flows_of(self.trace()[process_id or self.definition.process_id].steps)


def test_outline_reads_flows_activities_and_names():
    diagram = outline((ROOT / "processes" / "standard_promised.bpmn").read_bytes())
    assert diagram.processes == {"standard_promised"}
    assert {"accept_application": "受理", "review_application": "审查", "decide_application": "决定",
            "inspect_site": "现场核查"}.items() <= diagram.activities.items()
    assert diagram.nodes["acceptance_gateway"] == "是否受理"
    assert "acceptance_gateway" not in diagram.activities
    flow = diagram.flows["flow_to_not_accepted_end"]
    assert (flow.name, flow.source, flow.target) == ("不予受理", "acceptance_gateway", "not_accepted_end")
    assert diagram.flows_between("acceptance_gateway", "review_application") == ("flow_to_review",)
    assert outline((DIAGRAMS / "paths.bpmn").read_bytes()).processes == {"paths", "sub", "called"}


def test_outline_uses_the_safe_parser():
    with pytest.raises(UnsafeXml):
        outline(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')


def test_branch_not_taken_is_not_covered_and_ready_task_is_reached_not_completed():
    runner = Runner("standard_promised", *STANDARD)
    runner.complete("accept_application", decision="approve")
    assert runner.flows() == {"flow_to_accept_application", "flow_to_acceptance_gateway", "flow_to_review"}
    completed = runner.trace()["standard_promised"].completed
    assert "review_application" not in completed  # ready, not done
    assert {"application_submitted", "accept_application", "acceptance_gateway"} <= completed

    runner = Runner("standard_promised", *STANDARD)
    runner.complete("accept_application", decision="reject")
    assert runner.flows() == {"flow_to_accept_application", "flow_to_acceptance_gateway", "flow_to_not_accepted_end"}
    assert "not_accepted_end" in runner.trace()["standard_promised"].completed


def test_parallel_branches_subprocesses_and_multi_instance_are_all_traced():
    runner = Runner("paths", DIAGRAMS / "paths.bpmn", data={"reviewers": ["甲", "乙"]})
    runner.complete("task_b")
    runner.complete("task_a")  # the join fires on the second branch; the first branch's join is cancelled
    runner.complete("sub_task")  # embedded subprocess: traced under its own id
    assert {"f_a_join", "f_b_join", "f_sub", "f_call"} <= runner.flows()
    assert runner.flows("sub") == {"f_sub_task", "f_sub_end"}
    assert runner.flows("called") == {"f_called_task"} and "f_mi" not in runner.flows()
    runner.complete("called_task")  # called process (call activity)
    for _ in range(2):
        runner.complete("mi")  # two instances of a multi-instance task
    traces = runner.trace()
    assert set(traces) == {"paths", "sub", "called"}
    taken = set().union(*(runner.diagram.flows_of(t.steps) for t in traces.values()))
    assert taken == set(runner.diagram.flows)
    assert set(runner.diagram.activities) <= set().union(*(t.completed for t in traces.values()))


def test_interrupted_task_counts_its_incoming_flow_but_is_not_completed():
    runner = Runner("boundary", DIAGRAMS / "boundary.bpmn")  # the timer fires at once
    assert runner.flows() == {"f1", "f3"}
    completed = runner.trace()["boundary"].completed
    assert "work" not in completed and "late" in completed
    runner.complete("escalate")
    assert runner.flows() == {"f1", "f3", "f4"}


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
    assert set(by_id) == {p.stem for p in (ROOT / "processes").glob("*.bpmn")}
    promised = by_id["standard_promised"]
    assert promised.cases == 2
    assert promised.covered_flows == {"flow_to_accept_application", "flow_to_acceptance_gateway",
                                      "flow_to_not_accepted_end"}
    assert promised.covered_tasks == {"accept_application"}
    flows, tasks = len(promised.flows), len(promised.tasks)
    assert promised.figure() == (f"流转 3/{flows}（{300 / flows:.1f}%），任务 1/{tasks}（{100 / tasks:.1f}%）")
    assert ("flow_to_review_gateway", "审查 → 审查意见") in promised.uncovered_flows()
    assert by_id["immediate"].cases == 0 and by_id["immediate"].flows_covered == 0
    assert by_id["site_inspection"].cases == 0  # no case got as far as the inspection


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

