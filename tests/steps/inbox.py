"""待办：办件出现在谁的待办中（我的待办、部门待办、已办）。

Steps that read the inbox exactly as a user's inbox page does (the inbox projection), so a
scenario can check that a task reaches the right people and nobody else.
"""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then

from app.services.reading.inbox import InboxRequest, inbox

TABS = {"我的待办": "mine", "部门待办": "department", "已办": "done"}


def _case_numbers(desk: Any, username: str, tab: str) -> list[str]:
    assert tab in TABS, f"预期待办分类为{'、'.join(TABS)}之一，实际为“{tab}”"
    actor = desk.actor(username)
    page = desk.run(lambda s, rt: inbox(s, rt, actor, InboxRequest(tab=TABS[tab], page_size=100)))
    return [item["case"]["number"] for item in page.items]


@then(parsers.parse("“{username}”的{tab}中有当前办件"))
def in_inbox(desk: Any, username: str, tab: str) -> None:
    """某用户的待办分类（我的待办、部门待办、已办）中有当前办件。"""
    number = desk.detail()["number"]
    found = _case_numbers(desk, username, tab)
    assert number in found, f"预期“{username}”的{tab}中有办件 {number}，实际只有：{'、'.join(found) or '无'}"


@then(parsers.parse("“{username}”的{tab}中没有当前办件"))
def not_in_inbox(desk: Any, username: str, tab: str) -> None:
    """某用户的待办分类中看不到当前办件（其他部门、其他角色的人员看不到）。"""
    number = desk.detail()["number"]
    assert number not in _case_numbers(desk, username, tab), f"预期“{username}”的{tab}中没有办件 {number}，实际有"
