"""What an uploaded file is, found from its content (never from the name or type the browser
claims), and the name it is shown by."""
from __future__ import annotations

import unicodedata

#: content signatures of what may be uploaded
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"\x89PNG\r\n\x1a\n", "image/png"))
IMAGE_TYPES = ("image/jpeg", "image/png")


def content_type_of(data: bytes) -> str | None:
    return next((kind for signature, kind in SIGNATURES if data.startswith(signature)), None)


def clean_name(name: object, default: str = "扫描件") -> str:
    """The file's own name, without folders or control characters (shown, never used as a path)."""
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = "".join(ch for ch in text.replace("\\", "/").rsplit("/", 1)[-1]
                   if unicodedata.category(ch)[0] != "C").strip()
    return text[:200] or default
