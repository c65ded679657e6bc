"""Steps for materials at the window: accept with gaps (容缺受理) and materials arriving later."""
from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from app.domain.errors import OneSealError
from app.services.intake.application import Application
from app.services.intake.materials import receive_materials
from app.services.intake.registration import register_case


def _names(text: str) -> list[str]:
    return [n.strip("“”") for n in text.split("、")]


@given(parsers.parse("综合窗口收到“{applicant}”申请“{item}”，缺少次要材料{names}"))
def application_with_gaps(desk: Any, applicant: str, item: str, names: str) -> None:
    """登记一件办件，收取除所列次要材料外的全部材料（材料名用顿号分隔，可加引号）。"""
    catalogue_item = next(i for i in desk.ext.runtime.catalogue.items.values() if i.name == item)
    missing = _names(names)
    materials = [m.code for m in catalogue_item.materials if m.name not in missing]
    window = desk.actor("window")
    desk.case_id = desk.run(lambda s, rt: register_case(
        s, rt, window, Application(catalogue_item.code, {"name": applicant}, materials)).id)


@then(parsers.parse("办件须在“{point}”补齐容缺材料：{names}"))
def gaps_owed(desk: Any, point: str, names: str) -> None:
    """容缺受理的办件尚欠的次要材料，以及须补齐的时点（作出决定前 / 制证前）。"""
    gaps = desk.detail()["gaps"]
    assert gaps is not None, "本事项不适用容缺受理"
    assert gaps["until_label"] == point and [m["name"] for m in gaps["missing"]] == _names(names), gaps


@then("容缺材料已全部补齐")
def gaps_filled(desk: Any) -> None:
    """容缺受理的办件已不欠任何材料。"""
    assert desk.detail()["gaps"]["complete"] is True


@when(parsers.parse("“{username}”收取申请人后补的材料：{names}"))
def receive_later(desk: Any, username: str, names: str) -> None:
    """窗口收取申请人在受理后补交的材料（材料中文名称用顿号分隔）。"""
    actor = desk.actor(username)
    item = desk.ext.runtime.catalogue.subject(desk.detail()["item_code"])
    codes = [m.code for m in item.materials if m.name in _names(names)]
    desk.error = None
    try:
        desk.run(lambda s, rt: receive_materials(s, rt, actor, desk.case_id, codes))
    except OneSealError as err:
        desk.error = err
