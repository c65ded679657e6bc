"""``oneseal scenarios``: run the Chinese scenarios, print path coverage, list the steps."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.config import Settings
from app.domain.errors import OneSealError

if TYPE_CHECKING:  # imported where used, so the command line starts fast
    from app.scenarios.running.runner import RunOutcome

_OUTPUT = click.option("--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path),
                       default=None, help="报告目录（默认 reports/，即 ONESEAL_REPORTS_DIR）")
_DATABASE = click.option("--database-url", default=None,
                         help="在此 PostgreSQL 服务器上为本次运行新建临时数据库（默认每个场景一个 SQLite 文件）")


def _output(output: Path | None) -> Path:
    return output or Settings.load().reports_dir


def _run(paths: tuple[Path, ...], output: Path, database_url: str | None,
         print_coverage: bool = True) -> RunOutcome:
    from app.scenarios.running.runner import run_scenarios

    try:
        return run_scenarios(list(paths), output, database_url=database_url, print_coverage=print_coverage)
    except OneSealError as err:
        click.echo(f"错误：{err.message}", err=True)
        sys.exit(2)


@click.group(help="场景（中文 BDD）：运行并出报告、流程路径覆盖率、步骤目录")
def scenarios() -> None:
    pass


@scenarios.command("run", help="运行场景（默认 tests/features 下全部），写出中文 HTML 报告和 JUnit XML；有失败时以非零退出")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_OUTPUT
@_DATABASE
def run(paths: tuple[Path, ...], output: Path | None, database_url: str | None) -> None:
    from app.scenarios.reports.report import JUNIT_XML, REPORT_HTML

    target = _output(output)
    outcome = _run(paths, target, database_url)
    summary = outcome.summary
    click.echo(f"场景 {len(summary.scenarios)} 个：通过 {summary.count('passed')}，失败 {summary.count('failed')}，"
               f"出错 {summary.count('error')}，跳过 {summary.count('skipped')}")
    for scenario in summary.scenarios:
        if scenario.status in ("failed", "error"):
            click.echo(f"  未通过：{scenario.feature} / {scenario.name}")
    click.echo(f"报告：{target.resolve() / REPORT_HTML}")
    click.echo(f"JUnit XML：{target.resolve() / JUNIT_XML}")
    sys.exit(outcome.exit_code if outcome.exit_code else (0 if summary.ok else 1))


@scenarios.command("coverage", help="运行全部场景并按流程列出路径覆盖率（流转、任务，及未覆盖的元素）")
@_OUTPUT
@_DATABASE
@click.option("--from-report", is_flag=True, help="不运行场景，读取报告目录中上一次运行的覆盖率")
def coverage(output: Path | None, database_url: str | None, from_report: bool) -> None:
    from app.scenarios.reports.report import COVERAGE_JSON
    from app.services.processes.coverage import read_report

    target = _output(output)
    exit_code = 0
    if from_report:
        report = read_report(target / COVERAGE_JSON)
        if report is None:
            click.echo(f"报告目录中没有覆盖率数据（{target / COVERAGE_JSON}），请先运行 oneseal scenarios run", err=True)
            sys.exit(2)
    else:
        outcome = _run((), target, database_url, print_coverage=False)
        report = outcome.coverage
        exit_code = outcome.exit_code or (0 if outcome.summary.ok else 1)
        if exit_code:
            click.echo("注意：有场景未通过，覆盖率只计入已执行的部分", err=True)
    click.echo("流程路径覆盖率：")
    for line in report.lines():
        click.echo(line)
    sys.exit(exit_code)


@scenarios.command("steps", help="由步骤定义生成步骤目录（Markdown 或 HTML）")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入文件（默认输出到屏幕）")
def steps(fmt: str, output: Path | None) -> None:
    from app.scenarios.language.catalogue import load_catalogue, to_markdown
    from app.scenarios.reports.report import render_steps

    sections = load_catalogue()
    text = to_markdown(sections) if fmt == "markdown" else render_steps(sections)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"步骤目录已写入 {output}")


@scenarios.command("import-baseline", help="把随版本发布的场景（tests/features）导入场景库，只读；内容有变化的添加新版本")
def import_baseline_command() -> None:
    from app.persistence.engine.db import Database
    from app.scenarios.workshop.library import import_baseline
    from app.services.actor import SYSTEM
    from app.services.runtime import build_runtime

    settings = Settings.load()
    db = Database(settings.database_url)
    with db.unit_of_work() as session:
        count = import_baseline(session, build_runtime(settings), SYSTEM)
    click.echo(f"基线场景：导入或更新 {count} 个")


@scenarios.command("nightly", help="在沙箱中运行整个场景库（针对当前部署的流程）；未通过时记为故障（incident）并以 1 退出。"
                                   "供计划任务每晚调用")
def nightly() -> None:
    from app.persistence.engine.db import Database
    from app.scenarios.workshop.runs import RUN_STATUS, execute_run, start_nightly
    from app.scenarios.running.sandbox import SandboxFactory
    from app.services.actor import SYSTEM
    from app.services.processes.deployed import warm_cache
    from app.services.runtime import build_runtime

    settings = Settings.load()
    runtime = build_runtime(settings)
    db = Database(settings.database_url)
    with db.session(write=False) as session:
        warm_cache(session, runtime)
    with db.unit_of_work() as session:
        run = start_nightly(session, runtime, SYSTEM)
        run_id = run.id if run is not None else None
    if run_id is None:
        click.echo("场景库中没有场景")
        return
    factory = SandboxFactory(runtime, db.url)
    try:
        status = execute_run(db, runtime, factory, run_id) or "error"
    finally:
        factory.close()
    click.echo(f"夜间场景运行 #{run_id}：{RUN_STATUS.get(status, status)}")
    sys.exit(0 if status == "passed" else 1)
