"""What the window takes in: an application for an item, a bundle or a construction project."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from app.domain.errors import InvalidInput

#: the longest text of any one field about the applicant
MAX_APPLICANT_FIELD = 200
#: how many fields the applicant (or a project) may have, and how they are named
MAX_DETAILS = 20
_DETAIL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_LABELS = {"name": "名称", "location": "建设地点"}
#: what no one can read: spaces, controls and invisible formatting (zero-width, bidi controls)
_INVISIBLE = ("Cc", "Cf", "Zs", "Zl", "Zp")


@dataclass(frozen=True)
class Application:
    #: the item's, the bundle's or the project type's code
    item_code: str
    applicant: dict[str, Any]
    materials: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    #: a construction project's own details: name, location, … (工程建设项目 only)
    project: dict[str, Any] = field(default_factory=dict)


def has_visible_text(value: str) -> bool:
    """Whether the text has a character a person can see (a name of zero-width spaces or bidi
    controls only is no name)."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in value)


def checked_texts(values: Any, what: str, field: str, required: dict[str, int]) -> dict[str, str]:
    """Short texts about the applicant or the project: the required keys (with their maximum
    length) and at most a few others, named by lowercase identifiers."""
    if not isinstance(values, dict):
        raise InvalidInput(f"invalid_{field}", f"{what}信息应为对象", field=field)
    for key in required:
        value = values.get(key)
        if not isinstance(value, str) or not has_visible_text(value):
            raise InvalidInput(f"{field}_{key}_required", f"请填写{what}{_LABELS[key]}", field=f"{field}.{key}")
    if len(values) > MAX_DETAILS:
        raise InvalidInput(f"invalid_{field}", f"{what}信息最多 {MAX_DETAILS} 项", field=field)
    result = {}
    for key, value in values.items():
        limit = required.get(key, MAX_APPLICANT_FIELD)
        if not isinstance(key, str) or not _DETAIL_NAME.match(key):
            raise InvalidInput(f"invalid_{field}", f"{what}信息的字段名“{str(key)[:40]}”无效（应为小写英文标识）",
                               field=field)
        if not isinstance(value, str) or len(value) > limit:
            raise InvalidInput(f"invalid_{field}", f"{what}信息“{key}”应为不超过 {limit} 字的文本",
                               field=f"{field}.{key}")
        result[key] = value.strip()
    return result
