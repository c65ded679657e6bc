"""Construction projects (工程建设项目审批): project types, their four stages, and the rules of
materials between stages.

A project passes four stages in order — 1 立项用地规划许可, 2 工程建设许可, 3 施工许可,
4 竣工验收 — each under one lead section (牵头部门) with its own limit in working days. In
stages 1–3 the stage's catalogue items are decided in parallel; stage 4 is a joint acceptance
(联合验收) by the listed departments. Every stage has one set of materials (一套材料):

* a stage is accepted (阶段受理) only when its main materials are all there;
* its secondary materials may be missing (容缺) and carried to the next stage (容缺后补): the
  stage may conclude without them, the next one may not;
* the last stage has no next one: it concludes only when nothing at all is owed.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.bureau.catalogue import InspectionProfile, ItemKind, Material

STAGE_COUNT = 4


@dataclass(frozen=True)
class SurveyProfile:
    """A joint survey (联合踏勘) inside a stage, routed by the site-inspection rules."""

    #: departments that join the survey besides the bureau's site-survey section
    departments: tuple[str, ...]
    risk_level: str = "medium"


@dataclass(frozen=True)
class StageSpec:
    """One stage as the bureau defines it (the same for every project type)."""

    number: int
    name: str
    #: the lead section (牵头部门): accepts the stage, concludes it (阶段批复)
    lead: str
    #: catalogue items decided in this stage: in parallel by their departments (stages 1–3);
    #: stage 4 has one, the joint acceptance itself, decided by the lead section
    items: tuple[str, ...]
    materials: tuple[Material, ...]
    survey: SurveyProfile | None = None
    #: departments of the joint acceptance (联合验收, stage 4)
    acceptance: tuple[str, ...] = ()

    @property
    def main_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.main)


@dataclass(frozen=True)
class ProjectType:
    """A project type (政府投资 / 企业投资): its stage limits and the items it runs.

    It answers the questions services ask of a case's subject (materials, kind, limits), like
    an :class:`~app.domain.bureau.catalogue.Item` or a bundle does; the stage rules are its own.
    """

    code: str
    name: str
    #: working days per stage, stage 1 first
    limits: tuple[int, ...]
    #: the stages as this type runs them (items of other types left out)
    stages: tuple[StageSpec, ...]
    #: item code → department, for every item of the stages
    item_departments: dict[str, str]
    process: str = "construction_project"
    legal_basis: str = ""
    fee: str = "不收费"
    kind: ItemKind = ItemKind.PROMISED
    site_inspection: bool = False
    inspection: InspectionProfile | None = None
    parallel: None = None
    gaps_until: None = None
    commitment: None = None

    @property
    def department(self) -> str:
        """The department a new project's case starts with: the first stage's lead."""
        return self.stages[0].lead

    @property
    def materials(self) -> tuple[Material, ...]:
        return tuple(m for stage in self.stages for m in stage.materials)

    @property
    def promised_limit(self) -> int:
        """The approval time of the whole project: the sum of its stage limits."""
        return sum(self.limits)

    @property
    def statutory_limit(self) -> int:
        return self.promised_limit

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    def stage(self, number: int) -> StageSpec:
        return self.stages[number - 1]

    def limit(self, number: int) -> int:
        return self.limits[number - 1]

    @property
    def last_stage(self) -> int:
        return len(self.stages)


def missing_main(stage: StageSpec, received: list[str]) -> list[Material]:
    """The main materials a stage still needs before it can be accepted."""
    have = set(received)
    return [m for m in stage.main_materials if m.code not in have]


def owed_before_conclusion(project: ProjectType, number: int,
                           received: list[str]) -> list[tuple[StageSpec, Material]]:
    """What must have arrived before stage *number* concludes, with the stage it belongs to.

    The secondary materials of the earlier stages (carried to this one); for the last stage,
    every material of every stage.
    """
    have = set(received)
    owed = []
    for stage in project.stages:
        if stage.number > number or (stage.number == number and number < project.last_stage):
            break
        owed += [(stage, m) for m in stage.materials if m.code not in have]
    return owed


def carried(project: ProjectType, number: int, received: list[str]) -> list[Material]:
    """Secondary materials of stage *number* still missing (容缺), carried to the next stage."""
    have = set(received)
    return [m for m in project.stage(number).materials if not m.main and m.code not in have]
