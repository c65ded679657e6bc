"""The ``oneseal`` command: serve, worker, beat, init-db, db, validate, audit, users, rules, calendar, stats."""
from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from app.cli_certificates import certificates, ensure_demo_seal, seal
from app.config import Settings
from app.db_cli import db, upgrade_database
from app.domain.errors import OneSealError
from app.scenarios.cli import scenarios
from app.statistics_cli import stats

if TYPE_CHECKING:  # imported where used, so the command line starts fast
    from app.domain.timing.working_days import WorkingDayCalendar


def _fail(err: OneSealError) -> NoReturn:
    click.echo(f"错误：{err}", err=True)
    for problem in err.details.get("problems", []) or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


@click.group(help="一枚印章管审批（OneSeal）命令行")
def main() -> None:
    from app.observability.logs import LOG_FORMATS, configure_logging, configured_elsewhere

    # every command logs as the service does: JSON lines with ONESEAL_LOG_FORMAT=json (a bad value
    # is refused when the settings are read); a host that set up logging (tests) keeps its own
    log_format = os.environ.get("ONESEAL_LOG_FORMAT", "text")
    if not configured_elsewhere():
        configure_logging(log_format if log_format in LOG_FORMATS else "text")
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the db commands say what they did


@main.command(help="启动服务：默认单进程（waitress）；--workers N 以 gunicorn 启动 N 个进程（Linux）")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="服务进程数；大于 1 时使用 gunicorn")
@click.option("--threads", default=None, type=click.IntRange(1, 256),
              help="每个进程的线程数（默认：单进程 waitress 为 8，多进程 gunicorn 为 2）")
@click.option("--graceful-timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="收到 SIGTERM 后等待处理中请求完成的秒数（gunicorn）")
@click.option("--server", type=click.Choice(["waitress", "gunicorn"]), default=None,
              help="指定服务器（默认：单进程 waitress，多进程 gunicorn）")
def serve(host: str, port: int, workers: int, threads: int | None, graceful_timeout: int, server: str | None) -> None:
    from app.serving import serve as run_server

    try:
        run_server(host=host, port=port, workers=workers, threads=threads, graceful_timeout=graceful_timeout,
                   server=server, announce=click.echo)
    except ValueError as err:  # a setting that does not hold (ONESEAL_LOG_FORMAT…)
        click.echo(f"错误：{err}", err=True)
        sys.exit(1)


@main.command(help="后台任务：触发到期的流程定时事件，检查办理时限（预警、超期督办），投递消息，每个工作日运行一次效能监察。"
                   "设置了 ONESEAL_BROKER_URL 时启动 Celery worker，否则在本进程内轮询")
@click.option("--once", is_flag=True, help="只运行一轮后退出（本进程内运行，适合由计划任务调用）")
@click.option("--interval", type=int, default=None, help="本进程内两轮之间的秒数（默认取 ONESEAL_WORKER_INTERVAL，30）")
@click.option("--beat", is_flag=True, help="同时运行 Celery beat（定时扫描）；整个部署只能有一个 beat")
@click.option("--concurrency", type=int, default=None, help="Celery worker 的进程数（默认为 CPU 核数）")
@click.option("--name", default=None, help="Celery worker 的节点名（默认 oneseal-<pid>@<主机名>）")
def worker(once: bool, interval: int | None, beat: bool, concurrency: int | None, name: str | None) -> None:
    settings = Settings.load()
    if settings.broker_url and not once:
        from app.jobs.broker import run_worker

        click.echo(f"Celery worker 已启动（队列 {settings.broker_prefix}" + ("，含 beat" if beat else "") + "）")
        run_worker(settings, beat=beat, concurrency=concurrency, name=name)
        return
    if beat:
        click.echo("错误：--beat 需要设置 ONESEAL_BROKER_URL", err=True)
        sys.exit(2)
    from app.persistence.engine.db import Database
    from app.services.runtime import build_runtime
    from app.worker import Worker

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


@main.command(help="只运行 Celery beat（定时发出扫描任务）：整个部署只运行一个")
def beat() -> None:
    settings = Settings.load()
    if not settings.broker_url:
        click.echo("错误：需要设置 ONESEAL_BROKER_URL", err=True)
        sys.exit(2)
    from app.jobs.broker import run_beat

    run_beat(settings)


@main.command("init-db", help="把数据库升级到最新版本（同 oneseal db upgrade）并部署随版本发布的流程；"
              "--demo 同时载入演示数据")
@click.option("--demo", is_flag=True, help="载入演示用户和演示办件（切勿用于生产库）")
def init_db(demo: bool) -> None:
    from app.persistence.engine.db import Database
    from app.scenarios.workshop.library import import_baseline
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
    upgrade_database(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            versions = deploy_shipped(session, runtime, SYSTEM)
            record_rules_versions(session, runtime, SYSTEM)
            created = load_demo(session, runtime, settings.demo_password) if demo else []
            baseline = import_baseline(session, runtime, SYSTEM)
    except OneSealError as err:
        _fail(err)
    click.echo(f"数据库已就绪：{len(versions)} 个流程已部署" + (f"，演示用户 {len(created)} 个" if demo else "")
               + (f"，基线场景 {baseline} 个已导入场景库" if baseline else ""))


@main.command(help="校验流程模型文件（与建模器和 API 相同的检查）；有错误时列出元素编号和名称并以 1 退出")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    from app.domain.design.findings import errors_in
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
    from app.persistence.audit.chain import chain_head, verify_chain
    from app.persistence.engine.db import Database

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
    from app.persistence.audit.chain import stored_hash

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
    from app.persistence.cases.rows import find_case_by_number
    from app.persistence.engine.db import Database
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
    for line in report.counts:
        click.echo(line)
    if report.drifts:
        click.echo(f"发现 {len(report.drifts)} 个办件的流程状态与待办不一致（共核对 {report.checked} 件）")
    if not report.ok:
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
    from app.persistence.engine.db import Database
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
main.add_command(db)
main.add_command(stats)

if __name__ == "__main__":  # pragma: no cover
    main()
main.add_command(seal)
main.add_command(certificates)
