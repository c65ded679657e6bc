"""Rules of acceptance (受理) and of accept-with-gaps (容缺受理), whatever the diagram says.

* An item without 容缺受理 is accepted only with every material.
* An item with 容缺受理 (``gaps_until``) is accepted when its main materials are complete;
  the secondary ones it still lacks are its gaps, and the case may not pass the item's point
  (作出决定前 / 制证前) until they have arrived.
"""
from __future__ import annotations

from app.domain.catalogue import GapPoint, Item, Material


def missing_materials(item: Item, received: list[str]) -> list[Material]:
    have = set(received)
    return [m for m in item.materials if m.code not in have]


def missing_main_materials(item: Item, received: list[str]) -> list[Material]:
    return [m for m in missing_materials(item, received) if m.main]


def acceptance_blockers(item: Item, received: list[str]) -> tuple[str, list[Material]]:
    """Why the case cannot be accepted yet (a Chinese reason) and the materials it needs."""
    main = missing_main_materials(item, received)
    if main:
        return "主要材料不齐，不能受理", main
    if item.gaps_until is None:
        missing = missing_materials(item, received)
        if missing:
            return "材料不齐，本事项不适用容缺受理，不能受理", missing
    return "", []


def gaps(item: Item, received: list[str]) -> list[Material]:
    """The secondary materials an item accepted with gaps still lacks."""
    if item.gaps_until is None:
        return []
    return [m for m in missing_materials(item, received) if not m.main]


def gap_blocks(item: Item, received: list[str], stage: str | None, decision: str | None) -> list[Material]:
    """The gaps that stop a step at the item's point (an approval there, or the certificate)."""
    point = item.gaps_until
    if point is None or stage != point.stage:
        return []
    if point is GapPoint.DECISION and decision != "approve":
        return []  # refusing the application needs no missing material
    return gaps(item, received)
