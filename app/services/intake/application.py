"""What the window takes in: an application for an item, a bundle or a construction project."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: the longest text of any one field about the applicant
MAX_APPLICANT_FIELD = 200


@dataclass(frozen=True)
class Application:
    #: the item's, the bundle's or the project type's code
    item_code: str
    applicant: dict[str, Any]
    materials: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    #: a construction project's own details: name, location, … (工程建设项目 only)
    project: dict[str, Any] = field(default_factory=dict)
