"""OpenAPI paths of the daily work: sign-in, the catalogue, cases, tasks and the inspection rules."""
from __future__ import annotations

from typing import Any

from app.domain.cases.status import CaseStatus
from app.services.reading.case_search import MAX_EXPORT
from app.services.reading.case_search import MAX_PAGE_SIZE as SEARCH_PAGE_SIZE
from app.services.reading.inbox import DEADLINE_FILTERS, MAX_PAGE_SIZE, SORTS, TABS
from app.web.openapi.parts import (
    CASE,
    CASE_BRIEF,
    IDEMPOTENCY,
    PREFER,
    TASK,
    TASK_ID,
    errors,
    json_body,
    ok,
    page_params,
    path_id,
    query,
)

_CASE_ID = path_id("case_id", "办件编号（内部）")
_CODES = {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 32, "example": "M01"}}
_NOTICE = {"type": "array", "maxItems": 50, "description": "退回补正的一次性告知：每项材料及理由", "items": {
    "type": "object", "required": ["material", "reason"], "properties": {
        "material": {"type": "string", "maxLength": 32}, "reason": {"type": "string", "maxLength": 500}}}}
_FACT_NAMES = ["requires_site_inspection", "departments_involved", "parallel_approval", "risk_level", "technical",
               "bureau_qualified"]
_FACTS = {"type": "object", "description": "决定现场核查方式的事实（见 rules/inspection.toml）", "properties": {
    "requires_site_inspection": {"type": "boolean"},
    "departments_involved": {"type": "integer", "minimum": 1, "maximum": 100},
    "parallel_approval": {"type": "boolean"}, "risk_level": {"enum": ["low", "medium", "high"]},
    "technical": {"type": "boolean"}, "bureau_qualified": {"type": "boolean"}}}
_APPLICATION = {"type": "object", "required": ["applicant"],
                "anyOf": [{"required": ["item_code"]}, {"required": ["bundle_code"]}], "properties": {
    "item_code": {"type": "string", "maxLength": 32, "example": "XK-0001",
                  "description": "事项编码，或工程建设项目类型编码"},
    "bundle_code": {"type": "string", "maxLength": 32, "description": "“一件事”编码（代替 item_code）"},
    "applicant": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "example": "张三餐饮店"},
        "id_number": {"type": "string", "maxLength": 64}, "contact": {"type": "string", "maxLength": 64}}},
    "materials": _CODES, "facts": _FACTS,
    "project": {"type": "object", "required": ["name", "location"],
                "description": "工程建设项目（item_code 为项目类型编码时）：名称、建设地点及其他信息",
                "properties": {"name": {"type": "string", "maxLength": 100},
                               "location": {"type": "string", "maxLength": 200}}}}}

_ATTACHMENT = {"type": "object", "required": ["id", "content_type", "size"], "properties": {
    "id": {"type": "string"}, "material_code": {"type": ["string", "null"]}, "kind": {"type": "string"},
    "task_id": {"type": ["string", "null"], "description": "现场照片所属的核查环节"},
    "filename": {"type": "string"}, "content_type": {"type": "string"}, "size": {"type": "integer"},
    "uploaded_by": {"type": "string"}, "uploaded_at": {"type": "string"}}}
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SEARCH = [
    query("q", {"type": "string", "maxLength": 64}, "办件编号（可不带横线）、申请人或事项名称"),
    query("item", {"type": "string", "maxLength": 32}, "事项或“一件事”编码"),
    query("department", {"type": "string", "maxLength": 32}, "承办部门编码"),
    query("status", {"enum": [s.value for s in CaseStatus]}, "办件状态"),
    query("from", {"type": "string", "format": "date"}, "登记日期自（北京时间，含）"),
    query("to", {"type": "string", "format": "date"}, "登记日期至（含）"),
    query("overdue", {"enum": ["1", "0", "true", "false"]}, "1：只看超期未办结的办件")]
_FOUND = {"type": "object", "required": ["id", "number", "item_code", "applicant", "status", "registered_at",
                                         "due_date"], "properties": {
    "id": {"type": "integer"}, "number": {"type": "string"}, "item_code": {"type": "string"},
    "item_name": {"type": "string"}, "applicant": {"type": "string"}, "department": {"type": "string"},
    "department_name": {"type": "string"}, "status": {"type": "string"}, "status_label": {"type": "string"},
    "registered_at": {"type": "string", "format": "date-time"}, "due_date": {"type": ["string", "null"]},
    "deadline": {"type": ["object", "null"]}}}
