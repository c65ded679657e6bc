"""Who works in the product: roles, and how BPMN lanes map to them."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    WINDOW = "window"
    REVIEWER = "reviewer"
    LEADER = "leader"
    INSPECTOR = "inspector"
    DESIGNER = "designer"
    AUDITOR = "auditor"
    #: 效能监察: reads the bureau's figures and every case, chases departments that slip
    EFFICIENCY = "efficiency"
    ADMIN = "admin"
    #: 监管人员: a supervising department's staff, outside the bureau: posts findings about the
    #: licences it supervises and reads its own findings and the events pushed to it
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.WINDOW: "综合窗口受理人员",
    Role.REVIEWER: "审查人员",
    Role.LEADER: "分管领导",
    Role.INSPECTOR: "核查人员",
    Role.DESIGNER: "流程设计人员",
    Role.AUDITOR: "审计督查人员",
    Role.EFFICIENCY: "效能监察人员",
    Role.ADMIN: "系统管理员",
    Role.SUPERVISOR: "监管人员",
}

#: BPMN lane names (as designers write them, in Chinese) → the role that works the lane.
LANE_ROLES = {
    "综合窗口": Role.WINDOW,
    "审查股室": Role.REVIEWER,
    "分管领导": Role.LEADER,
    "核查人员": Role.INSPECTOR,
}

#: Roles whose tasks belong to the window desk rather than to the item's department.
WINDOW_DEPARTMENT = "window"


def role_for_lane(lane: str | None) -> Role | None:
    if lane is None:
        return None
    return LANE_ROLES.get(lane.strip())
