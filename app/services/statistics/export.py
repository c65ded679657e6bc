"""The figures as a monthly report: Excel (openpyxl; a title row, the period, one sheet per
breakdown), CSV (UTF-8 with BOM, Chinese headers) and JSON for the command line."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.services.statistics.figures import Figures

#: (key, Chinese label, kind) of the summary, in report order; kind ``rate`` prints as a percentage
SUMMARY = (
    ("received", "收件数", "int"), ("accepted", "受理数", "int"), ("accepted_with_gaps", "其中容缺受理", "int"),
    ("returned", "退回补正次数", "int"), ("completed", "办结数", "int"), ("granted", "准予", "int"),
    ("refused", "不予", "int"), ("withdrawn", "视为撤回", "int"), ("partial", "部分准予", "int"),
    ("not_accepted", "不予受理", "int"), ("open", "当前在办", "int"), ("overdue_open", "当前在办超期", "int"),
    ("on_time_rate", "按时办结率", "rate"), ("overdue_completed", "超期办结数", "int"),
    ("avg_working_days", "平均办理用时（工作日）", "num"), ("p90_working_days", "90% 办件用时不超过（工作日）", "num"),
    ("avg_promised_limit", "平均承诺时限（工作日）", "num"), ("avg_statutory_limit", "平均法定时限（工作日）", "num"),
    ("speed_up_vs_statutory", "较法定时限提速", "rate"), ("immediate_share", "即办件占比", "rate"),
    ("commitment_accepted", "告知承诺受理数", "int"), ("bundles_received", "“一件事”收件数", "int"),
    ("one_visit_rate", "最多跑一次比例", "rate"), ("online_share", "网上办理率", "rate"),
    ("satisfaction", "满意度", "rate"),
)
DEPARTMENT_COLUMNS = (("department_name", "部门", "text"), ("received", "收件", "int"),
                      ("completed", "办结", "int"), ("on_time_rate", "按时办结率", "rate"),
                      ("avg_working_days", "平均用时（工作日）", "num"), ("open", "在办", "int"),
                      ("overdue_open", "在办超期", "int"))
ITEM_COLUMNS = (("item", "事项编码", "text"), ("item_name", "事项名称", "text"),
                ("department_name", "部门", "text"), ("received", "收件", "int"), ("completed", "办结", "int"),
                ("on_time_rate", "按时办结率", "rate"), ("avg_working_days", "平均用时（工作日）", "num"),
                ("promised_limit", "承诺时限", "num"), ("statutory_limit", "法定时限", "num"))
WEEK_COLUMNS = (("week", "周", "text"), ("week_start", "起始日", "text"), ("received", "收件", "int"),
                ("completed", "办结", "int"), ("on_time_rate", "按时办结率", "rate"))
STAGE_COLUMNS = (("stage", "阶段", "int"), ("name", "阶段名称", "text"), ("concluded", "办结数", "int"),
                 ("avg_working_days", "平均用时（工作日）", "num"), ("avg_limit", "平均时限（工作日）", "num"),
                 ("over_limit", "超时限", "int"))
Columns = Sequence[tuple[str, str, str]]


def period_line(figures: Figures, bureau: str) -> str:
    period = figures["period"]
    scope = period.get("department_name") or "全局"
    if period.get("item_name"):
        scope += f" · {period['item_name']}"
    return f"{bureau} · {scope} · 统计期间：{period['from']} 至 {period['to']}（{period['working_days']} 个工作日）"


def to_xlsx(figures: Figures, bureau: str) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "总体"
    _titled(summary, f"{bureau}效能统计报表", period_line(figures, bureau), 2)
    summary.append(["指标", "数值"])
    for key, label, kind in SUMMARY:
        summary.append([label, _cell(figures.get(key), kind)])
        if kind == "rate":
            summary.cell(summary.max_row, 2).number_format = "0.00%"
    _widths(summary, [30, 16])
    for title, rows, columns in (("按部门", figures["by_department"], DEPARTMENT_COLUMNS),
                                 ("按事项", figures["by_item"], ITEM_COLUMNS),
                                 ("按周", figures["weekly"], WEEK_COLUMNS),
                                 ("工程建设项目阶段", figures["project_stages"], STAGE_COLUMNS)):
        sheet = book.create_sheet(title)
        _titled(sheet, f"{bureau}效能统计报表 · {title}", period_line(figures, bureau), len(columns))
        sheet.append([label for _, label, _ in columns])
        for row in rows:
            sheet.append([_cell(row.get(key), kind) for key, _, kind in columns])
            for index, (_, _, kind) in enumerate(columns, start=1):
                if kind == "rate":
                    sheet.cell(sheet.max_row, index).number_format = "0.00%"
        _widths(sheet, [24 if kind == "text" else 14 for _, _, kind in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _titled(sheet: Any, title: str, subtitle: str, width: int) -> None:
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(2, width))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([subtitle])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(2, width))
    sheet.freeze_panes = "A4"


def _widths(sheet: Any, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _cell(value: Any, kind: str) -> Any:
    return "" if value is None else value


def to_csv(figures: Figures) -> str:
    """The summary, then each breakdown under its own heading (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["统计期间", figures["period"]["from"], figures["period"]["to"]])
    writer.writerow(["指标", "数值"])
    for key, label, kind in SUMMARY:
        writer.writerow([label, _text(figures.get(key), kind)])
    for title, rows, columns in (("按部门", figures["by_department"], DEPARTMENT_COLUMNS),
                                 ("按事项", figures["by_item"], ITEM_COLUMNS),
                                 ("按周", figures["weekly"], WEEK_COLUMNS)):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow([label for _, label, _ in columns])
        for row in rows:
            writer.writerow([_text(row.get(key), kind) for key, _, kind in columns])
    return out.getvalue()


def to_json(figures: Figures) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)


def to_table(figures: Figures, bureau: str) -> str:
    lines = [period_line(figures, bureau)]
    width = max(len(label) for _, label, _ in SUMMARY)
    lines += [f"{label:　<{width}}  {_text(figures.get(key), kind)}" for key, label, kind in SUMMARY]
    lines.append("")
    lines.append("按部门：部门 / 收件 / 办结 / 按时办结率 / 平均用时 / 在办 / 在办超期")
    for row in figures["by_department"]:
        lines.append("  " + " / ".join(_text(row.get(key), kind)
                                       for key, _, kind in DEPARTMENT_COLUMNS))
    return "\n".join(lines)


def _text(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.2f}%"
    return str(value)
