"""Does a database's schema match the models? ``oneseal db check`` and the readiness probe ask.

A database passes when it is at the newest migration, Alembic finds no difference between it and
the models (tables, columns, types, nullability, indexes, unique constraints, foreign keys), every
constraint and index carries the name the models give it (which Alembic does not compare), and
the audit trail's append-only guard is in place. Run on a database just upgraded from empty, it
proves that the migrations build what the models describe.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint, inspect, text

from app.persistence.engine.migrate import comparison_options, current_revision, head_revision, migration_engine
from app.persistence.engine.base import Base
from app.persistence.tables.queue_counts import QUEUE_COUNT_TRIGGERS

#: the triggers that keep ``audit_events`` append-only, by database
AUDIT_GUARD_TRIGGERS = {
    "sqlite": {"audit_events_no_update", "audit_events_no_delete"},
    "postgresql": {"audit_events_no_change"},
}


@dataclass
class SchemaReport:
    revision: str | None
    head: str
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def check_schema(url: str) -> SchemaReport:
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return check_connection(connection)
    finally:
        engine.dispose()


def at_head(connection: Connection) -> tuple[str | None, str]:
    return current_revision(connection), head_revision()


def check_connection(connection: Connection) -> SchemaReport:
    revision, head = at_head(connection)
    report = SchemaReport(revision, head)
    if revision is None:
        report.differences.append(f"数据库没有迁移版本记录（最新版本 {head}）：请运行 oneseal db upgrade")
        return report
    if revision != head:
        report.differences.append(f"数据库的迁移版本是 {revision}，最新版本是 {head}：请运行 oneseal db upgrade")
    with warnings.catch_warnings():
        # SQLite's reflection skips indexes on an expression; their names are compared below
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(connection, opts=comparison_options())
        for difference in compare_metadata(context, Base.metadata):
            report.differences.extend(_describe(difference))
        report.differences.extend(_name_differences(connection))
    present = _triggers(connection)
    for trigger in sorted(AUDIT_GUARD_TRIGGERS.get(connection.dialect.name, set()) - present):
        report.differences.append(f"审计表的只追加保护缺失：触发器 {trigger}")
    if connection.dialect.name == "sqlite":  # the inbox reads the kept counts there
        for trigger in sorted(set(QUEUE_COUNT_TRIGGERS) - present):
            report.differences.append(f"待办计数的维护触发器缺失：触发器 {trigger}")
    if connection.dialect.name == "postgresql" and not connection.execute(
            text("SELECT 1 FROM pg_proc WHERE proname = 'oneseal_append_events'")).first():
        report.differences.append("审计记录的追加函数缺失：oneseal_append_events（请运行 oneseal db upgrade）")
    return report


def _describe(difference: Any) -> list[str]:
    if isinstance(difference, list):  # the changes of one column
        return [_describe_change(change) for change in difference]
    kind, *rest = difference
    obj = rest[-1] if kind not in ("add_column", "remove_column") else rest[2]
    if kind == "add_table":
        return [f"模型有而数据库没有的表：{obj.name}"]
    if kind == "remove_table":
        return [f"数据库有而模型没有的表：{obj.name}"]
    if kind == "add_column":
        return [f"模型有而数据库没有的列：{rest[1]}.{obj.name}"]
    if kind == "remove_column":
        return [f"数据库有而模型没有的列：{rest[1]}.{obj.name}"]
    where = getattr(getattr(obj, "table", None), "name", "?")
    what = {"add_index": "模型有而数据库没有的索引", "remove_index": "数据库有而模型没有的索引",
            "add_constraint": "模型有而数据库没有的唯一约束", "remove_constraint": "数据库有而模型没有的唯一约束",
            "add_fk": "模型有而数据库没有的外键", "remove_fk": "数据库有而模型没有的外键"}.get(kind, kind)
    columns = ", ".join(c.name if hasattr(c, "name") else str(c) for c in getattr(obj, "columns", []))
    return [f"{what}：{where}.{obj.name or ''}（{columns}）"]


def _describe_change(change: tuple[Any, ...]) -> str:
    kind, _schema, table, column, _existing, database, model = change
    if kind == "modify_nullable":
        def nullable(v: bool) -> str:
            return "可为空" if v else "不可为空"
        return f"列 {table}.{column} 可否为空不同：数据库{nullable(database)}，模型{nullable(model)}"
    if kind == "modify_type":
        return f"列 {table}.{column} 类型不同：数据库 {database}，模型 {model}"
    if kind == "modify_default":
        return f"列 {table}.{column} 默认值不同：数据库 {database}，模型 {model}"
    return f"列 {table}.{column} 不同（{kind}）：数据库 {database}，模型 {model}"


def _name_differences(connection: Connection) -> list[str]:
    """Constraint and index names: the models' (naming convention) against the database's."""
    inspector = inspect(connection)
    present_tables = set(inspector.get_table_names())
    problems = []
    for table in Base.metadata.sorted_tables:
        if table.name not in present_tables:
            continue
        wanted = {str(c.name) for c in table.constraints
                  if isinstance(c, PrimaryKeyConstraint | UniqueConstraint | ForeignKeyConstraint)}
        wanted |= {str(i.name) for i in table.indexes}
        found = {n for n in [inspector.get_pk_constraint(table.name).get("name")] if n}
        found |= {str(u["name"]) for u in inspector.get_unique_constraints(table.name) if u["name"]}
        found |= {str(f["name"]) for f in inspector.get_foreign_keys(table.name) if f["name"]}
        found |= _index_names(connection, table.name)
        problems += [f"表 {table.name} 缺少名为 {n} 的约束或索引" for n in sorted(wanted - found)]
        problems += [f"表 {table.name} 有模型中没有的约束或索引 {n}" for n in sorted(found - wanted)]
    return problems


def _index_names(connection: Connection, table: str) -> set[str]:
    if connection.dialect.name == "sqlite":  # its reflection skips indexes on an expression
        rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                       "AND tbl_name = :t AND sql IS NOT NULL"), {"t": table})
        return {r[0] for r in rows}
    return {str(i["name"]) for i in inspect(connection).get_indexes(table) if not i.get("duplicates_constraint")}


def _triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    elif connection.dialect.name == "postgresql":
        rows = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    else:
        return set()
    return {r[0] for r in rows}
