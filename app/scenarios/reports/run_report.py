"""A stored run as the files an auditor downloads: the Chinese HTML report and JUnit XML.

Both are made from the run's rows on demand (nothing is written to disk); the HTML is the same
standalone report ``oneseal scenarios run`` writes, the JUnit XML what CI tools read.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from xml.etree import ElementTree

from app.domain.timing.clock import BUREAU_ZONE
from app.persistence.tables.scenarios import ScenarioRun, ScenarioRunResult
from app.scenarios.reports.report import render_report
from app.scenarios.reports.results import RunSummary, ScenarioResult, StepResult
from app.services.processes.coverage import CoverageReport, CoverageReportDict


def _time(value: Any) -> str:
    return value.astimezone(BUREAU_ZONE).strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _source(row: ScenarioRunResult) -> str:
    if row.document_id is None:
        return "编辑器中的场景"
    return f"场景库 #{row.document_id} 第 {row.document_version} 版"


def summary_of(run: ScenarioRun, rows: Sequence[ScenarioRunResult]) -> RunSummary:
    scenarios = []
    for row in rows:
        steps = [StepResult(s["keyword"], s["text"], s["status"], s.get("expected"), s.get("actual"))
                 for s in row.steps]
        scenarios.append(ScenarioResult(node_id=str(row.id), feature=row.feature, feature_file=_source(row),
                                        name=row.name, example=dict(row.example), steps=steps, status=row.status,
                                        message=row.message, seconds=row.seconds))
    return RunSummary(started_at=_time(run.started_at or run.created_at), finished_at=_time(run.finished_at),
                      paths=sorted({s.feature_file for s in scenarios}), scenarios=scenarios)


def coverage_of(run: ScenarioRun) -> CoverageReport:
    if not run.coverage:
        return CoverageReport()
    return CoverageReport.from_dict(cast(CoverageReportDict, run.coverage))


def html_report(run: ScenarioRun, rows: Sequence[ScenarioRunResult]) -> str:
    return render_report(summary_of(run, rows), coverage_of(run))


def junit_xml(run: ScenarioRun, rows: Sequence[ScenarioRunResult]) -> str:
    suite = ElementTree.Element("testsuite", name=f"OneSeal场景运行#{run.id}", tests=str(len(rows)),
                                failures=str(sum(r.status == "failed" for r in rows)),
                                errors=str(sum(r.status == "error" for r in rows)),
                                skipped=str(sum(r.status == "not_run" for r in rows)),
                                time=f"{sum(r.seconds for r in rows):.3f}", timestamp=_time(run.started_at))
    for row in rows:
        case = ElementTree.SubElement(suite, "testcase", classname=row.feature, name=row.name,
                                      time=f"{row.seconds:.3f}")
        steps = "\n".join(f"{s['keyword']}{s['text']} —— {s['status']}" for s in row.steps)
        failed = next((s for s in row.steps if s["status"] == "failed"), None)
        if row.status == "failed" and failed is not None:
            node = ElementTree.SubElement(case, "failure", message=f"{failed['keyword']}{failed['text']}")
            node.text = f"预期：{failed.get('expected')}\n实际：{failed.get('actual')}"
        elif row.status == "error":
            node = ElementTree.SubElement(case, "error", message=(row.message or "出错")[:200])
            node.text = row.message or ""
        elif row.status == "not_run":
            ElementTree.SubElement(case, "skipped", message="未运行")
        ElementTree.SubElement(case, "system-out").text = steps
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suites, encoding="unicode")
