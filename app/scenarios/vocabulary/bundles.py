"""一件事：所含事项及各自的结果
One-thing bundles (一件事): the items of one case and each item's own result and certificate."""
from __future__ import annotations

from app.scenarios.running.expect import expect, expect_equal
from app.scenarios.language.registry import then
from app.scenarios.running.services import ScenarioServices
from app.services.reading.case_views import CaseItemView


def _item(services: ScenarioServices, case_id: int, name: str) -> CaseItemView:
    items = services.detail(case_id)["items"]
    found = [i for i in items if i["name"] == name]
    expect(found, f"预期办件包含事项“{name}”，实际只有：{'、'.join(i['name'] for i in items) or '无'}")
    return found[0]


@then("办件包含以下事项：")
def items_of_the_case(services: ScenarioServices, case_id: int, datatable: list[list[str]]) -> None:
    """一件办件所含的各个事项及其承办部门（表格两列：“事项”“承办部门”）。"""
    header, *rows = datatable
    expect_equal(header, ["事项", "承办部门"])
    items = services.detail(case_id)["items"]
    expect_equal([[i["name"], i["department_name"]] for i in items], rows)


@then("“{item}”的办理结果为“{result}”")
def item_result(services: ScenarioServices, case_id: int, item: str, result: str) -> None:
    """一件办件中某个事项自己的办理结果（准予许可、不予许可）。"""
    expect_equal(_item(services, case_id, item)["result_label"], result)


@then("“{item}”的证照编号为“{number}”")
def item_certificate(services: ScenarioServices, case_id: int, item: str, number: str) -> None:
    """一件办件中某个事项自己的证照编号。"""
    expect_equal(_item(services, case_id, item)["certificate_no"], number)


@then("“{bundle}”的申请材料中“{material}”只收一次")
def shared_once(services: ScenarioServices, bundle: str, material: str) -> None:
    """“一件事”合并材料清单：多个事项都要的同一份材料只列一次。"""
    found = [b for b in services.catalogue.bundles.values() if b.name == bundle]
    expect(found, f"事项目录中没有“一件事”“{bundle}”")
    materials = found[0].materials
    expect_equal([m.name for m in materials].count(material), 1, [m.name for m in materials])
    shared = next(m for m in materials if m.name == material)
    expect(len(shared.items) >= 2, f"预期“{material}”为多个事项共用，实际只有：{shared.items}")
