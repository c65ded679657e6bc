"""Registering an item or a 一件事 bundle: the application checked, the case opened."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from app.domain.bureau.catalogue import Bundle, ItemKind
from app.domain.errors import InvalidInput
from app.domain.cases.kinds import CaseKind
from app.persistence.models import Case, CaseItem
from app.services.actor import Actor
from app.services.casework.inspection import inspection_start_data
from app.services.casework.parallel_review import parallel_start_data
from app.services.intake.application import MAX_APPLICANT_FIELD, Application, checked_texts
from app.services.runtime import Runtime
from app.services.stepping.opening import Opening, open_case
from app.workflow.engine import ensure_plain_data

_FACT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _validate(runtime: Runtime, application: Application) -> None:
    item = runtime.catalogue.item_or_bundle(application.item_code)
    checked_texts(application.applicant, "申请人", "applicant", {"name": MAX_APPLICANT_FIELD})
    seen = set()
    for code in application.materials:
        if not isinstance(code, str) or item.material(code) is None:
            raise InvalidInput("unknown_material", f"材料“{code}”不属于事项“{item.name}”",
                               field="materials", material=str(code)[:64])
        if code in seen:
            raise InvalidInput("duplicate_material", f"材料“{code}”重复提交", field="materials")
        seen.add(code)
    for key in application.facts:
        if not isinstance(key, str) or not _FACT_NAME.match(key):
            raise InvalidInput("invalid_fact_name", f"事实字段名“{key}”无效（应为小写英文标识）", field="facts")
    ensure_plain_data(application.facts, "facts")


def register_item(session: Session, runtime: Runtime, actor: Actor, application: Application) -> Case:
    """Open the case of one item or of a 一件事 bundle; its first tasks are projected."""
    _validate(runtime, application)
    item = runtime.catalogue.item_or_bundle(application.item_code)
    bundle = isinstance(item, Bundle)
    opening = Opening(
        kind=CaseKind.BUNDLE if bundle else CaseKind.ITEM, process_id=item.process, item_code=item.code,
        item_name=item.name, department=item.department,
        applicant_name=application.applicant["name"].strip(), applicant=dict(application.applicant),
        materials=list(application.materials), facts=dict(application.facts),
        clock_from=item if item.kind is ItemKind.IMMEDIATE else None,  # 即办件: due the same working day
        registered={"materials": list(application.materials)})

    def start_data(case: Case) -> dict[str, Any]:
        if isinstance(item, Bundle):
            return _bundle_start(session, runtime, case, item, application.facts)
        return {
            "item_code": item.code, "item_kind": item.kind.value, "site_inspection": item.site_inspection,
            "facts": dict(application.facts), "inspection_lead": runtime.catalogue.inspection_department,
            **inspection_start_data(runtime.catalogue, runtime.rules, item, application.facts),
            **parallel_start_data(item),
        }
    return open_case(session, runtime, actor.username, opening, start_data)


def _bundle_start(session: Session, runtime: Runtime, case: Case, bundle: Bundle,
                  facts: dict[str, Any]) -> dict[str, Any]:
    """一件事: a row per item (its own result and certificate) and what each item's approval needs."""
    entries = []
    for item in bundle.items:
        session.add(CaseItem(case_id=case.id, item_code=item.code, item_name=item.name,
                             department=item.department, stage=None))
        entries.append({"item": item.code, "department": item.department, "site_inspection": item.site_inspection,
                        "inspection_facts": None, "inspection_lead": None, "qualified_department": None,
                        "joint_departments": [],
                        **inspection_start_data(runtime.catalogue, runtime.rules, item, facts)})
    return {"item_code": bundle.code, "item_kind": "bundle", "bundle_items": entries, "facts": dict(facts)}
