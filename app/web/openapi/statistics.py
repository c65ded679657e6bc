"""OpenAPI paths of the performance figures (效能统计): the figures, the Excel report and the
cases behind a figure, for leaders, 效能监察, auditors and admins (reviewers and inspectors:
their own department)."""
from __future__ import annotations

from typing import Any

from app.services.statistics.drilldown import FIGURE_LABELS
from app.web.openapi.parts import errors, ok, query

_DAY = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_CODE = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_PARAMS = [
    query("from", _DAY, "起始日期（北京时间，含当日；默认本月 1 日）"),
    query("to", _DAY, "结束日期（含当日；默认今天）；期间不超过 3,660 天"),
    query("department", _CODE, "部门编码（审查、核查人员只能是本部门）"),
    query("item", _CODE, "事项编码（或“一件事”、工程建设项目类型编码）"),
    query("reviewer", _CODE, "审查人员用户名：加上其本期间办理的环节数、决定、退回补正和平均用时"),
]
_RATE = {"type": ["number", "null"]}
_FIGURES = {"type": "object", "required": [
    "period", "received", "completed", "on_time_rate", "overdue_open", "avg_working_days", "avg_promised_limit",
    "immediate_share", "one_visit_rate", "by_department", "by_item", "weekly"], "properties": {
    "period": {"type": "object"}, "received": {"type": "integer"}, "completed": {"type": "integer"},
    "on_time_rate": _RATE, "overdue_open": {"type": "integer"}, "avg_working_days": _RATE,
    "avg_promised_limit": _RATE, "immediate_share": _RATE, "one_visit_rate": _RATE,
    "by_department": {"type": "array", "items": {"type": "object", "required": [
        "department", "received", "completed", "on_time_rate", "avg_working_days", "open", "overdue_open"]}},
    "by_item": {"type": "array", "items": {"type": "object"}},
    "weekly": {"type": "array", "items": {"type": "object", "required": ["week", "received", "completed",
                                                                          "on_time_rate"]}}}}


def statistics_paths() -> dict[str, Any]:
    return {
        "/api/v1/statistics": {"get": {
            "summary": "效能统计：收件、受理、办结、按时办结率、平均用时、即办件占比、最多跑一次比例，按部门、事项、周",
            "parameters": _PARAMS, "responses": {**ok("统计结果", _FIGURES), **errors(401, 403)}}},
        "/api/v1/statistics.xlsx": {"get": {
            "summary": "效能统计报表（Excel：标题、统计期间，每种分组一张工作表）", "parameters": _PARAMS,
            "responses": {"200": {"description": "Excel 文件", "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}}}}, **errors(401, 403)}}},
        "/api/v1/statistics/cases": {"get": {
            "summary": "某项统计数字背后的办件（分页，每页 50 件）",
            "parameters": [*_PARAMS, query("figure", {"enum": sorted(FIGURE_LABELS)}, "统计项", required=True),
                           query("page", {"type": "integer", "minimum": 1, "maximum": 100_000}, "页码")],
            "responses": {**ok("办件列表", {"type": "object", "required": ["figure", "total", "items"]}),
                          **errors(401, 403)}}},
    }
