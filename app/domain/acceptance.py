"""Rules of acceptance (受理) that hold whatever the diagram says."""
from __future__ import annotations

from app.domain.catalogue import Item, Material


def missing_materials(item: Item, received: list[str]) -> list[Material]:
    have = set(received)
    return [m for m in item.materials if m.code not in have]


def missing_main_materials(item: Item, received: list[str]) -> list[Material]:
    return [m for m in missing_materials(item, received) if m.main]
