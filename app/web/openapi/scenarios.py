"""OpenAPI paths of the auditors' scenario workshop (场景工坊) and the deploy gate's check."""
from __future__ import annotations

from typing import Any

from app.scenarios.language.gherkin_text import MAX_CHARS
from app.web.edge.request_input import MAX_ID
from app.web.openapi.parts import IDEMPOTENCY, errors, json_body, ok, path_id, query

_SCENARIO_ID = path_id("scenario_id", "场景编号（服务器生成）")
_VERSION = path_id("version", "版本号")
_RUN_ID = path_id("run_id", "运行编号")
_MODEL_ID = path_id("model_id", "流程模型编号")
_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_CHARS,
         "description": "场景文本（Gherkin，第一行 # language: zh-CN）"}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TAGS = {"anyOf": [{"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 60}},
                   {"type": "string", "maxLength": 400}], "description": "标签（列表，或以空格分隔的文本）"}
_PROBLEM = {"type": "object", "required": ["line", "code", "message"], "properties": {
    "line": {"type": "integer"}, "column": {"type": "integer"}, "code": {"type": "string"},
    "message": {"type": "string"}, "severity": {"type": "string"}}}
_DOCUMENT = {"type": "object", "required": ["id", "name", "folder", "tags", "version"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "folder": {"type": "string"},
    "tags": {"type": "array", "items": {"type": "string"}}, "source": {"enum": ["library", "baseline"]},
    "read_only": {"type": "boolean"}, "version": {"type": "integer"},
    "last_status": {"type": ["string", "null"]}, "last_run_id": {"type": ["integer", "null"]}}}
_STEP = {"type": "object", "required": ["keyword", "text", "status"], "properties": {
    "keyword": {"type": "string"}, "text": {"type": "string"}, "line": {"type": "integer"},
    "status": {"enum": ["not_run", "running", "passed", "failed"]},
    "expected": {"type": ["string", "null"]}, "actual": {"type": ["string", "null"]}}}
_RESULT = {"type": "object", "required": ["id", "name", "status", "steps"], "properties": {
    "id": {"type": "integer"}, "feature": {"type": "string"}, "name": {"type": "string"},
    "document_id": {"type": ["integer", "null"]}, "document_version": {"type": ["integer", "null"]},
    "status": {"enum": ["not_run", "running", "passed", "failed", "error"]},
    "steps": {"type": "array", "items": _STEP}, "path": {"type": "object"},
    "message": {"type": ["string", "null"]}, "seconds": {"type": "number"}}}
_RUN = {"type": "object", "required": ["id", "purpose", "status", "requested_by"], "properties": {
    "id": {"type": "integer"}, "purpose": {"enum": ["editor", "one", "tag", "all", "gate", "nightly"]},
    "status": {"enum": ["queued", "running", "passed", "failed", "error"]}, "status_label": {"type": "string"},
    "requested_by": {"type": "string"}, "versions": {"type": "object"}, "counts": {"type": "object"},
    "message": {"type": ["string", "null"]}, "override": {"type": ["object", "null"]},
    "results": {"type": "array", "items": _RESULT}, "progress": {"type": "object"}}}
_GATE = {"type": "object", "required": ["state", "scenarios", "failing"], "properties": {
    "state": {"enum": ["none", "unchecked", "running", "passed", "failed"]}, "scenarios": {"type": "integer"},
    "failing": {"type": "array", "items": {"type": "string"}}, "process_id": {"type": ["string", "null"]},
    "run": {"anyOf": [_RUN, {"type": "null"}]}}}
_INVALID = {"description": "输入有误；场景文本有问题时 details.problems 逐行列出（第几行、什么问题）",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def scenario_paths() -> dict[str, Any]:
    return {
        "/api/v1/scenarios/steps": {"get": {
            "summary": "步骤目录（编辑器补全用）：每个句子的关键字、参数、示例和说明，及各参数的可用值",
            "responses": {**ok("步骤目录", {"type": "object", "required": ["steps", "values"]}), **errors(401, 403)}}},
        "/api/v1/scenarios/check": {"post": {
            "summary": "检查场景文本（不保存、不运行）：未知句子、未知的用户/事项/环节/决定等，逐行给出中文提示",
            "requestBody": json_body({"type": "object", "required": ["text"], "properties": {
                "text": _TEXT, "model_id": _ID, "version": _ID}}),
            "responses": {**ok("检查结果", {"type": "object", "required": ["ok", "problems"], "properties": {
                "ok": {"type": "boolean"}, "problems": {"type": "array", "items": _PROBLEM},
                "scenarios": {"type": "array"}}}), **errors(401, 403, 404, 413)}}},
        "/api/v1/scenarios": {
            "get": {"summary": "场景库（审计督查人员、管理员、设计人员可读）",
                    "parameters": [query("tag", {"type": "string", "maxLength": 60}, "只列出带此标签的场景")],
                    "responses": {**ok("场景列表", {"type": "object", "properties": {
                        "scenarios": {"type": "array", "items": _DOCUMENT}}}), **errors(401, 403)}},
            "post": {"summary": "新建场景（审计督查人员、管理员）：名称、文件夹、标签、文本，保存为第 1 版",
                     "parameters": [IDEMPOTENCY],
                     "requestBody": json_body({"type": "object", "required": ["name", "text"], "properties": {
                         "name": {"type": "string", "maxLength": 80}, "folder": {"type": "string", "maxLength": 120},
                         "tags": _TAGS, "text": _TEXT, "comment": {"type": "string", "maxLength": 500}}}),
                     "responses": {**ok("已保存", _DOCUMENT, "201"), **errors(401, 403, 409, 413)}}},
        "/api/v1/scenarios/baseline": {"post": {
            "summary": "导入或更新随版本发布的基线场景（tests/features），只读",
            "parameters": [IDEMPOTENCY],
            "responses": {**ok("导入数", {"type": "object", "properties": {"imported": {"type": "integer"}}}),
                          **errors(401, 403, 409)}}},
        "/api/v1/scenarios/{scenario_id}": {"get": {
            "summary": "场景的当前文本及全部版本（谁、何时、说明）", "parameters": [_SCENARIO_ID],
            "responses": {**ok("场景", _DOCUMENT), **errors(401, 403, 404)}}},
        "/api/v1/scenarios/{scenario_id}/versions": {"post": {
            "summary": "保存新版本；base_version 须为当前版本（否则 409：他人已保存）；基线场景只读（409）",
            "parameters": [_SCENARIO_ID, IDEMPOTENCY],
            "requestBody": json_body({"type": "object", "required": ["text", "base_version"], "properties": {
                "text": _TEXT, "base_version": _ID, "name": {"type": "string", "maxLength": 80},
                "folder": {"type": "string", "maxLength": 120}, "tags": _TAGS,
                "comment": {"type": "string", "maxLength": 500}}}),
            "responses": {**ok("已保存", _DOCUMENT, "201"), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/scenarios/{scenario_id}/versions/{version}": {"get": {
            "summary": "场景某一版本的文本", "parameters": [_SCENARIO_ID, _VERSION],
            "responses": {**ok("版本"), **errors(401, 403, 404)}}},
        "/api/v1/scenario-runs": {
            "get": {"summary": "最近的场景运行", "responses": {**ok("运行列表"), **errors(401, 403)}},
            "post": {"summary": "在沙箱中运行场景（后台作业，立即返回 202）：编辑器文本 text、场景 scenario_ids、"
                                "标签 tag 或全部 all 四选一；给出 model_id 与 version 时以该模型版本（草稿）代替已部署的流程",
                     "parameters": [IDEMPOTENCY],
                     "requestBody": json_body({"type": "object", "properties": {
                         "text": _TEXT, "scenario_ids": {"type": "array", "minItems": 1, "maxItems": 50, "items": _ID},
                         "tag": {"type": "string", "maxLength": 60}, "all": {"type": "boolean"},
                         "model_id": _ID, "version": _ID}}),
                     "responses": {**ok("已排队", _RUN, "202"), "400": _INVALID, **{
                         k: v for k, v in errors(401, 403, 404, 409, 413).items() if k != "400"}}}},
        "/api/v1/scenario-runs/{run_id}": {"get": {
            "summary": "一次运行：状态、进度、每个场景每一步的结果、失败时的预期与实际、办件路径",
            "parameters": [_RUN_ID], "responses": {**ok("运行", _RUN), **errors(401, 403, 404)}}},
        "/api/v1/scenario-runs/{run_id}/report.html": {"get": {
            "summary": "下载运行的中文 HTML 报告", "parameters": [_RUN_ID],
            "responses": {"200": {"description": "HTML 报告", "content": {"text/html": {"schema": {"type": "string"}}}},
                          **errors(401, 403, 404)}}},
        "/api/v1/scenario-runs/{run_id}/junit.xml": {"get": {
            "summary": "下载运行的 JUnit XML", "parameters": [_RUN_ID],
            "responses": {"200": {"description": "JUnit XML", "content": {"application/xml": {"schema": {"type": "string"}}}},
                          **errors(401, 403, 404)}}},
        "/api/v1/process-models/{model_id}/versions/{version}/scenario-check": {
            "get": {"summary": "模型版本的部署前场景检查：none（无针对此流程的场景）、unchecked、running、passed、failed",
                    "parameters": [_MODEL_ID, _VERSION], "responses": {**ok("检查状态", _GATE), **errors(401, 403, 404)}},
            "post": {"summary": "开始部署前场景检查（仅设计人员）：以此版本代替已部署的流程，在沙箱中运行针对此流程的场景",
                     "parameters": [_MODEL_ID, _VERSION, IDEMPOTENCY],
                     "responses": {**ok("已开始", _GATE, "202"), **errors(401, 403, 404, 409)}}},
    }
