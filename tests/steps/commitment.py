"""Steps for commitment-based approval (告知承诺) and the revocation it may lead to (撤销)."""
from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when

from tests.steps.common import _work


@when(parsers.parse("“{username}”在“{step}”环节当场准予，申请人已签署告知承诺书"))
def approve_on_commitment(desk: Any, username: str, step: str) -> None:
    """窗口核验申请人签署的告知承诺书后当场准予。"""
    _work(desk, username, step, "当场准予", "申请人已签署告知承诺书", {"commitment_signed": True})


@when(parsers.parse("“{username}”在“{step}”环节当场准予，但申请人未签署告知承诺书"))
def approve_without_commitment(desk: Any, username: str, step: str) -> None:
    """窗口试图在申请人未签署告知承诺书时当场准予。"""
    _work(desk, username, step, "当场准予", "当场准予", {"commitment_signed": False})


@when("转到因此立案的撤销案")
def to_follow_up(desk: Any) -> None:
    """之后的步骤办理本办件因事后核查立案的撤销案（记住原办件）。"""
    follow_ups = desk.detail()["follow_up_cases"]
    assert follow_ups, "本办件没有立案跟进的撤销案"
    desk.seen["parent_case_id"] = desk.case_id
    desk.case_id = follow_ups[-1]["id"]


@then(parsers.parse("原许可的办理结果为“{label}”"))
def parent_result(desk: Any, label: str) -> None:
    """撤销案所针对的原办件（原许可）的办理结果。"""
    current = desk.case_id
    desk.case_id = desk.seen["parent_case_id"]
    try:
        assert desk.detail()["result_label"] == label
    finally:
        desk.case_id = current
