"""待办：办件出现在谁的待办中（我的待办、部门待办、已办）
Steps that read the inbox exactly as a user's inbox page does (the inbox projection), so a
scenario can check that a task reaches the right people and nobody else."""
from __future__ import annotations

from app.scenarios.running.expect import expect
from app.scenarios.language.registry import then
from app.scenarios.running.services import ScenarioServices
from app.services.reading.inbox import InboxRequest, InboxRow, inbox

TABS = {"我的待办": "mine", "部门待办": "department", "已办": "done"}


def inbox_items(services: ScenarioServices, username: str, tab: str) -> list[InboxRow]:
    """The first hundred rows of a tab of the user's inbox (tab: mine, department, done)."""
    actor = services.actor(username)
    page = services.run(lambda session, runtime: inbox(session, runtime, actor,
                                                       InboxRequest(tab=tab, page_size=100)))
    return page.items


def _case_numbers(services: ScenarioServices, username: str, tab: str) -> list[str]:
    expect(tab in TABS, f"预期待办分类为{'、'.join(TABS)}之一，实际为“{tab}”")
    return [item["case"]["number"] for item in inbox_items(services, username, TABS[tab])]


@then("“{username}”的{tab}中有当前办件")
def in_inbox(services: ScenarioServices, case_id: int, username: str, tab: str) -> None:
    """某用户的待办分类（我的待办、部门待办、已办）中有当前办件。"""
    number = services.detail(case_id)["number"]
    found = _case_numbers(services, username, tab)
    expect(number in found, f"预期“{username}”的{tab}中有办件 {number}，实际只有：{'、'.join(found) or '无'}")


@then("“{username}”的{tab}中没有当前办件")
def not_in_inbox(services: ScenarioServices, case_id: int, username: str, tab: str) -> None:
    """某用户的待办分类中看不到当前办件（其他部门、其他角色的人员看不到）。"""
    number = services.detail(case_id)["number"]
    expect(number not in _case_numbers(services, username, tab),
           f"预期“{username}”的{tab}中没有办件 {number}，实际有")
