"""What the HTTP servers (gunicorn, waitress) answer to a request they refuse before the
application sees it: the service's own format, JSON with a machine code and a Chinese message."""
from __future__ import annotations

import json

#: machine code → the message people read
MESSAGES = {
    "request_line_too_long": "请求地址过长，请缩短查询条件后重试",
    "request_headers_too_large": "请求头过多或过大",
    "request_body_too_large": "请求内容过大",
    "unsupported_transfer_coding": "不支持该传输编码（Transfer-Encoding）",
    "expectation_failed": "不支持该 Expect 请求头",
    "invalid_http_request": "请求格式不正确，不是有效的 HTTP 请求",
    "server_error": "服务器内部错误，请稍后重试",
}
CONTENT_TYPE = "application/json; charset=utf-8"


def refusal_body(code: str) -> bytes:
    return json.dumps({"code": code, "message": MESSAGES[code]}, ensure_ascii=False).encode("utf-8")
