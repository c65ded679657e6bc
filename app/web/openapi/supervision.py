"""OpenAPI paths of the supervision push (监管推送): endpoints, findings, the desk."""
from __future__ import annotations

from typing import Any

from app.domain.licences.supervision_push import DeliveryState, EventType, FindingAction, FindingState
from app.services.supervision_push.desk import MAX_PAGE
from app.services.supervision_push.endpoints import MAX_ITEMS, MAX_SECRET, MAX_URL, MIN_SECRET
from app.services.supervision_push.findings import (
    MAX_CHANGE_TEXT,
    MAX_EVIDENCE,
    MAX_EVIDENCE_NAME,
    MAX_EVIDENCE_TEXT,
    MAX_REASON,
)
from app.web.openapi.parts import errors, json_body, ok, page_params, path_id, query

_DEPARTMENT = {"name": "department", "in": "path", "required": True, "description": "部门编码，如 market",
               "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z][a-z0-9_]*$"},
               "example": "market"}
_TEXT = {"type": "string", "maxLength": 64}
_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "description": "必填：重发同一键返回首次结果，不重复立案"}
_SIGNATURE = {"name": "OneSeal-Signature", "in": "header", "required": False,
              "schema": {"type": "string", "maxLength": 200},
              "description": "部门系统以签名代替用户凭证：t=<Unix 秒>,v1=<以部门密钥对 \"<t>.<原始请求体>\" 的 "
                             "HMAC-SHA256 十六进制>；同时带 OneSeal-Department。时间相差超过 300 秒拒绝（401）"}
_SIGNED_BY = {"name": "OneSeal-Department", "in": "header", "required": False,
              "schema": {"type": "string", "maxLength": 64}, "description": "签名调用的部门编码"}
_ENDPOINT = {"type": "object", "required": ["department", "url", "items"], "properties": {
    "department": {"type": "string"}, "department_name": {"type": "string"}, "url": {"type": "string"},
    "items": {"type": "array", "items": {"type": "string"}}, "updated_at": {"type": "string"},
    "updated_by": {"type": "string"}}}
_FINDING_BODY = {"type": "object", "required": ["licence_number", "action", "reason"], "properties": {
    "licence_number": {"type": "string", "minLength": 1, "maxLength": 48},
    "action": {"enum": [a.value for a in FindingAction]},
    "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
    "evidence": {"type": "array", "maxItems": MAX_EVIDENCE, "items": {
        "type": "object", "required": ["name"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_EVIDENCE_NAME},
            "description": {"type": "string", "maxLength": MAX_EVIDENCE_TEXT}}}},
    "changes": {"type": "object", "additionalProperties": False, "description": "变更（change）时可填：新的持证人或许可范围",
                "properties": {"holder": {"type": "string", "maxLength": MAX_CHANGE_TEXT},
                               "scope": {"type": "string", "maxLength": MAX_CHANGE_TEXT}}}},
    "additionalProperties": False}
_STATES = [s.value for s in DeliveryState]


def supervision_paths() -> dict[str, Any]:
    return {
        "/api/v1/supervision/endpoints": {"get": {
            "summary": "各监管部门的推送地址（不返回密钥；系统管理员、分管领导）",
            "responses": {**ok("推送地址", {"type": "object", "required": ["endpoints"], "properties": {
                "endpoints": {"type": "array", "items": _ENDPOINT}}}), **errors(401, 403)}}},
        "/api/v1/supervision/endpoints/{department}": {
            "put": {"summary": "设置部门的推送地址、签名密钥和额外订阅的事项（系统管理员）",
                    "parameters": [_DEPARTMENT],
                    "requestBody": json_body({"type": "object", "required": ["url", "secret"], "properties": {
                        "url": {"type": "string", "maxLength": MAX_URL, "format": "uri"},
                        "secret": {"type": "string", "minLength": MIN_SECRET, "maxLength": MAX_SECRET},
                        "items": {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": "string", "maxLength": 40}}},
                        "additionalProperties": False}),
                    "responses": {**ok("已更新", _ENDPOINT), **ok("已新建", _ENDPOINT, "201"),
                                  **errors(401, 403, 404, 413)}},
            "delete": {"summary": "删除部门的推送地址（待推送的事件保留，设置新地址后继续推送）",
                       "parameters": [_DEPARTMENT],
                       "responses": {**ok("已删除"), **errors(401, 403, 404)}}},
        "/api/v1/supervision/findings": {
            "post": {"summary": "监管部门提交监管发现（变更/撤回/撤销/注销），在审批局立案",
                     "parameters": [_IDEMPOTENCY, _SIGNATURE, _SIGNED_BY],
                     "requestBody": json_body(_FINDING_BODY),
                     "responses": {**ok("已立案", {"type": "object", "required": ["id", "case_id", "case_number"],
                                                "properties": {"id": {"type": "string"},
                                                               "case_id": {"type": "integer"},
                                                               "case_number": {"type": "string"}}}, "201"),
                                   **errors(401, 403, 404, 409, 413)}},
            "get": {"summary": "监管发现及其办理情况（监管人员只看本部门）",
                    "parameters": [query("department", _TEXT, "部门编码"),
                                   query("state", {"enum": [s.value for s in FindingState]}, "状态"),
                                   *page_params(MAX_PAGE)],
                    "responses": {**ok("监管发现", {"type": "object", "required": ["findings", "total"]}),
                                  **errors(401, 403)}}},
        "/api/v1/supervision/events": {"get": {
            "summary": "推送给各部门的事件及投递状态（监管人员只看推送给本部门的）",
            "parameters": [query("department", _TEXT, "部门编码"), query("state", {"enum": _STATES}, "投递状态"),
                           query("type", {"enum": [t.value for t in EventType]}, "事件类型"),
                           query("licence", _TEXT, "证照编号"), *page_params(MAX_PAGE)],
            "responses": {**ok("推送记录", {"type": "object", "required": ["deliveries", "total"]}),
                          **errors(401, 403)}}},
        "/api/v1/supervision/deliveries/{delivery_id}": {"get": {
            "summary": "一条推送记录：事件内容与每次投递尝试", "parameters": [path_id("delivery_id", "推送记录编号")],
            "responses": {**ok("推送记录"), **errors(401, 403, 404)}}},
        "/api/v1/supervision/deliveries/{delivery_id}/redeliver": {"post": {
            "summary": "重新投递一条投递失败的推送（系统管理员）",
            "parameters": [path_id("delivery_id", "推送记录编号")],
            "responses": {**ok("已重新排队"), **errors(401, 403, 404, 409)}}},
        "/api/v1/supervision/summary": {"get": {
            "summary": "监管推送工作台的数字：各部门推送、送达、待投递、失败；监管发现；告知承诺事后核查",
            "parameters": [query("department", _TEXT, "部门编码")],
            "responses": {**ok("各部门数字", {"type": "object", "required": ["departments"]}), **errors(401, 403)}}},
    }
