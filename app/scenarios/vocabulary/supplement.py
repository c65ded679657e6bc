"""退回补正与一次性告知
Return for supplement (退回补正) with the one-time notice (一次性告知), and the resubmission."""
from __future__ import annotations

from app.domain.errors import OneSealError
from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.cases import listed, work


def _material_code(services: ScenarioServices, case_id: int, name: str) -> str:
    item = services.catalogue.item(services.detail(case_id)["item_code"])
    return present(next((m.code for m in item.materials if m.name == name), None),
                   f"事项“{item.name}”没有材料“{name}”")


@when("“{username}”在“{step}”环节退回补正，一次性告知以下材料：", produces="answer")
def return_with_notice(services: ScenarioServices, case_id: int, username: str, step: str,
                       datatable: list[list[str]]) -> OneSealError | None:
    """审查人员退回补正，出具一次性告知：表格两列为“材料”和“理由”（材料写中文名称）。"""
    header, *rows = datatable
    expect_equal(header, ["材料", "理由"])
    notice = [{"material": _material_code(services, case_id, name), "reason": reason} for name, reason in rows]
    return work(services, case_id, username, step, "return", "申请材料需补正", notice=notice)


@when("“{username}”收到申请人补正的材料：{names}", produces="answer")
def resubmit(services: ScenarioServices, case_id: int, username: str, names: str) -> OneSealError | None:
    """窗口收取申请人补交的材料（材料中文名称用顿号分隔），办理“补正材料”环节。"""
    codes = [_material_code(services, case_id, name) for name in listed(names)]
    return work(services, case_id, username, "补正材料", None, None, materials=codes)


@then("一次性告知书列明{count:d}项材料，其中“{name}”的理由为“{reason}”")
def notice_lists(services: ScenarioServices, case_id: int, count: int, name: str, reason: str) -> None:
    """最近一份一次性告知书列明的材料项数及某项材料的补正理由。"""
    notices = services.detail(case_id)["notices"]
    expect(notices, "预期办件有一次性告知书，实际没有")
    items = notices[-1]["items"]
    expect_equal(len(items), count, items)
    expect_equal({i["name"]: i["reason"] for i in items}.get(name), reason, items)
