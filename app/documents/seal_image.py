"""The seal's image, drawn by the program: the round red seal of the bureau.

A red ring, the bureau's name along the upper arc, the five-pointed star in the middle and the
seal's purpose (行政审批专用章) under it, as a Chinese official seal is laid out. Drawn in
vector on the page, so it is sharp at any size and needs no picture file.
"""
from __future__ import annotations

import math

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

SEAL_RED = Color(0.80, 0.08, 0.10, alpha=0.88)


def draw_seal(canvas: Canvas, cx: float, cy: float, radius: float, bureau_name: str, font: str,
              purpose: str = "行政审批专用章") -> None:
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(radius * 0.055)
    canvas.circle(cx, cy, radius * 0.96, stroke=1, fill=0)
    _star(canvas, cx, cy, radius * 0.26)
    _arc_text(canvas, cx, cy, radius * 0.72, bureau_name, font, radius * 0.23)
    size = radius * 0.15
    canvas.setFont(font, size)
    canvas.drawCentredString(cx, cy - radius * 0.6, purpose)
    canvas.restoreState()


def _star(canvas: Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * 0.382
    path = canvas.beginPath()
    for point in range(10):
        r = outer if point % 2 == 0 else inner
        angle = math.pi / 2 + point * math.pi / 5
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
        if point == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _arc_text(canvas: Canvas, cx: float, cy: float, radius: float, text: str, font: str, size: float) -> None:
    """The characters from lower left, over the top, to lower right, each upright to the ring."""
    count = len(text)
    if count == 0:
        return
    span = min(math.radians(235), math.radians(30) * (count - 1))
    size = min(size, radius * span / max(count - 1, 1) * 0.9)
    start = math.pi / 2 + span / 2
    step = span / max(count - 1, 1) if count > 1 else 0.0
    canvas.setFont(font, size)
    for index, char in enumerate(text):
        angle = start - index * step if count > 1 else math.pi / 2
        canvas.saveState()
        canvas.translate(cx + radius * math.cos(angle), cy + radius * math.sin(angle))
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, -size * 0.35, char)
        canvas.restoreState()
