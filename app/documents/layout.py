"""The certificate and the refusal letter as PDF pages (reportlab), before they are signed.

PDF/A-style: one A4 page, every font embedded (the CJK font subset), the document's title,
author, subject and keywords set (the keywords carry the certificate number, so a checker can
find the licence again), no encryption, no JavaScript, no external references. The QR code
(segno) encodes the public verification URL with the check code.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from app.documents.fonts import cjk_font
from app.documents.seal_image import draw_seal

KEYWORD_PREFIX = "oneseal-certificate:"
_FRAME = Color(0.72, 0.55, 0.20)
_GREY = Color(0.35, 0.35, 0.35)


@dataclass(frozen=True)
class DocumentContent:
    """What is printed; plain values, already in Chinese."""

    #: ``certificate`` or ``refusal``
    kind: str
    title: str
    number: str
    holder: str
    item_name: str
    issued_on: date
    bureau_name: str
    verify_url: str
    check_code: str
    valid_until: date | None = None
    #: the certificate's fields in order: (label, value)
    rows: tuple[tuple[str, str], ...] = ()
    #: the refusal letter's paragraphs
    paragraphs: tuple[str, ...] = ()
    note: str = ""
    extra_keywords: tuple[str, ...] = field(default=())


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render(content: DocumentContent) -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=0)
    canvas.setTitle(f"{content.title} {content.number}")
    canvas.setAuthor(content.bureau_name)
    canvas.setSubject(f"{content.item_name} · {content.holder}")
    canvas.setCreator("OneSeal 一枚印章管审批")
    canvas.setKeywords(" ".join((KEYWORD_PREFIX + content.number, *content.extra_keywords)))
    width, height = A4
    _frame(canvas, width, height)
    canvas.setFillColor(black)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 48 * mm, content.title)
    canvas.setFont(font, 10.5)
    canvas.setFillColor(_GREY)
    canvas.drawRightString(width - 28 * mm, height - 60 * mm, f"编号：{content.number}")
    canvas.setFillColor(black)
    top = height - 76 * mm
    if content.kind == "certificate":
        bottom = _rows(canvas, font, content, top, width)
    else:
        bottom = _paragraphs(canvas, font, content, top, width)
    if content.note:
        canvas.setFont(font, 9)
        canvas.setFillColor(_GREY)
        for line in wrap(content.note, font, 9, width - 56 * mm):
            bottom -= 5 * mm
            canvas.drawString(28 * mm, bottom, line)
        canvas.setFillColor(black)
    _footer(canvas, font, content, width)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


_NO_LINE_START = set("，。、；：？！）》」』”’%,.;:?!)")


def wrap(text: str, font: str, size: float, width: float, first_indent: float = 0.0) -> list[str]:
    """Lines of at most ``width`` points, broken between any two characters (Chinese has no
    spaces), never before closing punctuation; explicit newlines kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", first_indent if not lines else 0.0
        for char in paragraph:
            advance = stringWidth(char, font, size)
            if line and used + advance > width and char not in _NO_LINE_START:
                lines.append(line)
                line, used = "", 0.0
            line += char
            used += advance
        lines.append(line)
    return lines


def _frame(canvas: Canvas, width: float, height: float) -> None:
    canvas.setStrokeColor(_FRAME)
    canvas.setLineWidth(2.2)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)


def _rows(canvas: Canvas, font: str, content: DocumentContent, top: float, width: float) -> float:
    label_x, value_x, value_width = 30 * mm, 62 * mm, width - 92 * mm
    y = top
    term = (f"{chinese_date(content.issued_on)}至{chinese_date(content.valid_until)}" if content.valid_until
            else "长期")
    for label, value in (*content.rows, ("有效期限", term)):
        canvas.setFont(font, 12.5)
        canvas.drawString(label_x, y, label)
        lines = wrap(value or "—", font, 12.5, value_width) or ["—"]
        for line in lines[:8]:
            canvas.drawString(value_x, y, line)
            y -= 7.5 * mm
        y -= 2.5 * mm
    return y


def _paragraphs(canvas: Canvas, font: str, content: DocumentContent, top: float, width: float) -> float:
    y = top
    canvas.setFont(font, 12)
    for paragraph in content.paragraphs:
        indent = 2 * stringWidth("中", font, 12)  # 首行缩进两字
        for index, line in enumerate(wrap(paragraph, font, 12, width - 60 * mm, first_indent=indent)):
            canvas.drawString(30 * mm + (indent if index == 0 else 0), y, line)
            y -= 7 * mm
        y -= 3 * mm
    return y


def _footer(canvas: Canvas, font: str, content: DocumentContent, width: float) -> None:
    # the QR code with the verification link, lower left
    size = 32 * mm
    x0, y0 = 28 * mm, 30 * mm
    _qr(canvas, content.verify_url, x0, y0, size)
    canvas.setFont(font, 8.5)
    canvas.setFillColor(_GREY)
    canvas.drawString(x0, y0 - 5 * mm, "扫码核验证照真伪与状态")
    canvas.drawString(x0, y0 - 9.5 * mm, f"核验码：{content.check_code}")
    # the issuer, the date and the seal over them, lower right
    canvas.setFillColor(black)
    right = width - 34 * mm
    canvas.setFont(font, 13)
    canvas.drawRightString(right, 62 * mm, content.bureau_name)
    canvas.setFont(font, 12)
    canvas.drawRightString(right, 53 * mm, chinese_date(content.issued_on))
    seal_x = right - canvas.stringWidth(content.bureau_name, font, 13) / 2
    draw_seal(canvas, seal_x, 58 * mm, 21 * mm, content.bureau_name, font)


def _qr(canvas: Canvas, text: str, x0: float, y0: float, size: float) -> None:
    matrix = segno.make(text, error="m", micro=False).matrix
    count = len(matrix) + 8  # the quiet zone
    module = size / count
    canvas.setFillColor(black)
    for row_index, row in enumerate(matrix):
        y = y0 + size - (row_index + 5) * module
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                canvas.rect(x0 + (start + 4) * module, y, (column - start) * module, module, stroke=0, fill=1)
            else:
                column += 1
