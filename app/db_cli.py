"""``oneseal db``: the database's schema — upgrade, downgrade, current revision, check against
the models, and new migration scripts (see docs/architecture.md, "Schema migrations")."""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from app.config import Settings
from app.domain.errors import OneSealError


def fail(err: OneSealError) -> NoReturn:
    click.echo(f"错误：{err.message}", err=True)
    for problem in err.details.get("problems", []) or []:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


def upgrade_database(url: str, revision: str = "head") -> None:
    """Upgrade and say what happened (``db upgrade`` and ``init-db``)."""
    from app.persistence.engine.migrate import FIRST_REVISION, upgrade

    try:
        result = upgrade(url, revision)
    except OneSealError as err:
        fail(err)
    if result.adopted:
        click.echo(f"数据库由迁移之前的发布版（0e509ab）建立：已记为迁移版本 {FIRST_REVISION}")
    before = FIRST_REVISION if result.adopted else result.before
    if before == result.after:
        click.echo(f"数据库已是版本 {result.after}，无需升级")
    else:
        click.echo(f"数据库已升级：{before or '空库'} → {result.after}")


@click.group("db", help="数据库结构：升级、当前版本、与模型核对、新迁移脚本")
def db() -> None:
    pass


@db.command("upgrade", help="把数据库升级到最新版本（或给定的 REVISION）；迁移之前的发布版（0e509ab）"
            "建立的数据库先记为 0001 再升级；整个升级在一个事务中，失败时数据库不变")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    upgrade_database(Settings.load().database_url, revision)


@db.command("downgrade", help="把数据库降级到 REVISION（如 0001；base 删除全部表）。会丢失之后版本的数据，先备份")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from app.persistence.engine.migrate import downgrade

    try:
        result = downgrade(Settings.load().database_url, revision)
    except OneSealError as err:
        fail(err)
    click.echo(f"数据库已降级：{result.before} → {result.after or '空库'}")


@db.command("current", help="数据库当前的迁移版本，以及是否为最新")
def db_current() -> None:
    from app.persistence.engine.migrate import database_revision, head_revision

    revision, head = database_revision(Settings.load().database_url), head_revision()
    if revision is None:
        click.echo(f"数据库没有迁移版本记录（最新版本 {head}）：请运行 oneseal db upgrade")
    elif revision == head:
        click.echo(f"当前版本：{revision}（最新）")
    else:
        click.echo(f"当前版本：{revision}；最新版本：{head}（请运行 oneseal db upgrade）")


@db.command("check", help="核对数据库与模型：版本为最新，表、列、类型、索引、约束及其名称、审计表的只追加保护"
            "全都一致；有差异时逐条列出并以 1 退出")
def db_check() -> None:
    from app.persistence.engine.schema_check import check_schema

    report = check_schema(Settings.load().database_url)
    for difference in report.differences:
        click.echo(f"  - {difference}")
    if not report.ok:
        click.echo(f"数据库结构与模型不一致：共 {len(report.differences)} 处（迁移版本 {report.revision or '无'}，"
                   f"最新 {report.head}）。模型改了就要有迁移脚本：见 docs/architecture.md")
        sys.exit(1)
    click.echo(f"数据库结构与模型一致：迁移版本 {report.revision}（最新）")


@db.command("revision", help="写下一个迁移脚本（编号接在最新版本之后）；--autogenerate 时由模型与数据库的差异生成，"
            "数据库须已是最新版本。生成的脚本务必人工核对")
@click.option("-m", "--message", required=True, help="这次结构变更的说明（英文，用作文件名）")
@click.option("--autogenerate", is_flag=True, help="由模型与当前数据库的差异生成")
def db_revision(message: str, autogenerate: bool) -> None:
    from app.persistence.engine.migrate import new_revision

    try:
        path = new_revision(Settings.load().database_url, message, autogenerate=autogenerate)
    except OneSealError as err:
        fail(err)
    if path is None:
        click.echo("模型与数据库没有差异，未生成迁移脚本")
        return
    click.echo(f"已生成迁移脚本：{path}")
