"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``."""
from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict[str, Any]:
    labels = {400: "输入有误", 401: "未登录", 403: "无权操作", 404: "不存在", 409: "冲突（已办理、已被签收、已过期）",
              413: "过大", 422: "流程无法继续", 503: "系统繁忙"}
    return {str(c): {"description": labels[c], "content": {"application/json": {"schema": _ERROR}}}
            for c in codes}


def _ok(description: str, schema: dict[str, Any] | None = None, status: str = "200") -> dict[str, Any]:
    content = {"application/json": {"schema": schema or {"type": "object"}}}
    return {status: {"description": description, "content": content}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "maxLength": 128},
                "description": "重放同一键的请求返回首次结果且不重复写入（响应头 Idempotent-Replay: true）；"
                               "首次请求仍在处理时，重试会等待其结果并原样返回；等待超过 10 秒返回 409 "
                               "request_in_progress 和 Retry-After，客户端可稍后以同一键重试；"
                               "同一键用于不同请求体返回 409 idempotency_key_reused"}
_TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}
_MODEL_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "description": "流程模型编号（服务器生成）"}
_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_XML_BODY = {"required": True, "description": "BPMN 2.0 XML，原样保存（上限 5 MB）",
             "content": {"application/xml": {"schema": {"type": "string"}}}}
_FINDINGS = {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}
_REFUSED = {"description": "不是合法、安全的 BPMN XML（附 findings）；413：过大",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}}


