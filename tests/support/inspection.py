"""Site inspection (现场核查) through the JSON API: cases brought to their inspection step."""
from __future__ import annotations

from typing import Any

from tests.support.cases import register, work

SCHOOL = "XK-0024"  # 民办学校设立审批: partners 消防救援大队, 卫生健康局
FOREST = "XK-0016"  # 林木采伐许可证核发: technical, the bureau is not qualified → 林业局


def to_inspection(api: Any, item: str, reviewer: str, **extra: Any) -> dict:
    """A case registered, accepted and reviewed: what follows is its site inspection."""
    case = register(api, item, **extra)
    case = work(api, case, "window", "approve", "予以受理")
    return work(api, case, reviewer, "approve", "材料符合要求")
