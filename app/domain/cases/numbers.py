"""Case numbers (办件编号) as people type them: ``2026-000123`` on the receipt, often typed without
the dash (``2026000123``) or with full-width digits and spaces from an input method."""
from __future__ import annotations

import re
import unicodedata

_TYPED = re.compile(r"^(\d{4})\s*-?\s*(\d{6})$")
#: dashes an input method may give in place of the hyphen
_DASHES = str.maketrans({"—": "-", "–": "-", "‐": "-", "‑": "-"})


def case_number(text: str) -> str | None:
    """The number in its canonical form (``2026-000123``), or None when ``text`` is not one."""
    folded = unicodedata.normalize("NFKC", text.strip()).translate(_DASHES)
    if not folded.isascii():
        return None
    found = _TYPED.match(folded)
    return f"{found[1]}-{found[2]}" if found else None
