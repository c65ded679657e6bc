"""OpenAPI paths of the probes for load balancers: alive, and ready to serve."""
from __future__ import annotations

from typing import Any

from app.web.openapi.parts import ERROR, errors, ok

_CHECKS = {"type": "object", "description": "各项检查：database、schema（就绪时为迁移版本）、broker（未配置时为 not_configured）",
           "additionalProperties": {"type": "string"}}


def probe_paths() -> dict[str, Any]:
    return {
        "/api/v1/health": {"get": {
            "summary": "存活检查：进程能应答（不访问数据库）", "security": [],
            "responses": {**ok("存活", {"type": "object", "required": ["status"], "properties": {
                "status": {"const": "ok"}}}), **errors()}}},
        "/api/v1/ready": {"get": {
            "summary": "就绪检查：数据库可连接且结构为最新迁移版本；配置了 ONESEAL_BROKER_URL 时消息代理可连接",
            "security": [],
            "responses": {**ok("就绪", {"type": "object", "required": ["status", "checks"], "properties": {
                "status": {"const": "ready"}, "checks": _CHECKS}}), **errors(),
                "503": {"description": "未就绪：code 为 database_unreachable、schema_not_migrated、"
                                       "schema_not_at_head 或 broker_unreachable，message 说明如何处理",
                        "content": {"application/json": {"schema": ERROR}}}}}},
    }
