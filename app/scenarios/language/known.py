"""The names a scenario may use, read from the bureau as it stands (or as a draft would make it)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.persistence.processes import versions as process_versions
from app.scenarios.language.checking import KnownNames
from app.services.demo import demo_users
from app.services.runtime import Runtime
from app.workflow.checking.coverage import DiagramOutline, outline

#: content hash → the diagram's outline (deployed versions never change)
_OUTLINES: dict[str, DiagramOutline] = {}


def _activities(content_hash: str, xml: str) -> Iterable[str]:
    diagram = _OUTLINES.get(content_hash)
    if diagram is None:
        diagram = _OUTLINES[content_hash] = outline(xml)
    return (name for name in diagram.activities.values() if name)


def step_names(session: Session, extra_xml: Iterable[str] = ()) -> frozenset[str]:
    """The names of the steps (环节) of every deployed process, and of ``extra_xml`` (a draft)."""
    from app.services.clock.deadlines import ESCALATION_NAME

    names: set[str] = {ESCALATION_NAME}  # the task the deadline check opens, in no diagram
    for version in process_versions.all_versions(session):
        names.update(_activities(version.content_hash, version.bpmn_xml))
    for xml in extra_xml:
        names.update(n for n in outline(xml).activities.values() if n)
    return frozenset(names)


def known_names(session: Session, runtime: Runtime, extra_xml: Iterable[str] = ()) -> KnownNames:
    from app.scenarios.vocabulary.cases import DECISIONS, ROLES

    catalogue = runtime.catalogue
    materials = {m.name for item in catalogue.items.values() for m in item.materials}
    materials |= {m.name for bundle in catalogue.bundles.values() for m in bundle.materials}
    for project in catalogue.projects.values():
        materials |= {m.name for m in getattr(project, "materials", ())}
        for stage in getattr(project, "stages", ()):
            materials |= {m.name for m in getattr(stage, "materials", ())}
    departments = {d.name for d in catalogue.departments.values()} | set(catalogue.departments)
    return KnownNames(
        users=frozenset(u.username for u in demo_users(runtime)),
        items=frozenset(i.name for i in catalogue.items.values()),
        bundles=frozenset(b.name for b in catalogue.bundles.values()),
        materials=frozenset(materials),
        departments=frozenset(departments),
        steps=step_names(session, extra_xml),
        decisions=frozenset(DECISIONS),
        roles=frozenset(ROLES) | frozenset({"window", "reviewer", "leader", "inspector"}),
        project_types=frozenset(p.name for p in catalogue.projects.values()),
    )
