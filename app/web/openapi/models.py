"""OpenAPI paths of the process models (流程模型): upload, versions, diff, deploy."""
from __future__ import annotations

from typing import Any

from app.web.edge.request_input import MAX_ID
from app.web.openapi.parts import (
    FINDINGS,
    IDEMPOTENCY,
    errors,
    json_body,
    ok,
    path_id,
    query,
)

_MODEL_ID = path_id("model_id", "流程模型编号（服务器生成）")
_VERSION = path_id("version", "模型的版本号")
_XML_BODY = {"required": True, "description": "BPMN 2.0 XML，原样保存（上限 5 MB）",
             "content": {"application/xml": {"schema": {"type": "string"}}}}
_REFUSED = {"description": "不是合法、安全的 BPMN XML（附 findings）；413：过大；其他输入错误不附 findings",
            "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/Refusal"},
                                                                  {"$ref": "#/components/schemas/Error"}]}}}}
_COMMENT = query("comment", {"type": "string", "maxLength": 500}, "版本说明")


def model_paths() -> dict[str, Any]:
    stored = {"type": "object", "required": ["id", "version", "findings"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "version": {"type": "integer"},
        "process_id": {"type": ["string", "null"]}, "deployable": {"type": "boolean"}, "findings": FINDINGS}}
    refusals = {"400": _REFUSED, "413": _REFUSED}
    version_number = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {
        "/api/v1/process-models": {
            "get": {"summary": "流程模型列表（设计人员、审计人员、管理员）",
                    "responses": {**ok("模型列表"), **errors(401, 403)}},
            "post": {"summary": "上传流程模型（仅设计人员）：建立模型及其第 1 版；描述性、不可执行的模型也保存，附校验结果",
                     "parameters": [query("name", {"type": "string", "maxLength": 80},
                                          "显示名称（中文，不可与已有模型重名）", required=True),
                                    _COMMENT, IDEMPOTENCY],
                     "requestBody": _XML_BODY,
                     "responses": {**ok("已保存", stored, "201"), **errors(401, 403, 409), **refusals}}},
        "/api/v1/process-models/validate": {"post": {
            "summary": "只校验、不保存（与建模器、oneseal validate 同一流程）", "requestBody": _XML_BODY,
            "responses": {**ok("校验结果", {"type": "object", "properties": {
                "process_id": {"type": ["string", "null"]}, "deployable": {"type": "boolean"}, "findings": FINDINGS}}),
                **errors(401, 403), **refusals}}},
        "/api/v1/process-models/expressions/check": {"post": {
            "summary": "检查一个表达式（流转条件、完成条件、定时值）是否为引擎允许的受限表达式，不保存",
            "requestBody": json_body({"type": "object", "required": ["expression"], "properties": {
                "expression": {"type": "string", "maxLength": 2000}}}),
            "responses": {**ok("检查结果", {"type": "object", "properties": {
                "valid": {"type": "boolean"}, "code": {"type": "string"}, "message": {"type": "string"}}}),
                **errors(400, 401, 403)}}},
        "/api/v1/process-models/{model_id}/versions": {
            "get": {"summary": "模型的全部版本（作者、时间、说明、校验结果、部署记录）", "parameters": [_MODEL_ID],
                    "responses": {**ok("版本列表"), **errors(401, 403, 404)}},
            "post": {"summary": "保存新版本（仅设计人员）", "parameters": [_MODEL_ID, _COMMENT, IDEMPOTENCY],
                     "requestBody": _XML_BODY,
                     "responses": {**ok("已保存", stored, "201"), **errors(401, 403, 404, 409), **refusals}}},
        "/api/v1/process-models/{model_id}/versions/{version}/bpmn": {"get": {
            "summary": "下载某一版本的 XML（与上传时逐字节相同）",
            "parameters": [_MODEL_ID, _VERSION, query("download", {"type": "string", "maxLength": 8},
                                                      "非空时作为附件下载")],
            "responses": {"200": {"description": "BPMN XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                          **errors(401, 403, 404)}}},
        "/api/v1/process-models/{model_id}/versions/{version}/deploy": {"post": {
            "summary": "部署某一版本（仅设计人员）；有错误时 409 并附 findings；有针对此流程的审计场景时须先通过"
                       "部署前场景检查（409 scenario_check_required / scenario_check_running），检查未通过时须填写"
                       "理由 override_reason（409 scenario_check_failed），理由记入审计轨迹；新办件按最新部署版本办理，在办办件不变",
            "parameters": [_MODEL_ID, _VERSION, IDEMPOTENCY],
            "requestBody": json_body({"type": "object", "properties": {
                "comment": {"type": "string", "maxLength": 500},
                "override_reason": {"type": "string", "maxLength": 500,
                                    "description": "越过未通过的场景部署的理由"}}}, required=False),
            "responses": {**ok("已部署", {"type": "object", "properties": {
                "process_id": {"type": "string"}, "process_version": {"type": "integer"},
                "created": {"type": "boolean"}, "findings": FINDINGS}}),
                **errors(401, 403, 404, 413),
                "409": {"description": "有错误，不能部署；或与其他模型的流程标识冲突", "content": {"application/json": {
                    "schema": {"anyOf": [{"$ref": "#/components/schemas/Refusal"},
                                         {"$ref": "#/components/schemas/Error"}]}}}}}}},
        "/api/v1/process-models/{model_id}/diff": {"get": {
            "summary": "两个版本的差异：新增、删除、修改的元素，及位置变化",
            "parameters": [_MODEL_ID, query("from", version_number, "旧版本号", required=True),
                           query("to", version_number, "新版本号", required=True)],
            "responses": {**ok("差异", {"type": "object", "properties": {
                "added": {"type": "array"}, "removed": {"type": "array"}, "changed": {"type": "array"},
                "moved": {"type": "array", "items": {"type": "string"}}}}), **errors(401, 403, 404)}}},
    }
