"""The 办件综合查询 results as an Excel workbook (openpyxl), with the same criteria, the same
visibility and the same Chinese column headings as the page."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from app.domain.timing.clock import local_date
from app.services.actor import Actor
from app.services.reading.case_search import MAX_EXPORT, CaseSearch, FoundCase, export_rows
from app.services.runtime import Runtime

#: the file's name as people read it, and the ASCII one for old clients
EXPORT_NAME, EXPORT_ASCII_NAME = "办件综合查询", "cases"
#: (heading, width) in column order
COLUMNS = (("办件编号", 14), ("事项编码", 12), ("事项名称", 30), ("申请人", 24), ("承办部门", 18),
           ("办件状态", 10), ("登记时间", 18), ("办结期限", 12), ("时限情况", 16))


def _row(case: FoundCase) -> list[str]:
    deadline = case["deadline"]
    return [case["number"], case["item_code"], case["item_name"], case["applicant"], case["department_name"],
            case["status_label"], case["registered_at"][:16].replace("T", " "), case["due_date"] or "",
            deadline["label"] if deadline else ""]


def cell_text(value: str) -> str:
    """Text as a cell takes it: control characters (which a worksheet cannot hold) dropped, and a
    leading ``=`` quoted so that nothing typed ever becomes a formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith("=") else value


def _heading(sheet: Worksheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    return cell


def workbook_bytes(session: Session, runtime: Runtime, actor: Actor, criteria: CaseSearch) -> bytes:
    """The workbook: a sheet of matching cases (newest first, at most :data:`MAX_EXPORT`), and a
    line saying when, by whom and with which criteria it was made."""
    cases = export_rows(session, runtime, actor, criteria)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("办件")
    for index, (_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_heading(sheet, heading) for heading, _ in COLUMNS])
    for case in cases:
        # text cells only: a value a user typed never becomes a formula
        sheet.append([cell_text(value) for value in _row(case)])
    made = local_date(runtime.clock.now()).isoformat()
    criteria_text = "，".join(f"{key}={value}" for key, value in criteria.as_args().items()) or "全部"
    sheet.append([])
    sheet.append([cell_text(f"导出日期 {made}，导出人 {actor.display_name or actor.username}，条件：{criteria_text}，"
                            f"共 {len(cases)} 件" + ("（已达导出上限，请缩小查询范围）" if len(cases) >= MAX_EXPORT else ""))])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
