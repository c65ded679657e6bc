"""Steps for one-thing bundles (一件事): the items of one case and each item's own result."""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then


@then("办件包含以下事项：")
def items_of_the_case(desk: Any, datatable: list[list[str]]) -> None:
    """一件办件所含的各个事项及其承办部门（表格两列：“事项”“承办部门”）。"""
    header, *rows = datatable
    assert header == ["事项", "承办部门"], header
    items = desk.detail()["items"]
    assert [[i["name"], i["department_name"]] for i in items] == rows, items


@then(parsers.parse("“{item}”的办理结果为“{result}”"))
def item_result(desk: Any, item: str, result: str) -> None:
    """一件办件中某个事项自己的办理结果（准予许可、不予许可）。"""
    found = [i for i in desk.detail()["items"] if i["name"] == item]
    assert found and found[0]["result_label"] == result, desk.detail()["items"]


@then(parsers.parse("“{item}”的证照编号为“{number}”"))
def item_certificate(desk: Any, item: str, number: str) -> None:
    """一件办件中某个事项自己的证照编号。"""
    found = [i for i in desk.detail()["items"] if i["name"] == item]
    assert found and found[0]["certificate_no"] == number, desk.detail()["items"]


@then(parsers.parse("“{bundle}”的申请材料中“{material}”只收一次"))
def shared_once(desk: Any, bundle: str, material: str) -> None:
    """“一件事”合并材料清单：多个事项都要的同一份材料只列一次。"""
    found = next(b for b in desk.ext.runtime.catalogue.bundles.values() if b.name == bundle)
    names = [m.name for m in found.materials]
    assert names.count(material) == 1, names
    assert len(next(m for m in found.materials if m.name == material).items) >= 2
