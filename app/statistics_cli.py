"""``oneseal stats``: the figures of a period as a table, CSV or JSON; ``stats rebuild`` computes
the daily roll-ups of a period again from the facts; ``stats supervise`` runs today's efficiency
supervision (效能监察) now. An edge like the web app: it owns the transactions."""
from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from app.config import Settings
from app.domain.errors import OneSealError


def _fail(err: OneSealError) -> None:
    click.echo(f"错误：{err.message}", err=True)
    for problem in err.details.get("problems", []) or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


def _context() -> tuple[Any, Any]:
    from app.persistence.engine.db import Database
    from app.services.runtime import build_runtime

    settings = Settings.load()
    try:
        return Database(settings.database_url), build_runtime(settings)
    except OneSealError as err:
        _fail(err)
        raise


@click.group(help="效能统计：期间内的收件、办结、按时办结率、平均用时等（默认本月）",
             invoke_without_command=True)
@click.option("--from", "first", metavar="YYYY-MM-DD", help="起始日期（含）")
@click.option("--to", "last", metavar="YYYY-MM-DD", help="结束日期（含）")
@click.option("--department", help="部门编码")
@click.option("--item", help="事项编码")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def stats(ctx: click.Context, first: str | None, last: str | None, department: str | None, item: str | None,
          fmt: str) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from app.services.actor import SYSTEM
    from app.services.statistics import export
    from app.services.statistics.figures import compute_figures
    from app.services.statistics.period import parse_period
    from app.services.statistics.rollup import catch_up

    db, runtime = _context()
    args = {k: v for k, v in (("from", first), ("to", last), ("department", department), ("item", item)) if v}
    try:
        with db.unit_of_work() as session:  # what changes have marked, computed again first
            catch_up(session, runtime.calendar)
        with db.session(write=False) as session:
            now = runtime.clock.now()
            figures = compute_figures(session, runtime, parse_period(args, SYSTEM, runtime.catalogue, now), now)
    except OneSealError as err:
        _fail(err)
    if fmt == "json":
        click.echo(export.to_json(figures))
    elif fmt == "csv":
        click.echo(export.to_csv(figures).removeprefix("\ufeff"), nl=False)
    else:
        click.echo(export.to_table(figures, runtime.catalogue.bureau_name))


@stats.command("rebuild", help="按事实数据（办件、计时暂停、补正通知）重新计算期间内每日的统计汇总（如工作日历调整后）")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD")
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD")
def rebuild_command(first: str, last: str) -> None:
    from app.services.statistics.rollup import rebuild

    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        click.echo("错误：日期应为 YYYY-MM-DD", err=True)
        sys.exit(1)
    if start > end:
        click.echo("错误：起始日期不能晚于结束日期", err=True)
        sys.exit(1)
    db, runtime = _context()
    with db.unit_of_work() as session:
        rows = rebuild(session, runtime.calendar, start, end)
    click.echo(f"已重新计算 {start} 至 {end} 的统计汇总：{rows} 行（日 × 部门 × 事项）")


@stats.command("supervise", help="立即运行今天的效能监察（每个工作日一次；oneseal worker 也会自动运行）")
def supervise_command() -> None:
    from app.services.statistics.supervision import run_daily_supervision

    db, runtime = _context()
    with db.unit_of_work() as session:
        report = run_daily_supervision(session, runtime, runtime.clock.now())
    click.echo(str(report))
