"""One-thing bundles (一件事) through the JSON API: the catalogue's bundles, registering one."""
from __future__ import annotations

from typing import Any

PHARMACY = "YJS-0001"   # 开办药店: 药品零售企业许可 + 食品经营许可 (营业执照 shared)
BOOK_CAFE = "YJS-0003"  # 开办书店咖啡馆: 出版物零售业务经营许可 (文旅) + 小餐饮经营许可 (市场)


def bundle(api: Any, code: str) -> dict:
    return next(b for b in api.get("/api/v1/items", as_user="window").get_json()["bundles"] if b["code"] == code)


def register_bundle(api: Any, code: str, materials: list[str] | None = None) -> dict:
    """Register a case for the bundle as the window (all its materials unless told otherwise)."""
    if materials is None:
        materials = [m["code"] for m in bundle(api, code)["materials"]]
    response = api.post("/api/v1/cases", as_user="window",
                        json={"bundle_code": code, "applicant": {"name": "城南书咖"}, "materials": materials})
    assert response.status_code == 201, response.get_json()
    return response.get_json()
