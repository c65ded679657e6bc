"""The CJK font embedded in every document: from a Debian package, never downloaded.

``fonts-wqy-microhei`` (文泉驿微米黑, a TrueType collection reportlab can embed and subset) is
looked for first; ``ONESEAL_CJK_FONT`` may name another TrueType file. The font is registered
once per process: parsing the 5 MB collection costs a few hundred milliseconds, each document
then embeds only the glyphs it uses.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from app.domain.errors import OneSealError

FONT_NAME = "OneSealCJK"
CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
_lock = threading.Lock()
_registered: list[Path] = []


class FontMissing(OneSealError):
    kind = "unavailable"


def font_path() -> Path:
    configured = os.environ.get("ONESEAL_CJK_FONT")
    candidates = (Path(configured),) if configured else CANDIDATES
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing("cjk_font_missing",
                      "未找到可嵌入的中文字体：请安装 Debian 软件包 fonts-wqy-microhei，或以 ONESEAL_CJK_FONT 指定 TrueType 字体文件",
                      setting="ONESEAL_CJK_FONT")


def cjk_font() -> str:
    """The registered font's name (registering it on first use)."""
    if _registered:
        return FONT_NAME
    with _lock:
        if not _registered:
            path = font_path()
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            _registered.append(path)
    return FONT_NAME
