"""Time limits on real cases through the JSON API: moving the clock, a case accepted, a case returned."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from app.domain.timing.clock import BUREAU_ZONE
from tests.support.cases import register, work

PUBLICATION = "XK-0009"  # 出版物零售业务经营许可: 7 working days, no site inspection, culture_tourism
NOTICE = [{"material": "M02", "reason": "营业执照已过期，请提供有效期内的执照"},
          {"material": "M03", "reason": "经营场所证明缺少产权人签章"}]


def at(clock: Any, day: str, hour: int = 9, minute: int = 30) -> None:
    """Set the clock to a Beijing day and time (9:30 unless told)."""
    clock.set(datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=BUREAU_ZONE))


def accepted(api: Any, item: str = PUBLICATION) -> dict:
    case = register(api, item)
    return work(api, case, "window", "approve", "予以受理")


def returned(api: Any, clock: Any) -> dict:
    """A case accepted, then returned for supplement with the one-time notice :data:`NOTICE`."""
    case = accepted(api)
    response = api.post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", as_user="reviewer_culture_tourism",
                        json={"decision": "return", "opinion": "材料需补正", "notice": NOTICE})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["case"]
