"""Commitment-based approval (告知承诺) through the JSON API: a case approved on the spot, a named step completed."""
from __future__ import annotations

from typing import Any

from tests.support.cases import register, work

VETERINARY = "XK-0019"  # 兽药经营许可证核发: 告知承诺, verified within 20 working days


def approved(api: Any) -> dict:
    case = register(api, VETERINARY)
    return work(api, case, "window", "approve", "申请人已签署告知承诺书", data={"commitment_signed": True})


def complete(api: Any, case: dict, name: str, user: str, **body: Any) -> dict:
    task = next(t for t in case["tasks"] if t["name"] == name)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]
