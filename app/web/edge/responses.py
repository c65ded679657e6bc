"""HTTP statuses by kind of domain error, and the JSON bodies of answers and refusals."""
from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response

from app.domain.errors import OneSealError

STATUS_BY_KIND = {
    "invalid": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
    "conflict": 409, "too_large": 413, "unprocessable": 422, "too_many": 429, "unavailable": 503,
    "internal": 500,
}


def status_of(err: OneSealError) -> int:
    return STATUS_BY_KIND.get(err.kind, 400)


def json_bytes(body: Any) -> bytes:
    """The body as UTF-8 JSON: orjson (several times faster than the standard encoder, the same
    JSON: keys in order, text unescaped), the standard encoder for what orjson refuses (an
    integer beyond 64 bits)."""
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json_bytes(body), status=status, mimetype="application/json")


def error_body(err: OneSealError) -> dict[str, Any]:
    details = {k: v for k, v in err.details.items() if v is not None}
    body = {"code": err.code, "message": err.message, "details": details}
    findings = getattr(err, "findings", None)  # a refused process model says why, element by element
    if findings is not None:
        body["findings"] = [f.to_dict() for f in findings]
    return body


def error_response(err: OneSealError) -> Response:
    response = json_response(error_body(err), status_of(err))
    if err.kind == "unauthenticated":
        response.headers["WWW-Authenticate"] = 'Bearer realm="oneseal"'
    if "retry_after" in err.details:
        response.headers["Retry-After"] = str(err.details["retry_after"])
    return response
