"""Steps for return for supplement (退回补正) and the one-time notice (一次性告知)."""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when

from tests.steps.common import _work


def _material_code(desk: Any, name: str) -> str:
    item = desk.ext.runtime.catalogue.item(desk.detail()["item_code"])
    code = next((m.code for m in item.materials if m.name == name), None)
    assert code is not None, f"事项“{item.name}”没有材料“{name}”"
    return code


@when(parsers.parse("“{username}”在“{step}”环节退回补正，一次性告知以下材料："))
def return_with_notice(desk: Any, username: str, step: str, datatable: list[list[str]]) -> None:
    """审查人员退回补正，出具一次性告知：表格两列为“材料”和“理由”（材料写中文名称）。"""
    header, *rows = datatable
    assert header == ["材料", "理由"], header
    notice = [{"material": _material_code(desk, name), "reason": reason} for name, reason in rows]
    _work(desk, username, step, "return", "申请材料需补正", notice=notice)


@when(parsers.parse("“{username}”收到申请人补正的材料：{names}"))
def resubmit(desk: Any, username: str, names: str) -> None:
    """窗口收取申请人补交的材料（材料中文名称用顿号分隔），办理“补正材料”环节。"""
    codes = [_material_code(desk, n.strip("“”")) for n in names.split("、")]
    _work(desk, username, "补正材料", None, None, materials=codes)


@then(parsers.parse("一次性告知书列明{count:d}项材料，其中“{name}”的理由为“{reason}”"))
def notice_lists(desk: Any, count: int, name: str, reason: str) -> None:
    """最近一份一次性告知书列明的材料项数及某项材料的补正理由。"""
    notice = desk.detail()["notices"][-1]
    assert len(notice["items"]) == count, notice["items"]
    assert {i["name"]: i["reason"] for i in notice["items"]}.get(name) == reason, notice["items"]
