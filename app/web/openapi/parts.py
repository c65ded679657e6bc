"""The pieces every path of the OpenAPI document shares: responses, parameters, schemas."""
from __future__ import annotations

from typing import Any

from app.web.edge.request_input import MAX_ID, MAX_PAGE

ERROR = {"$ref": "#/components/schemas/Error"}
TASK = {"$ref": "#/components/schemas/Task"}
CASE = {"$ref": "#/components/schemas/Case"}
CASE_BRIEF = {"$ref": "#/components/schemas/CaseBrief"}
FINDINGS = {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}

_LABELS = {400: "输入有误（含请求中的非法字符、过深或过大的 JSON）", 401: "未登录", 403: "无权操作",
           404: "不存在（编号超出范围的也不存在）", 409: "冲突（已办理、已被签收、已过期）",
           413: "请求体过大", 422: "流程无法继续", 429: "失败次数过多，请稍后再试", 503: "系统繁忙，可稍后重试"}


def errors(*codes: int) -> dict[str, Any]:
    """Error responses; every operation can answer 400 (the edge's checks) and 503 (busy)."""
    return {str(c): {"description": _LABELS[c], "content": {"application/json": {"schema": ERROR}}}
            for c in sorted({400, 503, *codes})}


def ok(description: str, schema: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    content = {"application/json": {"schema": schema or {"type": "object"}}}
    return {status: {"description": description, "content": content}}


def json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def path_id(name: str, description: str) -> dict[str, Any]:
    """A server-made id in the path: 1 to 2^31 − 1 (a larger one cannot exist: 404)."""
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "example": 1}


def query(name: str, schema: dict[str, Any], description: str = "", required: bool = False) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": required, "schema": schema}
    return {**parameter, "description": description} if description else parameter


def page_params(max_size: int) -> list[dict[str, Any]]:
    return [query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "页码，从 1 开始"),
            query("page_size", {"type": "integer", "minimum": 1, "maximum": max_size}, "每页条数")]


IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "minLength": 1, "maxLength": 128},
               "description": "重放同一键的请求返回首次结果且不重复写入（响应头 Idempotent-Replay: true）；"
                              "首次请求仍在处理时，重试会等待其结果并原样返回；等待超过 10 秒返回 409 "
                              "request_in_progress 和 Retry-After，客户端可稍后以同一键重试；"
                              "同一键用于不同请求体返回 409 idempotency_key_reused"}
PREFER = {"name": "Prefer", "in": "header", "required": False,
          "schema": {"type": "string", "maxLength": 200, "example": "return=minimal"},
          "description": "return=minimal（RFC 7240）：只返回办件编号、状态、结果、版本和当前待办（CaseBrief），"
                         "不含详情与办理历史，响应头 Preference-Applied: return=minimal；"
                         "不带此头时返回完整办件。需要详情时再 GET /api/v1/cases/{case_id}"}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "description": "任务编号",
           "schema": {"type": "string", "minLength": 1, "maxLength": 36}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}},
    "Task": {"type": "object", "required": ["id", "name", "role", "department"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "element_id": {"type": "string"},
        "role": {"type": "string"}, "department": {"type": "string"},
        "status": {"type": "string"}, "claimed_by": {"type": ["string", "null"]},
        "candidates": {"type": "array", "items": {"type": "string"}}}},
    "Finding": {"type": "object", "required": ["severity", "code", "message"], "properties": {
        "severity": {"enum": ["error", "warning", "info"]}, "code": {"type": "string"},
        "message": {"type": "string"}, "element_id": {"type": ["string", "null"]},
        "element_name": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]}}},
    "Refusal": {"type": "object", "required": ["code", "message", "findings"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"},
        "findings": FINDINGS}},
    "Case": {"type": "object", "required": ["id", "number", "status"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "status": {"type": "string"},
        "result": {"type": ["string", "null"]}, "version": {"type": "integer"},
        "tasks": {"type": "array", "items": TASK}, "history": {"type": "array", "items": {"type": "object"}}}},
    "CaseBrief": {"type": "object", "required": ["id", "number", "status", "version", "tasks"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"}, "status": {"type": "string"},
        "result": {"type": ["string", "null"]}, "version": {"type": "integer"},
        "query_code": {"type": ["string", "null"]}, "tasks": {"type": "array", "items": TASK}}},
    "AuditEvent": {"type": "object", "required": ["id", "occurred_at", "actor", "action", "hash"], "properties": {
        "id": {"type": "integer"}, "occurred_at": {"type": "string"}, "actor": {"type": "string"},
        "action": {"type": "string"}, "action_label": {"type": "string"},
        "case_id": {"type": ["integer", "null"]}, "case_number": {"type": ["string", "null"]},
        "element_id": {"type": ["string", "null"]}, "before": {}, "after": {},
        "prev_hash": {"type": ["string", "null"]}, "hash": {"type": "string"},
        "request_id": {"type": ["string", "null"]}}},
}
