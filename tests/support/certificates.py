"""Certificates through the JSON API: a licence issued on the spot, a licence application worked
through, the signed PDF fetched."""
from __future__ import annotations

from typing import Any

from tests.support.cases import register, work

REPLACEMENT = "XK-0002"  # 食品经营许可证补办: 即办件, decided at the window, 5 years


def issued(api: Any, applicant: dict | None = None) -> tuple[dict, dict]:
    """A 食品经营许可证 issued on the spot (not yet delivered): the case and its certificate."""
    extra = {"applicant": applicant} if applicant else {}
    case = work(api, register(api, REPLACEMENT, **extra), "window", "approve", "当场办结",
                data={"scope": "预包装食品销售（含冷藏冷冻食品）"})
    (certificate,) = case["certificates"]
    return case, certificate


def pdf_of(api: Any, number: str, user: str = "window") -> bytes:
    response = api.get(f"/api/v1/certificates/{number}/pdf", as_user=user)
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return response.data


def apply(api: Any, number: str, action: str, expect: int = 201, **body: Any) -> dict:
    response = api.post(f"/api/v1/certificates/{number}/applications", as_user="window",
                        json={"action": action, **body})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def through(api: Any, case: dict, steps: list[tuple[str, str | None, str]]) -> dict:
    """Work the case's open task step by step: (user, decision, opinion)."""
    for user, decision, opinion in steps:
        case = work(api, case, user, decision, opinion)
    return case


APPROVE_CHANGE = [("window", "approve", "受理"), ("reviewer_market", "approve", "同意"),
                  ("leader_market", "approve", "准予")]


def public(api: Any, number: str, code: str) -> Any:
    return api.get(f"/api/v1/public/certificates/{number}?code={code}")
