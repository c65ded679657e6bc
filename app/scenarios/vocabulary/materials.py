"""材料：容缺受理与后补材料
Materials at the window: accepting with gaps (容缺受理) and the materials that arrive later."""
from __future__ import annotations

from app.domain.errors import OneSealError
from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.language.registry import given, then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.cases import listed, register
from app.services.intake.materials import receive_materials


@given("综合窗口收到“{applicant}”申请“{item}”，缺少次要材料{names}", produces="case_id")
def application_with_gaps(services: ScenarioServices, applicant: str, item: str, names: str) -> int:
    """登记一件办件，收取除所列次要材料外的全部材料（材料名用顿号分隔，可加引号）。"""
    found = [i for i in services.catalogue.items.values() if i.name == item]
    expect(found, f"事项目录中没有事项“{item}”")
    left_out = listed(names)
    return register(services, applicant, found[0].code,
                    [m.code for m in found[0].materials if m.name not in left_out])


@then("办件须在“{point}”补齐容缺材料：{names}")
def gaps_owed(services: ScenarioServices, case_id: int, point: str, names: str) -> None:
    """容缺受理的办件尚欠的次要材料，以及须补齐的时点（作出决定前 / 制证前）。"""
    gaps = present(services.detail(case_id)["gaps"], "本事项不适用容缺受理")
    expect_equal((gaps["until_label"], [m["name"] for m in gaps["missing"]]), (point, listed(names)), gaps)


@then("容缺材料已全部补齐")
def gaps_filled(services: ScenarioServices, case_id: int) -> None:
    """容缺受理的办件已不欠任何材料。"""
    gaps = present(services.detail(case_id)["gaps"], "本事项不适用容缺受理")
    expect_equal(gaps["complete"], True, gaps)


@when("“{username}”收取申请人后补的材料：{names}", produces="answer")
def receive_later(services: ScenarioServices, case_id: int, username: str, names: str) -> OneSealError | None:
    """窗口收取申请人在受理后补交的材料（材料中文名称用顿号分隔）。"""
    actor = services.actor(username)
    item = services.catalogue.subject(services.detail(case_id)["item_code"])
    codes = [m.code for m in item.materials if m.name in listed(names)]
    try:
        services.run(lambda session, runtime: receive_materials(session, runtime, actor, case_id, codes))
    except OneSealError as err:
        return err
    return None
