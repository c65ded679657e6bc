"""Rules of acceptance (受理) and of accept-with-gaps (容缺受理), whatever the diagram says.

* An item without 容缺受理 is accepted only with every material.
* An item with 容缺受理 (``gaps_until``) is accepted when its main materials are complete;
  the secondary ones it still lacks are its gaps, and the case may not pass the item's point
  (作出决定前 / 制证前) until they have arrived.
"""
from __future__ import annotations

from typing import Any

from app.domain.bureau.catalogue import GapPoint, Material, Subject
from app.domain.errors import InvalidInput


def missing_materials(item: Subject, received: list[str]) -> list[Material]:
    have = set(received)
    return [m for m in item.materials if m.code not in have]


def missing_main_materials(item: Subject, received: list[str]) -> list[Material]:
    return [m for m in missing_materials(item, received) if m.main]


def acceptance_blockers(item: Subject, received: list[str]) -> tuple[str, list[Material]]:
    """Why the case cannot be accepted yet (a Chinese reason) and the materials it needs."""
    main = missing_main_materials(item, received)
    if main:
        return "主要材料不齐，不能受理", main
    if item.gaps_until is None:
        missing = missing_materials(item, received)
        if missing:
            return "材料不齐，本事项不适用容缺受理，不能受理", missing
    return "", []


def gaps(item: Subject, received: list[str]) -> list[Material]:
    """The secondary materials an item accepted with gaps still lacks."""
    if item.gaps_until is None:
        return []
    return [m for m in missing_materials(item, received) if not m.main]


def gap_blocks(item: Subject, received: list[str], stage: str | None, decision: str | None) -> list[Material]:
    """The gaps that stop a step at the item's point (an approval there, or the certificate)."""
    point = item.gaps_until
    if point is None or stage != point.stage:
        return []
    if point is GapPoint.DECISION and decision != "approve":
        return []  # refusing the application needs no missing material
    return gaps(item, received)


def material_codes(item: Subject, materials: Any, *, required: bool = False) -> list[str]:
    """Material codes a clerk ticked, checked against the item (or bundle); duplicates dropped."""
    if not isinstance(materials, list) or not all(isinstance(m, str) for m in materials) \
            or (required and not materials):
        raise InvalidInput("invalid_materials", "请勾选收到的材料（materials 应为材料编码列表）",
                           field="materials")
    unknown = [m for m in materials if item.material(m) is None]
    if unknown:
        raise InvalidInput("unknown_material", f"材料“{unknown[0][:40]}”不属于事项“{item.name}”",
                           field="materials")
    return list(dict.fromkeys(materials))
