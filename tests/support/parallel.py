"""Parallel approval (并联审批) through the JSON API: a case accepted into review, a department's answer."""
from __future__ import annotations

from typing import Any

from tests.support.cases import register, work

ENTERTAINMENT = "XK-0008"  # 娱乐场所经营许可: 会签 by 文化和旅游局 and 消防救援大队
BILLBOARD = "XK-0015"      # 户外广告设施设置审批: 或签 by 城市管理局, 自然资源局, 交通运输局
RIVER = "XK-0023"          # 河道管理范围内建设项目工程建设方案审批: 60% of 水利局, 自然资源局, 交通运输局


def accepted(api: Any, item: str) -> dict:
    return work(api, register(api, item), "window", "approve", "予以受理")


def answer(api: Any, case: dict, department: str, decision: str, opinion: str) -> dict:
    task = next(t for t in case["tasks"] if t["department"] == department)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"reviewer_{department}",
                        json={"decision": decision, "opinion": opinion})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]
