"""告知承诺与撤销
Commitment-based approval (告知承诺) and the revocation an untrue commitment leads to (撤销)."""
from __future__ import annotations

from app.domain.errors import OneSealError
from app.scenarios.running.expect import expect, expect_equal, present
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ScenarioServices
from app.scenarios.vocabulary.cases import work


@when("“{username}”在“{step}”环节当场准予，申请人已签署告知承诺书", produces="answer")
def approve_on_commitment(services: ScenarioServices, case_id: int, username: str,
                          step: str) -> OneSealError | None:
    """窗口核验申请人签署的告知承诺书后当场准予。"""
    return work(services, case_id, username, step, "当场准予", "申请人已签署告知承诺书", {"commitment_signed": True})


@when("“{username}”在“{step}”环节当场准予，但申请人未签署告知承诺书", produces="answer")
def approve_without_commitment(services: ScenarioServices, case_id: int, username: str,
                               step: str) -> OneSealError | None:
    """窗口试图在申请人未签署告知承诺书时当场准予。"""
    return work(services, case_id, username, step, "当场准予", "当场准予", {"commitment_signed": False})


@when("转到因此立案的撤销案", produces="case_id")
def to_follow_up(services: ScenarioServices, case_id: int) -> int:
    """之后的步骤办理本办件因事后核查立案的撤销案（记住原办件）。"""
    follow_ups = services.detail(case_id)["follow_up_cases"]
    expect(follow_ups, "本办件没有立案跟进的撤销案")
    return follow_ups[-1]["id"]


@then("原许可的办理结果为“{label}”")
def parent_result(services: ScenarioServices, case_id: int, label: str) -> None:
    """撤销案所针对的原办件（原许可）的办理结果。"""
    parent = present(services.detail(case_id)["parent_case"], "当前办件不是由另一件办件立案的撤销案")
    expect_equal(parent["result_label"], label)
