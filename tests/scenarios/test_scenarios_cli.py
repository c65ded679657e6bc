"""``oneseal scenarios``: a scenario an auditor writes runs without code changes, and the run
leaves a Chinese HTML report and JUnit XML; failures say what was expected and what happened."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from app.scenarios.reports.report import write_run
from app.scenarios.reports.results import RunSummary
from app.services.processes.coverage import CoverageReport, ProcessCoverage

ROOT = Path(__file__).resolve().parents[2]

NEW_SCENARIO = """# language: zh-CN
功能: 督查人员新写的检查
  场景: 出版物零售许可经受理、审查、决定后准予
    假如今天是“2026-04-01”
    而且综合窗口收到“新华书店城南店”申请“出版物零售业务经营许可”的全部材料
    当“window”在“受理”环节作出“受理”决定，意见为“材料齐全”
    而且“reviewer_culture_tourism”在“审查”环节作出“建议准予”决定，意见为“经营场所符合要求”
    而且“leader_culture_tourism”在“决定”环节作出“准予”决定，意见为“同意”
    那么办件状态为“制证中”
    而且办理结果为“准予许可”
    而且“auditor”可以查看办件的全部办理过程
    而且办件的每条审计事件都记录了操作人、时间、环节和变更后的数据
    而且审计链完整
"""

BROKEN_SCENARIOS = """# language: zh-CN
功能: 写错了的检查
  场景: 预期与实际不符
    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料
    那么办件状态为“审查中”
    而且办件没有待办环节

  场景: 用了目录里没有的句子
    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料
    那么申请人很满意
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as an auditor types it, in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESEAL_")}
    return subprocess.run([sys.executable, "-m", "app.cli", "scenarios", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_new_scenario_written_from_catalogued_steps_runs_without_code_changes(tmp_path):
    folder = tmp_path / "督查"
    folder.mkdir()
    (folder / "卫生许可.feature").write_text(NEW_SCENARIO, encoding="utf-8")
    out = tmp_path / "报告"
    result = _run("run", str(folder), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "场景 1 个：通过 1" in result.stdout and str(out / "report.html") in result.stdout

    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("场景运行报告", "全部通过", "功能：督查人员新写的检查", "出版物零售许可经受理、审查、决定后准予",
                 "“leader_culture_tourism”在“决定”环节作出“准予”决定", "流程路径覆盖率", "承诺件标准流程"):
        assert text in html, text
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties == {"功能": "督查人员新写的检查", "场景": "出版物零售许可经受理、审查、决定后准予"}
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in results["scenarios"]] == ["passed"]
    assert all(step["status"] == "passed" for step in results["scenarios"][0]["steps"])
    coverage = {p["process_id"]: p for p in json.loads((out / "coverage.json").read_text())["processes"]}
    assert "flow_to_make_certificate" in coverage["standard_promised"]["covered_flows"]
    assert "步骤目录" in (out / "steps.html").read_text(encoding="utf-8")


def test_failures_say_what_was_expected_and_what_happened_and_exit_non_zero(tmp_path):
    feature = tmp_path / "写错.feature"
    feature.write_text(BROKEN_SCENARIOS, encoding="utf-8")
    out = tmp_path / "out"
    result = _run("run", str(feature), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "未通过：写错了的检查 / 预期与实际不符" in result.stdout

    steps = {s["name"]: s["steps"] for s in json.loads((out / "results.json").read_text())["scenarios"]}
    wrong = steps["预期与实际不符"]
    assert [s["status"] for s in wrong] == ["passed", "failed", "not_run"]
    assert wrong[1]["expected"] == "那么办件状态为“审查中”"
    assert wrong[1]["actual"] == "实际与预期不符\n实际：'待受理'\n预期：'审查中'"
    undefined = steps["用了目录里没有的句子"][1]
    assert undefined["status"] == "undefined" and "步骤目录" in undefined["actual"]

    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("有 2 个场景未通过", "预期", "实际", "实际：&#39;待受理&#39;", "未定义", "未执行"):
        assert text in html, text
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "2")


def test_a_path_that_holds_no_scenario_is_refused_in_chinese(tmp_path):
    (tmp_path / "说明.txt").write_text("不是场景", encoding="utf-8")
    result = CliRunner().invoke(main, ["scenarios", "run", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "找不到场景文件" in result.output


def test_coverage_prints_the_figures_of_the_last_run(tmp_path):
    coverage = CoverageReport()
    coverage.add(ProcessCoverage("standard_promised", "承诺件标准流程", "h",
                                 {"flow_a": "受理 → 审查", "flow_b": "不予受理"}, {"review": "审查"},
                                 {"flow_a"}, {"review"}, 3))
    write_run(tmp_path, RunSummary("2026-03-02 09:30:00", "2026-03-02 09:30:05", [], []), coverage)
    result = CliRunner().invoke(main, ["scenarios", "coverage", "--from-report", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "承诺件标准流程（standard_promised）：流转 1/2（50.0%），任务 1/1（100.0%），涉及办件 3 件" in result.output
    assert "未覆盖的流转 flow_b（不予受理）" in result.output
    missing = CliRunner().invoke(main, ["scenarios", "coverage", "--from-report", "-o", str(tmp_path / "无")])
    assert missing.exit_code == 2 and "oneseal scenarios run" in missing.output
