"""Writing a run's reports: Chinese HTML an auditor opens, JSON for the web pages.

The HTML files are standalone (styles inline, no scripts), so they open from a folder, an
e-mail attachment or the auditors' page alike. File names are fixed so the web UI can find the
latest run in the reports directory.
"""
from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.scenarios.language.catalogue import INTRO, StepSection, to_markdown
from app.scenarios.reports.results import RunSummary
from app.services.processes.coverage import CoverageReport

REPORT_HTML = "report.html"
RESULTS_JSON = "results.json"
JUNIT_XML = "junit.xml"
COVERAGE_JSON = "coverage.json"
STEPS_HTML = "steps.html"
STEPS_MD = "steps.md"

_templates = Environment(loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_report(summary: RunSummary, coverage: CoverageReport) -> str:
    return _templates.get_template("report.html").render(summary=summary, coverage=coverage)


def render_steps(sections: list[StepSection]) -> str:
    return _templates.get_template("steps.html").render(sections=sections, intro=INTRO)


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # readers (the web page) never see half a file


def write_run(output: Path, summary: RunSummary, coverage: CoverageReport) -> None:
    output.mkdir(parents=True, exist_ok=True)
    _write(output / RESULTS_JSON, json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
    _write(output / COVERAGE_JSON, json.dumps(coverage.to_dict(), ensure_ascii=False, indent=1))
    _write(output / REPORT_HTML, render_report(summary, coverage))


def write_steps(output: Path, sections: list[StepSection]) -> None:
    output.mkdir(parents=True, exist_ok=True)
    _write(output / STEPS_HTML, render_steps(sections))
    _write(output / STEPS_MD, to_markdown(sections))


def read_summary(output: Path) -> RunSummary | None:
    try:
        return RunSummary.from_dict(json.loads((output / RESULTS_JSON).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
