"""The request-parsing layer at the edge: what every request must satisfy before a handler runs.

Checked once for the JSON API and the pages alike: no NUL character or lone surrogate in the
path, query string, headers, form fields or JSON strings; JSON bodies bounded in size and
depth (the depth is counted on the raw text before parsing, so nesting never reaches Python's
recursion limit) with finite numbers that fit 64 bits; integer path segments that fit a signed
32-bit id (a larger one cannot exist: 404); ``page`` from 1 to ``MAX_PAGE`` and ``page_size``
from 1 to ``MAX_PAGE_SIZE`` wherever they appear (else 400).
Refusals are domain errors; :mod:`app.web.edge.errors` answers the API with JSON ``{"code", "message",
"details"}`` and the pages with the error page.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from app.domain.errors import InvalidInput, TooLarge

#: the largest id a row can have: the columns are 32-bit on PostgreSQL, and so kept on SQLite
MAX_ID = 2**31 - 1
#: the last page any listing serves, and the most rows a page may ask for (each listing has its
#: own smaller limit on top); checked on every request that names ``page`` or ``page_size``
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 1_000
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
JSON_INT_LIMIT = 2**63

#: characters no text of ours may hold: NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8)
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_JSON_MIMETYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: digits that fit an id. A larger number cannot name a row: 404
    at once (rather than a failed match, which werkzeug reports as 405 when the same path has a
    route for another method), and without converting a number of thousands of digits."""

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)) or int(value) > MAX_ID:
            raise NotFound()
        return int(value)


def install(app: Flask) -> None:
    """Use the bounded id converter and screen every request; call before routes are added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(screen_request)


def is_api_request() -> bool:
    """Requests answered with JSON: the API, and the modeler's and the scenario workshop's calls
    to the same handlers."""
    return request.path.startswith(("/api/", "/modeler/api/", "/audit/workshop/api/"))


def screen_request() -> None:
    """``before_request``: refuse what no handler should see (the error handlers of
    :mod:`app.web.edge.errors` answer JSON or the error page); None lets the request through."""
    _screen_text()
    int_param("page", 1, high=MAX_PAGE, what="页码")
    int_param("page_size", 1, high=MAX_PAGE_SIZE, what="每页条数")
    if request.method not in ("GET", "HEAD", "OPTIONS") and _is_json():
        g.json_body = _parse_json_body()


def json_body() -> Any:
    """The request's JSON, parsed and screened once; None when it sent none (or not as JSON)."""
    if "json_body" not in g:
        g.json_body = _parse_json_body() if _is_json() else None
    return g.json_body


def int_param(name: str, default: int, low: int = 1, high: int = MAX_PAGE, *, what: str = "整数") -> int:
    """A query-string integer in ``[low, high]``; absent means ``default``. Digits only (no sign,
    no ``²``), and at most as many as ``high`` has, so no huge number is ever converted."""
    raw = _query_value(name)
    if raw is None:
        return default
    value = whole_number(raw, high)
    if value is None or value < low:
        raise InvalidInput("invalid_query", f"查询参数“{name}”应为 {low} 至 {high} 之间的{what}", field=name)
    return value


def _query_value(name: str) -> str | None:
    """The query string's first value of ``name``, None when absent (asked first: werkzeug's
    ``args.get`` of an absent name raises and catches an HTTP error, and every request asks
    for ``page`` and ``page_size``)."""
    args = request.args
    return args[name] if name in args else None