def _process_model_paths() -> dict[str, Any]:
    stored = {"type": "object", "required": ["id", "version", "findings"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "version": {"type": "integer"},
        "process_id": {"type": ["string", "null"]}, "deployable": {"type": "boolean"}, "findings": _FINDINGS}}
    refusals = {"400": _REFUSED, "413": _REFUSED}
    return {
        "/api/v1/process-models": {
            "get": {"summary": "流程模型列表（设计人员、审计人员、管理员）",
                    "responses": {**_ok("模型列表"), **_errors(401, 403)}},
            "post": {"summary": "上传流程模型（仅设计人员）：建立模型及其第 1 版；描述性、不可执行的模型也保存，附校验结果",
                     "parameters": [
                         {"name": "name", "in": "query", "required": True, "description": "显示名称（中文，不可与已有模型重名）",
                          "schema": {"type": "string", "maxLength": 80}},
                         {"name": "comment", "in": "query", "schema": {"type": "string", "maxLength": 500}},
                         _IDEMPOTENCY],
                     "requestBody": _XML_BODY,
                     "responses": {**_ok("已保存", stored, "201"), **_errors(401, 403, 409), **refusals}}},
        "/api/v1/process-models/validate": {"post": {
            "summary": "只校验、不保存（与建模器、oneseal validate 同一流程）", "requestBody": _XML_BODY,
            "responses": {**_ok("校验结果", {"type": "object", "properties": {
                "process_id": {"type": ["string", "null"]}, "deployable": {"type": "boolean"}, "findings": _FINDINGS}}),
                **_errors(401, 403), **refusals}}},
        "/api/v1/process-models/{id}/versions": {
            "get": {"summary": "模型的全部版本（作者、时间、说明、校验结果、部署记录）", "parameters": [_MODEL_ID],
                    "responses": {**_ok("版本列表"), **_errors(401, 403, 404)}},
            "post": {"summary": "保存新版本（仅设计人员）",
                     "parameters": [_MODEL_ID, {"name": "comment", "in": "query", "schema": {"type": "string"}},
                                    _IDEMPOTENCY],
                     "requestBody": _XML_BODY,
                     "responses": {**_ok("已保存", stored, "201"), **_errors(401, 403, 404), **refusals}}},
        "/api/v1/process-models/{id}/versions/{version}/bpmn": {"get": {
            "summary": "下载某一版本的 XML（与上传时逐字节相同）", "parameters": [_MODEL_ID, _VERSION],
            "responses": {"200": {"description": "BPMN XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                          **_errors(401, 403, 404)}}},
        "/api/v1/process-models/{id}/versions/{version}/deploy": {"post": {
            "summary": "部署某一版本（仅设计人员）；有错误时 409 并附 findings；新办件按最新部署版本办理，在办办件不变",
            "parameters": [_MODEL_ID, _VERSION, _IDEMPOTENCY],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"comment": {"type": "string", "maxLength": 500}}}}}},
            "responses": {**_ok("已部署", {"type": "object", "properties": {
                "process_id": {"type": "string"}, "process_version": {"type": "integer"},
                "created": {"type": "boolean"}, "findings": _FINDINGS}}),
                **_errors(401, 403, 404),
                "409": {"description": "有错误，不能部署", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Refusal"}}}}}}},
        "/api/v1/process-models/{id}/diff": {"get": {
            "summary": "两个版本的差异：新增、删除、修改的元素，及位置变化",
            "parameters": [_MODEL_ID, {"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}},
                           {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}}],
            "responses": {**_ok("差异", {"type": "object", "properties": {
                "added": {"type": "array"}, "removed": {"type": "array"}, "changed": {"type": "array"},
                "moved": {"type": "array", "items": {"type": "string"}}}}), **_errors(400, 401, 403, 404)}}},
    }


def openapi_document() -> dict[str, Any]:
    task = {"$ref": "#/components/schemas/Task"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "OneSeal 一枚印章管审批 API", "version": "1.0.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"},
                    "details": {"type": "object"}}},
                "Task": {"type": "object", "required": ["id", "name", "role", "department"],
                         "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                        "element_id": {"type": "string"}, "role": {"type": "string"},
                                        "department": {"type": "string"},
                                        "claimed_by": {"type": ["string", "null"]},
                                        "candidates": {"type": "array", "items": {"type": "string"}}}},
                "Finding": {"type": "object", "required": ["severity", "code", "message"], "properties": {
                    "severity": {"enum": ["error", "warning", "info"]}, "code": {"type": "string"},
                    "message": {"type": "string"}, "element_id": {"type": "string"},
                    "element_name": {"type": "string"}, "line": {"type": ["integer", "null"]}}},
                "Refusal": {"type": "object", "required": ["code", "message", "findings"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"},
                    "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}}},
                "Case": {"type": "object", "required": ["id", "number", "status"], "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"},
                    "status": {"type": "string"}, "result": {"type": ["string", "null"]},
                    "version": {"type": "integer"},
                    "tasks": {"type": "array", "items": task},
                    "history": {"type": "array", "items": {"type": "object"}}}},
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/health": {"get": {"summary": "健康检查", "security": [],
                                       "responses": _ok("正常")}},
            "/api/v1/auth/token": {"post": {
                "summary": "登录并获取凭证", "security": [],
                "requestBody": _body({"type": "object", "required": ["username", "password"],
                                      "properties": {"username": {"type": "string"},
                                                     "password": {"type": "string"}}}),
                "responses": {**_ok("凭证", {"type": "object", "properties": {"token": {"type": "string"}}}),
                              **_errors(400, 401)}}},
            "/api/v1/items": {"get": {"summary": "事项目录", "responses": {**_ok("事项列表"), **_errors(401)}}},
            "/api/v1/project-types": {"get": {"summary": "工程建设项目类型：四个阶段的牵头部门、时限、事项和材料",
                                              "responses": {**_ok("项目类型列表"), **_errors(401)}}},
            "/api/v1/cases": {"post": {
                "summary": "登记办件", "parameters": [_IDEMPOTENCY],
                "requestBody": _body({"type": "object", "required": ["item_code", "applicant"], "properties": {
                    "item_code": {"type": "string"},
                    "applicant": {"type": "object", "required": ["name"],
                                  "properties": {"name": {"type": "string"}}},
                    "materials": {"type": "array", "items": {"type": "string"}},
                    "facts": {"type": "object"},
                    "project": {"type": "object", "required": ["name", "location"],
                                "description": "工程建设项目（item_code 为项目类型编码时）：名称、建设地点及其他信息",
                                "properties": {"name": {"type": "string", "maxLength": 100},
                                               "location": {"type": "string", "maxLength": 200}}}}}),
                "responses": {**_ok("已登记", {"$ref": "#/components/schemas/Case"}, "201"),
                              **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/rules/inspection/evaluate": {"post": {
                "summary": "按现场核查规则求值（独立/联合/委托核查），设计人员和管理员可用",
                "requestBody": _body({"type": "object", "required": ["facts"], "properties": {
                    "facts": {"type": "object", "properties": {
                        "requires_site_inspection": {"type": "boolean"},
                        "departments_involved": {"type": "integer", "minimum": 1},
                        "parallel_approval": {"type": "boolean"},
                        "risk_level": {"enum": ["low", "medium", "high"]},
                        "technical": {"type": "boolean"}, "bureau_qualified": {"type": "boolean"}}}}}),
                "responses": {**_ok("决定", {"type": "object", "required": ["outcome", "rule", "facts", "ruleset_version"]}),
                              **_errors(400, 401, 403)}}},
            "/api/v1/cases/{case_id}": {"get": {
                "summary": "办件详情（待办任务、办理历史）",
                "parameters": [{"name": "case_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "responses": {**_ok("办件", {"$ref": "#/components/schemas/Case"}),
                              **_errors(401, 403, 404)}}},
            "/api/v1/tasks": {"get": {
                "summary": "我的待办",
                "parameters": [
                    {"name": "tab", "in": "query", "schema": {"enum": ["mine", "department", "done"]}},
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "按办件编号、申请人或事项搜索"},
                    {"name": "deadline", "in": "query", "schema": {"enum": ["warning", "overdue"]},
                     "description": "预警或超期"},
                    {"name": "sort", "in": "query", "schema": {"enum": ["deadline", "arrived"]}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "page_size", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
                "responses": {**_ok("待办列表"), **_errors(400, 401)}}},
            "/api/v1/tasks/{task_id}/claim": {"post": {
                "summary": "签收任务", "parameters": [_TASK_ID, _IDEMPOTENCY],
                "responses": {**_ok("已签收", task), **_errors(401, 403, 404, 409)}}},
            "/api/v1/tasks/{task_id}/release": {"post": {
                "summary": "退回签收", "parameters": [_TASK_ID, _IDEMPOTENCY],
                "responses": {**_ok("已退回", task), **_errors(401, 403, 404, 409)}}},
            "/api/v1/tasks/{task_id}/transfer": {"post": {
                "summary": "转办给本部门同岗位的其他人员", "parameters": [_TASK_ID, _IDEMPOTENCY],
                "requestBody": _body({"type": "object", "required": ["to"], "properties": {
                    "to": {"type": "string", "description": "接收人用户名"},
                    "reason": {"type": "string", "maxLength": 500}}}),
                "responses": {**_ok("已转办", task), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/cases/{case_id}/diagram": {"get": {
                "summary": "办件所用流程图（BPMN XML）及已完成、当前环节；当前环节在子流程中时标出调用它的环节",
                "parameters": [{"name": "case_id", "in": "path", "required": True,
                                "schema": {"type": "integer"}},
                               {"name": "process", "in": "query", "schema": {"type": "string"},
                                "description": "子流程的流程标识（见返回的 calls），不填为办件本身的流程"}],
                "responses": {**_ok("流程图"), **_errors(401, 403, 404)}}},
            "/api/v1/tasks/{task_id}/complete": {"post": {
                "summary": "办理任务（决定与意见）", "parameters": [_TASK_ID, _IDEMPOTENCY],
                "requestBody": _body({"type": "object", "properties": {
                    "decision": {"type": "string", "description": "决定环节为 approve 或 reject"},
                    "opinion": {"type": "string"}, "data": {"type": "object"},
                    "version": {"type": "integer", "description": "办件版本（乐观锁，可选）"}}}),
                "responses": {**_ok("已办理"), **_errors(400, 401, 403, 404, 409, 422)}}},
            **_process_model_paths(),
        },
    }
