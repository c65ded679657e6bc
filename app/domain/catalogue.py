"""The item catalogue (事项目录): departments, items and their materials."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import NotFound


class ItemKind(StrEnum):
    IMMEDIATE = "immediate"
    PROMISED = "promised"

    @property
    def label(self) -> str:
        return "即办件" if self is ItemKind.IMMEDIATE else "承诺件"


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    main: bool


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    department: str
    kind: ItemKind
    statutory_limit: int
    promised_limit: int
    materials: tuple[Material, ...]
    site_inspection: bool
    process: str
    legal_basis: str = ""
    fee: str = "不收费"

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)


@dataclass(frozen=True)
class Catalogue:
    departments: dict[str, Department]
    items: dict[str, Item]
    source: str = ""

    def item(self, code: str) -> Item:
        try:
            return self.items[code]
        except KeyError:
            raise NotFound("item_not_found", f"事项“{code}”不在事项目录中", item_code=code) from None

    def department_name(self, code: str | None) -> str:
        if code is None:
            return ""
        department = self.departments.get(code)
        return department.name if department else code
