"""The ``oneseal`` command: serve, init-db, validate, audit, users, rules, calendar."""
from __future__ import annotations

import gc
import logging
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from app.cli_certificates import certificates, ensure_demo_seal, seal
from app.config import Settings
from app.domain.errors import OneSealError
from app.scenarios.cli import scenarios

if TYPE_CHECKING:  # imported where used, so the command line starts fast
    from app.domain.working_days import WorkingDayCalendar


def _fail(err: OneSealError) -> NoReturn:
    click.echo(f"错误：{err}", err=True)
    for problem in err.details.get("problems", []) or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


@click.group(help="一枚印章管审批（OneSeal）命令行")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)


@main.command(help="启动服务")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from app import create_app

    app = create_app()
    # What start-up built and keeps (parsed diagrams, rules, calendar, catalogue) leaves the
    # collector's generations: full collections then scan only what requests create, and no
    # step pauses for tens of milliseconds (measured by scripts/simulate_projects.py).
    gc.collect()
    gc.freeze()
    click.echo(f"OneSeal 已启动：http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads, ident="OneSeal")


@main.command(help="后台任务：触发到期的流程定时事件，检查办理时限（预警、超期督办）")
@click.option("--once", is_flag=True, help="只运行一轮后退出（适合由计划任务调用）")
@click.option("--interval", type=int, default=None, help="两轮之间的秒数（默认取 ONESEAL_WORKER_INTERVAL，30）")
def worker(once: bool, interval: int | None) -> None:
    from app.persistence.db import Database
    from app.services.runtime import build_runtime
    from app.worker import Worker

    settings = Settings.load()
    try:
        runtime = build_runtime(settings)
    except OneSealError as err:
        _fail(err)
    runner = Worker(Database(settings.database_url), runtime)
    if once:
        click.echo(str(runner.run_pass()))
        return
    click.echo(f"后台任务已启动，每 {interval or settings.worker_interval} 秒检查一次（Ctrl+C 停止）")
    runner.run_forever(interval or settings.worker_interval)


@main.command("init-db", help="建立数据库结构并部署随版本发布的流程；--demo 同时载入演示数据")
@click.option("--demo", is_flag=True, help="载入演示用户和演示办件（切勿用于生产库）")
def init_db(demo: bool) -> None:
    from app.persistence.db import Database
    from app.services.actor import SYSTEM
    from app.services.audit.rules_changes import record_rules_versions
    from app.services.demo import load_demo
    from app.services.processes.modeler import deploy_shipped
    from app.services.runtime import build_runtime

    settings = Settings.load()
    if demo and ensure_demo_seal(settings):  # the demo issues certificates: it needs a seal
        click.echo(f"已建立演示印章：{settings.seal_folder}")
    try:
        runtime = build_runtime(settings)
    except OneSealError as err:
        _fail(err)
    db = Database(settings.database_url)
    if db.is_sqlite:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.create_schema()
    try:
        with db.unit_of_work() as session:
            versions = deploy_shipped(session, runtime, SYSTEM)
            record_rules_versions(session, runtime, SYSTEM)
            created = load_demo(session, runtime, settings.demo_password) if demo else []
    except OneSealError as err:
        _fail(err)
    click.echo(f"数据库已就绪：{len(versions)} 个流程已部署" + (f"，演示用户 {len(created)} 个" if demo else ""))


@main.command(help="校验流程模型文件（与建模器和 API 相同的检查）；有错误时列出元素编号和名称并以 1 退出")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    from app.domain.findings import errors_in
    from app.services.processes.files import validate_files

    labels = {"error": "错误", "warning": "警告", "info": "提示"}
    failed = False
    for result in validate_files(list(files), Settings.load()):
        for finding in result.findings:
            named = f"{finding.element_id}（{finding.element_name}）" if finding.element_name else finding.element_id
            where = "" if finding.element_id in finding.message else f"{named} "
            click.echo(f"{result.path}: {labels[finding.severity.value]} [{finding.code}] {where}{finding.message}")
        if errors_in(result.findings):
            failed = True
        else:
            click.echo(f"{result.path}: 通过")
    sys.exit(1 if failed else 0)


@main.group(help="审计")
def audit() -> None:
    pass


@audit.command("verify", help="重新计算审计事件的哈希链，指出第一处被篡改、删除、插入或调换的事件")
@click.option("--anchor", "anchors", multiple=True, metavar="编号:哈希",
              help="此前记下的链尾（如 120:3fa9…）；核对它仍在链中，可发现链尾被截断或整链被重算")
def audit_verify(anchors: tuple[str, ...]) -> None:
    from app.persistence.audit import chain_head, verify_chain
    from app.persistence.db import Database

    db = Database(Settings.load().database_url)
    with db.session(write=False) as session:
        checked, broken = verify_chain(session)
        head = chain_head(session)
        moved = [a for a in anchors if not _anchor_holds(session, a)]
    if broken is not None:
        click.echo(f"审计链断裂：事件 #{broken.event_id}，{broken.reason}（此前 {checked} 条完好）")
        sys.exit(1)
    for anchor in moved:
        click.echo(f"锚点不符：{anchor} 已不在链中（链尾被截断，或整条链被重算）")
    if moved:
        sys.exit(1)
    click.echo(f"审计链完整：已核验 {checked} 条事件")
    if head is not None:
        click.echo(f"链尾：{head.id}:{head.hash}（请在系统外记下，日后用 --anchor 核对）")


def _anchor_holds(session: Any, anchor: str) -> bool:
    from app.persistence.audit import stored_hash

    event_id, _, digest = anchor.partition(":")
    if not event_id.isdigit() or len(digest) != 64:
        raise click.BadParameter(f"锚点格式应为 编号:64位哈希：{anchor}", param_hint="--anchor")
    return stored_hash(session, int(event_id)) == digest.lower()


@main.group(help="检查")
def check() -> None:
    pass


@check.command("cases", help="核对每个办件的流程状态与待办：流程中待办的任务都在待办箱中，待办箱中的任务都仍待办；"
               "有不一致时逐件列出并以 1 退出")
@click.option("--case", "numbers", multiple=True, metavar="办件编号", help="只核对这些办件（可多次给出）")
def check_cases_command(numbers: tuple[str, ...]) -> None:
    from app.persistence.cases import find_case_by_number
    from app.persistence.db import Database
    from app.services.runtime import build_runtime
    from app.services.stepping.consistency import check_cases

    settings = Settings.load()
    try:
        runtime = build_runtime(settings)
    except OneSealError as err:
        _fail(err)
    db = Database(settings.database_url)
    with db.session(write=False) as session:
        ids = None
        if numbers:
            found = {n: find_case_by_number(session, n) for n in numbers}
            unknown = [n for n, c in found.items() if c is None]
            if unknown:
                raise click.BadParameter(f"办件不存在：{'、'.join(unknown)}", param_hint="--case")
            ids = [c.id for c in found.values() if c is not None]
        report = check_cases(session, runtime, ids)
    for drift in report.drifts:
        click.echo(drift.describe())
    if report.drifts:
        click.echo(f"发现 {len(report.drifts)} 个办件的流程状态与待办不一致（共核对 {report.checked} 件）")
        sys.exit(1)
    click.echo(f"流程状态与待办一致：已核对 {report.checked} 个办件")


@main.group(help="用户")
def users() -> None:
    pass


@users.command("set-password", help="为用户设置新密码（提示输入两次）；该用户的全部登录会话随即结束，接口凭证一并作废")
@click.argument("username")
@click.password_option("--password", prompt="新密码", confirmation_prompt="再次输入新密码",
                       help="新密码（省略时提示输入，不回显）")
def users_set_password(username: str, password: str) -> None:
    from app.persistence.db import Database
    from app.services.access.auth import set_password
    from app.services.actor import SYSTEM
    from app.services.runtime import build_runtime

    settings = Settings.load()
    try:
        runtime = build_runtime(settings)
        with Database(settings.database_url).unit_of_work() as session:
            ended = set_password(session, runtime, SYSTEM, username, password)
    except OneSealError as err:
        _fail(err)
    click.echo(f"已为 {username} 设置新密码；结束登录会话 {ended} 个，接口凭证已全部作废")


@main.group(help="规则")
def rules() -> None:
    pass


@rules.command("check", help="校验 rules/ 下的全部规则文件")
def rules_check() -> None:
    from app.rules_engine import check_rules_dir

    problems = check_rules_dir(Settings.load().rules_dir)
    for problem in problems:
        click.echo(str(problem))
    click.echo("规则文件全部通过" if not problems else f"共 {len(problems)} 处问题")
    sys.exit(1 if problems else 0)


@rules.command("explain", help="用给定事实（JSON）求值规则集并说明命中的规则")
@click.argument("ruleset")
@click.option("--facts", "facts_json", required=True, help='例如 {"requires_site_inspection": true, ...}')
def rules_explain(ruleset: str, facts_json: str) -> None:
    import json

    from app.rules_engine import load_rules_engine

    try:
        facts = json.loads(facts_json)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"facts 不是合法的 JSON：{err.msg}") from None
    try:
        decision = load_rules_engine(Settings.load().rules_dir).evaluate(ruleset, facts)
    except OneSealError as err:
        _fail(err)
    click.echo(decision.explain())
    click.echo(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))


