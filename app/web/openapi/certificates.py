"""OpenAPI paths of the certificate registry and of public verification."""
from __future__ import annotations

from typing import Any

from app.domain.licences.certificates import CertificateStatus, LicenceAction
from app.services.certificates.registry import MAX_PAGE_SIZE
from app.web.openapi.parts import CASE, IDEMPOTENCY, errors, json_body, ok, page_params, query

_NUMBER = {"name": "number", "in": "path", "required": True, "description": "证照编号，如 2026-XK-0001-Z00001",
           "schema": {"type": "string", "minLength": 1, "maxLength": 48}, "example": "2026-XK-0001-Z00001"}
_TEXT = {"type": "string", "maxLength": 64}
_DATE = {"type": "string", "format": "date"}
_STATUSES = [s.value for s in CertificateStatus]
_LISTED = {"type": "object", "required": ["number", "kind", "status"], "properties": {
    "number": {"type": "string"}, "kind": {"enum": ["certificate", "refusal"]}, "kind_label": {"type": "string"},
    "item_code": {"type": "string"}, "type_name": {"type": "string"}, "status": {"enum": _STATUSES},
    "status_label": {"type": "string"}, "issued_at": {"type": "string"},
    "valid_until": {"type": ["string", "null"]}, "check_code": {"type": "string"}, "delivered": {"type": "boolean"}}}
_PUBLIC = {"type": "object", "required": ["number", "holder", "item_code", "item_name", "status", "issued_at",
                                           "valid_until", "issuer"], "properties": {
    "number": {"type": "string"}, "kind": {"type": "string"}, "kind_label": {"type": "string"},
    "holder": {"type": "string"}, "item_code": {"type": "string"}, "item_name": {"type": "string"},
    "type_name": {"type": "string"}, "status": {"enum": _STATUSES}, "status_label": {"type": "string"},
    "status_since": {"type": "string"}, "issued_at": {"type": "string"}, "valid_until": {"type": ["string", "null"]},
    "issuer": {"type": "string"}, "replaced_by": {"type": ["string", "null"]}}}


def certificate_paths() -> dict[str, Any]:
    return {
        "/api/v1/certificates": {"get": {
            "summary": "电子证照库：按编号、持证人、事项、状态、签发日期查询",
            "parameters": [query("number", _TEXT, "证照编号（部分）"), query("holder", _TEXT, "持证人（部分）"),
                           query("item", _TEXT, "事项编码或名称"), query("status", {"enum": _STATUSES}, "状态"),
                           query("from", _DATE, "签发日期起（含）"), query("to", _DATE, "签发日期止（含）"),
                           *page_params(MAX_PAGE_SIZE)],
            "responses": {**ok("证照列表", {"type": "object", "required": ["items", "total"], "properties": {
                "items": {"type": "array", "items": _LISTED}, "total": {"type": "integer"},
                "page": {"type": "integer"}, "page_size": {"type": "integer"}}}), **errors(401, 403)}}},
        "/api/v1/certificates/{number}": {"get": {
            "summary": "证照详情（证照数据与全部历史）", "parameters": [_NUMBER],
            "responses": {**ok("证照", {"type": "object", "required": ["number", "status", "history"]}),
                          **errors(401, 403, 404)}}},
        "/api/v1/certificates/{number}/pdf": {"get": {
            "summary": "已签章的证照 PDF（本局工作人员，及可查看该办件者）", "parameters": [_NUMBER],
            "responses": {"200": {"description": "PAdES 签章的 PDF",
                                  "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                          **errors(401, 403, 404)}}},
        "/api/v1/certificates/{number}/applications": {"post": {
            "summary": "登记证照变更、延续或注销申请（开启一件办件）", "parameters": [_NUMBER, IDEMPOTENCY],
            "requestBody": json_body({"type": "object", "required": ["action"], "properties": {
                "action": {"enum": [a.value for a in LicenceAction]},
                "holder": {"type": "string", "maxLength": 200, "description": "变更后的持证人名称"},
                "scope": {"type": "string", "maxLength": 500, "description": "变更后的许可范围"},
                "reason": {"type": "string", "maxLength": 500}}}),
            "responses": {**ok("新办件", CASE, "201"), **errors(401, 403, 404, 409, 413)}}},
        "/api/v1/public/certificates/{number}": {"get": {
            "summary": "公众核验证照（无需登录；编号或核验码不对一律 404；失败过多 429）", "security": [],
            "parameters": [_NUMBER, query("code", {"type": "string", "maxLength": 16}, "核验码", required=True)],
            "responses": {**ok("证照及其状态", _PUBLIC), **errors(404, 429)}}},
        "/api/v1/public/seal": {"get": {
            "summary": "本局当前电子印章的证书链（PEM）", "security": [],
            "responses": {"200": {"description": "签章证书及其上级证书（PEM）",
                                  "content": {"application/x-pem-file": {"schema": {"type": "string"}}}},
                          **errors()}}},
        "/api/v1/public/seals": {"get": {
            "summary": "本局用过的全部电子印章及其有效期", "security": [],
            "responses": {**ok("印章列表", {"type": "object", "required": ["seals"], "properties": {
                "seals": {"type": "array", "items": {"type": "object", "required": [
                    "fingerprint", "subject", "not_before", "not_after", "chain_pem", "current"]}}}}),
                **errors()}}},
    }
