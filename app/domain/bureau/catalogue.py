"""The item catalogue (事项目录): departments, items and their materials."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from app.domain.errors import NotFound
from app.domain.cases.parallel import ParallelMode

if TYPE_CHECKING:
    from app.domain.bureau.projects import ProjectType


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
    #: the same document across items (e.g. ``business_licence``): asked once in a bundle
    shared: str | None = None
    #: in a bundle: the items that ask for this material
    items: tuple[str, ...] = ()


RISK_LABELS = {"low": "低", "medium": "中", "high": "高"}


@dataclass(frozen=True)
class InspectionProfile:
    """What the site-inspection rules need to know of an item (现场核查属性)."""

    risk_level: str = "low"
    #: the inspection needs professional qualification
    technical: bool = False
    #: the bureau's own inspectors are qualified for it
    bureau_qualified: bool = True
    #: partner departments (相关部门) that join a joint inspection
    partners: tuple[str, ...] = ()
    #: the qualified department an entrusted inspection goes to (委托核查)
    qualified_department: str | None = None


@dataclass(frozen=True)
class ParallelProfile:
    """Departments that review the item at the same time (并联审批) and how they combine."""

    departments: tuple[str, ...]
    mode: ParallelMode
    #: percent of departments that must approve (mode ``ratio`` only)
    ratio: int | None = None


class GapPoint(StrEnum):
    """The point a case accepted with gaps (容缺受理) may not pass until the gaps are filled."""

    DECISION = "decision"
    CERTIFICATE = "certificate"

    @property
    def label(self) -> str:
        return "作出决定前" if self is GapPoint.DECISION else "制证前"

    @property
    def stage(self) -> str:
        return "pending_decision" if self is GapPoint.DECISION else "certifying"


@dataclass(frozen=True)
class CommitmentProfile:
    """Commitment-based approval (告知承诺制): approve at once, verify within a limit."""

    verification_limit: int


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
    inspection: InspectionProfile | None = None
    parallel: ParallelProfile | None = None
    gaps_until: GapPoint | None = None
    commitment: CommitmentProfile | None = None
    #: 监管部门: who supervises holders of this licence and receives its events (default: the
    #: implementing department)
    supervision_department: str | None = None

    @property
    def supervisor(self) -> str:
        return self.supervision_department or self.department

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)


def bundle_materials(items: tuple[Item, ...]) -> tuple[Material, ...]:
    """One application's materials for several items: a shared document once, the rest per item.

    A material marked ``shared`` (e.g. ``business_licence``) is asked once, under that code, and
    is main if any item needs it as main; any other material keeps its item: ``XK-0001-M01``.
    """
    merged: dict[str, Material] = {}
    for item in items:
        for material in item.materials:
            code = material.shared or f"{item.code}-{material.code}"
            known = merged.get(code)
            if known is None:
                merged[code] = Material(code, material.name, material.main, material.shared, (item.code,))
            else:
                merged[code] = Material(code, known.name, known.main or material.main, known.shared,
                                        (*known.items, item.code))
    return tuple(merged.values())


@dataclass(frozen=True)
class Bundle:
    """One-thing bundle (一件事): one application, one form and one set of materials for several
    related items, decided in parallel, each keeping its own result and certificate."""

    code: str
    name: str
    department: str
    items: tuple[Item, ...]
    promised_limit: int
    process: str = "bundle_approval"
    materials: tuple[Material, ...] = ()
    kind: ItemKind = ItemKind.PROMISED
    site_inspection: bool = False
    inspection: InspectionProfile | None = None
    parallel: ParallelProfile | None = None
    gaps_until: GapPoint | None = None
    commitment: CommitmentProfile | None = None
    legal_basis: str = ""
    fee: str = "不收费"

    @property
    def statutory_limit(self) -> int:
        return max(item.statutory_limit for item in self.items)

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)


class Subject(Protocol):
    """What a case is about: one item, a bundle of items (一件事) or a construction project
    type. They answer the same questions (materials, kind, limits, profiles), so the services
    that ask only these take any of them."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def kind(self) -> ItemKind: ...
    @property
    def statutory_limit(self) -> int: ...
    @property
    def promised_limit(self) -> int: ...
    @property
    def materials(self) -> tuple[Material, ...]: ...
    @property
    def site_inspection(self) -> bool: ...
    @property
    def process(self) -> str: ...
    @property
    def inspection(self) -> InspectionProfile | None: ...
    @property
    def parallel(self) -> ParallelProfile | None: ...
    @property
    def gaps_until(self) -> GapPoint | None: ...
    @property
    def commitment(self) -> CommitmentProfile | None: ...
    def material(self, code: str) -> Material | None: ...


@dataclass(frozen=True)
class Catalogue:
    departments: dict[str, Department]
    items: dict[str, Item]
    source: str = ""
    bureau_name: str = "行政审批服务局"
    #: the bureau's own site-survey section (现场勘验): independent and joint inspections
    inspection_department: str | None = None
    bundles: dict[str, Bundle] = field(default_factory=dict)
    #: construction project types (工程建设项目), from ``data/projects.toml``
    projects: dict[str, ProjectType] = field(default_factory=dict)

    def item(self, code: str) -> Item:
        try:
            return self.items[code]
        except KeyError:
            raise NotFound("item_not_found", f"事项“{code}”不在事项目录中", item_code=code) from None

    def find(self, code: str) -> Subject | None:
        """The item, the bundle or the project type with this code, or None."""
        found: Subject | None = self.bundles.get(code) or self.projects.get(code) or self.items.get(code)
        return found

    def subject(self, code: str) -> Subject:
        """The item, the bundle or the project type a case is about."""
        found = self.find(code)
        return found if found is not None else self.item(code)  # item(): names what is missing

    def item_or_bundle(self, code: str) -> Item | Bundle:
        """The item or the bundle an application names (a project type is registered its own way)."""
        found = self.bundles.get(code) or self.items.get(code)
        return found if found is not None else self.item(code)

    def department_name(self, code: str | None) -> str:
        if code is None:
            return ""
        department = self.departments.get(code)
        return department.name if department else code