def whole_number(raw: str, high: int) -> int | None:
    """``raw`` (spaces around it aside) as a whole number from 0 to ``high``, else None. Digits
    only (no sign, no ``²``, no ``1e3``), and at most as many as ``high`` has, so no huge number
    is ever converted."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))):
        return None
    value = int(text)
    return value if value <= high else None


#: the longest free-text query parameter a search takes
MAX_QUERY_TEXT = 64


def text_param(name: str, limit: int = MAX_QUERY_TEXT) -> str | None:
    """A query-string text of at most ``limit`` characters; absent or empty means None."""
    value = _query_value(name)
    if value is not None and len(value) > limit:
        raise InvalidInput("invalid_query", f"{name} 不能超过 {limit} 个字符", field=name)
    return value or None


# --------------------------------------------------------------------------- checks

def _refuse_characters(where: str) -> InvalidInput:
    return InvalidInput("invalid_characters", f"{where}含有不允许的字符（空字符 NUL 或孤立的代理项），请删除后重试",
                        field=where)


def _check_text(value: str, where: str) -> None:
    if _FORBIDDEN.search(value):
        raise _refuse_characters(where)


def _screen_text() -> None:
    """Path, query string, headers and (for form posts) form fields."""
    _check_text(request.path, "请求路径")
    for key, value in request.args.items(multi=True):
        _check_text(key, "查询参数")
        _check_text(value, f"查询参数“{key}”")
    environ = request.environ
    if any("\x00" in value for key, value in environ.items() if key.startswith(("HTTP_", "CONTENT_"))
           and isinstance(value, str)):  # the headers, straight from the environ (no copy)
        for key, value in request.headers.items():
            if "\x00" in value:
                raise _refuse_characters(f"请求头“{key}”")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if not isinstance(key, str) or not isinstance(value, str):  # a part with no name
                raise InvalidInput("invalid_form", "表单中有缺少名称的字段，请检查后重试", field="form")
            _check_text(key, "表单字段")
            _check_text(value, "表单内容")
        if any(not isinstance(key, str) for key in request.files):
            raise InvalidInput("invalid_form", "表单中有缺少名称的文件，请检查后重试", field="file")


def _is_json() -> bool:
    return bool(_JSON_MIMETYPE.match(request.mimetype or ""))


def _too_large() -> TooLarge:
    return TooLarge("json_too_large", f"请求体过大，JSON 上限为 {MAX_JSON_BYTES // 1024} KB",
                    limit=MAX_JSON_BYTES)


def _parse_json_body() -> Any:
    if request.content_length is not None and request.content_length > min(
            MAX_JSON_BYTES, current_app.config.get("MAX_CONTENT_LENGTH") or MAX_JSON_BYTES):
        raise _too_large()
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    if len(raw) > MAX_JSON_BYTES:
        raise _too_large()
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    """Bytes → the JSON value, or InvalidInput: depth, characters, numbers and syntax checked.
    UTF-8 only: a NUL byte (every UTF-16 or UTF-32 text has them, and the parser would accept
    those) would put the depth count out of step with what the parser reads."""
    if b"\x00" in raw:
        raise _not_json()
    depth = json_depth(raw)
    if depth is None:
        raise _not_json()
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput("json_too_deep", f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）")
    try:
        value = json.loads(raw, parse_int=_bounded_int, parse_float=_finite_float,
                           parse_constant=_no_constant)
    except _NumberOutOfRange:
        raise InvalidInput("json_number_out_of_range", "JSON 中的数值超出范围（整数应在 ±2^63 以内，且不能为 NaN 或无穷大）") from None
    except ValueError:  # syntax, encoding, over-long digit strings
        raise _not_json() from None
    _check_strings(value, "JSON")
    return value


def _not_json() -> InvalidInput:
    return InvalidInput("invalid_json", "请求体不是合法的 JSON（应为 UTF-8 编码）")


def json_depth(raw: bytes) -> int | None:
    """The deepest nesting of arrays and objects, read from the text without parsing it: escaped
    backslashes and quotes are dropped, then what lies between quotes (the strings), then all
    but the brackets; each pass then deletes the innermost ``[]`` pairs, one level per pass. All
    of it runs in C and stops once past the limit. None when the brackets do not pair up (not
    JSON). Where the text stops being JSON, the parser stops too, so it never goes deeper than
    what was counted before that point."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = b"".join(unescaped.split(b'"')[::2]).translate(_AS_SQUARE, _NOT_BRACKETS)
    depth = 0
    while skeleton:
        if depth > MAX_JSON_DEPTH:
            return depth
        shorter = skeleton.replace(b"[]", b"")
        if len(shorter) == len(skeleton):
            return None
        skeleton, depth = shorter, depth + 1
    return depth


def _check_strings(value: Any, where: str) -> None:
    """Every key and string of a parsed JSON value (bounded depth: the recursion is too)."""
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            _check_strings(item, where)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, where)


class _NumberOutOfRange(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not -JSON_INT_LIMIT <= (number := int(text)) < JSON_INT_LIMIT:
        raise _NumberOutOfRange(text)
    return number


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NumberOutOfRange(text)
    return number


def _no_constant(text: str) -> Any:
    raise _NumberOutOfRange(text)