_SEARCH_RESULT = {"type": "object", "required": ["cases", "total"], "properties": {
    "cases": {"type": "array", "items": _FOUND}, "total": {"type": "integer"},
    "page": {"type": "integer"}, "page_size": {"type": "integer"}, "pages": {"type": "integer"}}}


def case_paths() -> dict[str, Any]:
    return {
        "/api/v1/openapi.json": {"get": {"summary": "本文档（OpenAPI 3.1）", "security": [],
                                         "responses": {**ok("OpenAPI 文档"), **errors()}}},
        "/api/v1/auth/token": {"post": {
            "summary": "登录并获取凭证", "security": [],
            "requestBody": json_body({"type": "object", "required": ["username", "password"], "properties": {
                "username": {"type": "string", "maxLength": 64, "example": "window"},
                "password": {"type": "string", "maxLength": 256}}}),
            "responses": {**ok("凭证", {"type": "object", "required": ["token"], "properties": {
                "token": {"type": "string"}, "username": {"type": "string"}, "role": {"type": "string"},
                "department": {"type": ["string", "null"]}, "expires_in": {"type": "integer"}}}),
                **errors(401, 409, 413)}}},
        "/api/v1/items": {"get": {"summary": "事项目录", "responses": {**ok("事项列表"), **errors(401)}}},
        "/api/v1/project-types": {"get": {"summary": "工程建设项目类型：四个阶段的牵头部门、时限、事项和材料",
                                          "responses": {**ok("项目类型列表"), **errors(401)}}},
        "/api/v1/cases": {"post": {
            "summary": "登记办件（窗口人员）", "parameters": [IDEMPOTENCY, PREFER], "requestBody": json_body(_APPLICATION),
            "responses": {**ok("已登记：完整办件，或 Prefer: return=minimal 时的 CaseBrief",
                               {"anyOf": [CASE, CASE_BRIEF]}, "201"), **errors(401, 403, 404, 409, 413, 422)}},
            "get": {
            "summary": "办件综合查询（各角色只查到有权查看的办件；流程设计人员不可用）",
            "parameters": [*_SEARCH, *page_params(SEARCH_PAGE_SIZE)],
            "responses": {**ok("查询结果（按登记时间倒序）", _SEARCH_RESULT), **errors(401, 403)}}},
        "/api/v1/cases/export.xlsx": {"get": {
            "summary": f"导出查询结果为 Excel（最多 {MAX_EXPORT} 件）", "parameters": _SEARCH,
            "responses": {"200": {"description": "Excel 工作簿", "content": {_XLSX: {"schema": {
                "type": "string", "format": "binary"}}}}, **errors(401, 403)}}},
        "/api/v1/cases/{case_id}/attachments": {"post": {
            "summary": "上传材料扫描件（综合窗口；PDF、JPEG 或 PNG，按内容识别）", "parameters": [_CASE_ID, IDEMPOTENCY],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["material", "file"], "properties": {
                    "material": {"type": "string", "maxLength": 32, "description": "材料编码"},
                    "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {**ok("已上传", _ATTACHMENT, "201"), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/tasks/{task_id}/photos": {"post": {
            "summary": "上传现场照片（办理核查环节者；JPEG 或 PNG，按内容识别）；办理时随“现场照片”字段一并提交",
            "parameters": [TASK_ID, IDEMPOTENCY],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {**ok("已上传", _ATTACHMENT, "201"), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/attachments/{attachment_id}": {"get": {
            "summary": "读取扫描件（可查看该办件者；流程设计人员除外）",
            "parameters": [{"name": "attachment_id", "in": "path", "required": True,
                            "schema": {"type": "string", "maxLength": 64}}],
            "responses": {"200": {"description": "文件", "content": {
                m: {"schema": {"type": "string", "format": "binary"}}
                for m in ("application/pdf", "image/jpeg", "image/png")}}, **errors(401, 403, 404)}}},
        "/api/v1/cases/{case_id}": {"get": {
            "summary": "办件详情（待办任务、办理历史）", "parameters": [_CASE_ID],
            "responses": {**ok("办件", CASE), **errors(401, 403, 404)}}},
        "/api/v1/cases/{case_id}/diagram": {"get": {
            "summary": "办件所用流程图（BPMN XML）及已完成、当前环节；当前环节在子流程中时标出调用它的环节",
            "parameters": [_CASE_ID, query("process", {"type": "string", "maxLength": 128},
                                           "子流程的流程标识（见返回的 calls），不填为办件本身的流程")],
            "responses": {**ok("流程图"), **errors(401, 403, 404)}}},
        "/api/v1/cases/{case_id}/materials": {"post": {
            "summary": "容缺后补：窗口收取申请人补交的材料", "parameters": [_CASE_ID, IDEMPOTENCY],
            "requestBody": json_body({"type": "object", "required": ["materials"], "properties": {
                "materials": _CODES}}),
            "responses": {**ok("办件", CASE), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/tasks": {"get": {
            "summary": "我的待办",
            "parameters": [
                query("tab", {"enum": list(TABS)}),
                query("q", {"type": "string", "maxLength": 64}, "按办件编号、申请人或事项搜索"),
                query("deadline", {"enum": list(DEADLINE_FILTERS)}, "预警或超期"),
                query("sort", {"enum": list(SORTS)}), *page_params(MAX_PAGE_SIZE)],
            "responses": {**ok("待办列表", {"type": "object", "required": ["items", "total"], "properties": {
                "tab": {"type": "string"}, "items": {"type": "array", "items": {"type": "object"}},
                "total": {"type": "integer"}, "counts": {"type": "object"},
                "page": {"type": "integer"}, "page_size": {"type": "integer"}}}), **errors(401)}}},
        "/api/v1/tasks/{task_id}/claim": {"post": {
            "summary": "签收任务", "parameters": [TASK_ID, IDEMPOTENCY],
            "responses": {**ok("已签收", TASK), **errors(401, 403, 404, 409)}}},
        "/api/v1/tasks/{task_id}/release": {"post": {
            "summary": "退回签收", "parameters": [TASK_ID, IDEMPOTENCY],
            "responses": {**ok("已退回", TASK), **errors(401, 403, 404, 409)}}},
        "/api/v1/tasks/{task_id}/transfer": {"post": {
            "summary": "转办给本部门同岗位的其他人员", "parameters": [TASK_ID, IDEMPOTENCY],
            "requestBody": json_body({"type": "object", "required": ["to"], "properties": {
                "to": {"type": "string", "maxLength": 64, "description": "接收人用户名"},
                "reason": {"type": "string", "maxLength": 500}}}),
            "responses": {**ok("已转办", TASK), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/tasks/{task_id}/complete": {"post": {
            "summary": "办理任务（决定与意见）", "parameters": [TASK_ID, IDEMPOTENCY, PREFER],
            "requestBody": json_body({"type": "object", "properties": {
                "decision": {"type": "string", "maxLength": 32, "description": "决定环节为 approve 或 reject，退回补正为 return"},
                "opinion": {"type": "string", "maxLength": 2000}, "data": {"type": "object"},
                "version": {"type": "integer", "minimum": 1, "description": "办件版本（乐观锁，可选）"},
                "notice": _NOTICE, "materials": _CODES}}),
            "responses": {**ok("已办理：任务及完整办件，或 Prefer: return=minimal 时的 CaseBrief",
                               {"type": "object", "required": ["task", "case"], "properties": {
                                   "task": TASK, "case": {"anyOf": [CASE, CASE_BRIEF]}}}),
                          **errors(401, 403, 404, 409, 413, 422)}}},
        "/api/v1/rules/inspection/evaluate": {"post": {
            "summary": "按现场核查规则求值（独立/联合/委托核查），设计人员和管理员可用",
            "requestBody": json_body({"type": "object", "required": ["facts"], "properties": {
                "facts": {**_FACTS, "required": _FACT_NAMES}}}),
            "responses": {**ok("决定", {"type": "object", "required": ["outcome", "rule", "facts", "ruleset_version"]}),
                          **errors(401, 403, 413)}}},
    }
