"""OpenAPI paths of the audit trail (审计轨迹): search and the two exports, for auditors and admins."""
from __future__ import annotations

from typing import Any

from app.services.audit.trail import ACTION_LABELS, MAX_PAGE_SIZE
from app.web.openapi.parts import errors, ok, page_params, query

_EVENT = {"$ref": "#/components/schemas/AuditEvent"}
_CRITERIA = [
    query("case", {"type": "string", "maxLength": 64}, "办件编号"),
    query("actor", {"type": "string", "maxLength": 64}, "操作人用户名"),
    query("action", {"type": "string", "maxLength": 64, "examples": sorted(ACTION_LABELS)}, "动作代码"),
    query("from", {"type": "string", "format": "date"}, "起始日期（北京时间，含当日）"),
    query("to", {"type": "string", "format": "date"}, "结束日期（北京时间，含当日）"),
]


def audit_paths() -> dict[str, Any]:
    return {
        "/api/v1/audit/events": {"get": {
            "summary": "检索审计轨迹（审计督查人员、管理员）", "parameters": [*_CRITERIA, *page_params(MAX_PAGE_SIZE)],
            "responses": {**ok("一页事件", {"type": "object", "required": ["items", "total", "page", "pages"],
                                         "properties": {"items": {"type": "array", "items": _EVENT},
                                                        "total": {"type": "integer"}, "page": {"type": "integer"},
                                                        "page_size": {"type": "integer"},
                                                        "pages": {"type": "integer"}}}),
                          **errors(401, 403)}}},
        "/api/v1/audit/events.csv": {"get": {
            "summary": "导出符合条件的全部事件为 CSV（UTF-8 带 BOM，中文表头）", "parameters": _CRITERIA,
            "responses": {"200": {"description": "CSV 文件", "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **errors(401, 403)}}},
        "/api/v1/audit/events.json": {"get": {
            "summary": "导出符合条件的全部事件为 JSON（各字段与计算哈希时相同，可在系统外复核）",
            "parameters": _CRITERIA,
            "responses": {**ok("事件数组", {"type": "array", "items": _EVENT}), **errors(401, 403)}}},
    }
