"""The window desk (综合窗口): choose what the applicant applies for, register and accept.

The applicant applies for one item or for a one-thing bundle (一件事: several related items,
one application, one set of materials). :func:`desk_choices` lists both, bundles first,
narrowed by a search on code or name; :func:`material_groups` arranges a bundle's merged
checklist so that a document several items need is ticked once.

For a promised item (承诺件) or a bundle, accepting is the window's first step of the diagram,
completed here with 受理 in the same transaction as the registration: either both happen or
neither. A commitment-based item (告知承诺) is approved in that step, on the applicant's signed
commitment, and verified afterwards. When only secondary materials are missing the case is
accepted with gaps (容缺受理) and the opinion names what is still owed. An immediate item
(即办件) is decided on the spot, so it is only registered and its step waits on the task page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.domain.cases.acceptance import missing_materials
from app.domain.bureau.catalogue import Bundle, Catalogue, Item, ItemKind, Material, Subject
from app.persistence.cases import tasks as task_queries
from app.persistence.models import Case
from app.services.actor import Actor
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from app.services.runtime import Runtime

ACCEPT = "approve"
BUNDLES_LABEL = "“一件事”（一次申请，多个事项联办）"
EXACT_LABEL = "完全匹配"
MAX_QUERY = 40


@dataclass(frozen=True)
class Acceptance:
    case: Case
    #: the window's step still waiting (即办件: decide on the spot), or None when accepted
    waiting_task_id: str | None


@dataclass(frozen=True)
class DeskGroup:
    """One group of the desk's list: the bundles, or one department's items."""

    label: str
    subjects: list[Subject]
    bundles: bool = False


@dataclass(frozen=True)
class MaterialGroup:
    """A heading of the checklist (None: a single item's list) and its materials."""

    label: str | None
    materials: list[Material] = field(default_factory=list)


def _matches(subject: Subject, needle: str) -> bool:
    names = [subject.code, subject.name]
    if isinstance(subject, Bundle):  # a bundle is found by the items it holds, too
        names += [n for item in subject.items for n in (item.code, item.name)]
    return any(needle in n.casefold() for n in names)


def exact_match(catalogue: Catalogue, query: str | None) -> Item | Bundle | None:
    """The item (else the bundle) whose code or name is exactly ``query``: what the clerk means
    when typing 食品经营许可, although a bundle holding it and 食品经营许可证补办 match too."""
    needle = (query or "").strip()[:MAX_QUERY].casefold()
    if not needle:
        return None
    found: list[Item | Bundle] = [*catalogue.items.values(), *catalogue.bundles.values()]  # items first
    return next((s for s in found if needle in (s.code.casefold(), s.name.casefold())), None)


def desk_choices(catalogue: Catalogue, query: str | None = None) -> list[DeskGroup]:
    """Bundles first, then items by department (catalogue order), those matching ``query``; an
    exact match of an item's code or name comes before everything (完全匹配)."""
    needle = (query or "").strip()[:MAX_QUERY].casefold()
    groups = []
    exact = exact_match(catalogue, query)
    if exact is not None:
        groups.append(DeskGroup(EXACT_LABEL, [exact], bundles=isinstance(exact, Bundle)))
    bundles: list[Subject] = [b for b in catalogue.bundles.values() if _matches(b, needle) and b is not exact]
    if bundles:
        groups.append(DeskGroup(BUNDLES_LABEL, bundles, bundles=True))
    by_department: dict[str, list[Subject]] = {}
    for item in sorted(catalogue.items.values(), key=lambda i: i.code):
        if _matches(item, needle) and item is not exact:
            by_department.setdefault(item.department, []).append(item)
    groups += [DeskGroup(catalogue.department_name(code), by_department[code])
               for code in catalogue.departments if code in by_department]
    return groups


def material_groups(subject: Subject) -> list[MaterialGroup]:
    """A bundle's checklist: the documents several items share (asked once), then each item's
    own; a single item's list as it stands."""
    if not isinstance(subject, Bundle):
        return [MaterialGroup(None, list(subject.materials))]
    shared = [m for m in subject.materials if len(m.items) > 1]
    groups = [MaterialGroup("共用材料（多个事项共用，只收一份）", shared)] if shared else []
    for item in subject.items:
        own = [m for m in subject.materials if m.items == (item.code,)]
        if own:
            groups.append(MaterialGroup(item.name, own))
    return groups


def accept_application(session: Session, runtime: Runtime, actor: Actor, application: Application,
                       commitment_signed: bool = False) -> Acceptance:
    """Register and accept; a commitment-based item (告知承诺) is approved on the spot, which the
    service allows only with the applicant's signed commitment."""
    case = register_case(session, runtime, actor, application)
    subject = runtime.catalogue.subject(case.item_code)
    ours = [t for t in task_queries.ready_tasks_of_case(session, case.id)
            if t.role == actor.role.value and t.department == (actor.department or "")]
    if not ours:
        return Acceptance(case, None)
    task = ours[0]
    claim_task(session, runtime, actor, task.id)
    if subject.kind is ItemKind.IMMEDIATE:
        return Acceptance(case, task.id)
    if subject.commitment is not None:
        complete_task(session, runtime, actor, task.id, Completion(
            decision=ACCEPT, opinion="申请人已签署告知承诺书，按告知承诺制当场准予",
            data={"commitment_signed": commitment_signed}))
        return Acceptance(case, None)
    missing = missing_materials(subject, case.materials)
    opinion = "材料齐全，予以受理" if not missing else \
        "主要材料齐全，容缺受理，待补交：" + "、".join(m.name for m in missing)
    complete_task(session, runtime, actor, task.id, Completion(decision=ACCEPT, opinion=opinion))
    return Acceptance(case, None)
