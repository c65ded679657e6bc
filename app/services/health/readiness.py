"""Readiness: the database answers and its schema is at the newest migration, and the broker
answers when one is configured. Each failure has a machine code and says in Chinese what to do."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.persistence.engine.migrate import head_revision, stored_revision

#: seconds the broker has to answer a PING
BROKER_TIMEOUT = 0.5


@dataclass
class Readiness:
    #: what was checked and how it went: database, schema, broker
    checks: dict[str, str] = field(default_factory=dict)
    #: the first failure: its machine code and message; None when ready
    code: str | None = None
    message: str | None = None

    @property
    def ready(self) -> bool:
        return self.code is None

    def fail(self, check: str, code: str, message: str) -> Readiness:
        self.checks[check] = "failed"
        if self.code is None:
            self.code, self.message = code, message
        return self


def check_readiness(session: Session, broker_url: str) -> Readiness:
    result = Readiness()
    try:
        revision = stored_revision(session)
    except SQLAlchemyError:
        return result.fail("database", "database_unreachable", "数据库无法连接")
    result.checks["database"] = "ok"
    head = head_revision()
    if revision is None:
        result.fail("schema", "schema_not_migrated", f"数据库尚未建立迁移版本（最新 {head}）：请运行 oneseal db upgrade")
    elif revision != head:
        result.fail("schema", "schema_not_at_head",
                    f"数据库结构版本是 {revision}，本版本需要 {head}：请运行 oneseal db upgrade")
    else:
        result.checks["schema"] = revision
    if not broker_url:
        result.checks["broker"] = "not_configured"
    elif (problem := ping_broker(broker_url)) is not None:
        result.fail("broker", "broker_unreachable", f"消息代理（ONESEAL_BROKER_URL）无法连接：{problem}")
    else:
        result.checks["broker"] = "ok"
    return result


def ping_broker(url: str, timeout: float = BROKER_TIMEOUT) -> str | None:
    """A Redis PING within ``timeout`` seconds; None when it answered, else what went wrong."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return f"只支持 Redis（redis://…），配置的是 {url.split(':', 1)[0]}"
    import redis

    client: Any = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as err:
        return type(err).__name__
    finally:
        client.close()
    return None