@main.group(help="工作日历")
def calendar() -> None:
    pass


def _calendar() -> WorkingDayCalendar:
    from app.bureau_data.calendar_file import load_calendar

    try:
        return load_calendar(Settings.load().calendar_file)
    except OneSealError as err:
        _fail(err)


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{raw}") from None


@calendar.command("add-working-days", help="DATE 之后第 N 个工作日（受理当日不计）")
@click.argument("day")
@click.argument("count", type=click.IntRange(min=0))
def add_working_days(day: str, count: int) -> None:
    deadline = _calendar().add_working_days(_parse_date(day), count)
    click.echo(deadline.date.isoformat() + (" provisional" if deadline.provisional else ""))


@calendar.command("is-workday", help="DATE 是否为工作日：yes 或 no")
@click.argument("day")
def is_workday(day: str) -> None:
    click.echo("yes" if _calendar().is_workday(_parse_date(day)) else "no")


@calendar.command("import", help="导入国务院办公厅公布的下一年度放假安排")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="替换已导入的同一年度")
def import_schedule(source: Path, replace: bool) -> None:
    from app.bureau_data.calendar_file import import_official_schedule

    try:
        year = import_official_schedule(Settings.load().calendar_file, source, replace=replace)
    except OneSealError as err:
        _fail(err)
    click.echo(f"已导入 {year.year} 年放假安排")


main.add_command(scenarios)

if __name__ == "__main__":  # pragma: no cover
    main()
main.add_command(seal)
main.add_command(certificates)
