"""Error pages and JSON errors for whatever Flask itself refuses (404, 405, 413…), and for the
domain errors raised outside a handler's own mapping (the request edge's refusals)."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app.domain.errors import OneSealError
from app.server_refusals import MESSAGES as SERVER_MESSAGES
from app.web.edge.request_input import is_api_request
from app.web.edge.responses import error_response, json_response, status_of
from app.web.edge.units import database_unreachable

log = logging.getLogger(__name__)

_MESSAGES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthenticated", "请先登录"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁"),
}


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> ResponseReturnValue:
        status = err.code or 500
        code, message = _MESSAGES.get(status, ("http_error", "请求无法处理"))
        return _answer(status, code, message)

    app.register_error_handler(OneSealError, _refused)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> ResponseReturnValue:
        if isinstance(err, DBAPIError) and err.connection_invalidated:
            # outside a unit of work (a page's sign-in check, the login limiter): as a unit answers it
            log.warning("database connection lost on %s %s: %s", request.method, request.path, err.orig)
            return _refused(database_unreachable())
        if _unreadable_body(err):
            log.warning("unreadable request body on %s %s: %s", request.method, request.path, err)
            return _answer(400, "invalid_http_request", SERVER_MESSAGES["invalid_http_request"])
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, "internal_error", "服务器内部错误，已记录")


def _refused(err: OneSealError) -> ResponseReturnValue:
    """A domain error: JSON with its code for the API, the error page for a person (both with
    ``Retry-After`` when the error says when to retry)."""
    if is_api_request():
        return error_response(err)
    status = status_of(err)
    retry = err.details.get("retry_after")
    headers = {"Retry-After": str(retry)} if retry is not None else {}
    return render_template("error.html", status=status, message=err.message), status, headers


def _answer(status: int, code: str, message: str) -> ResponseReturnValue:
    """A refusal the edge makes itself: JSON with its code for the API, the error page for a person."""
    if is_api_request():
        return json_response({"code": code, "message": message, "details": {}}, status)
    return render_template("error.html", status=status, message=message), status


def _unreadable_body(err: Exception) -> bool:
    """The server could not read the request's body: gunicorn raises its parser's errors (a bad
    chunk size, a missing chunk terminator, a malformed trailer, the client gone mid-body) only
    when the application reads the body. The client's fault, answered 400 like the server's own
    refusals (named by module: the web edge does not import gunicorn, which runs on Linux only)."""
    return type(err).__module__.startswith("gunicorn.http")
