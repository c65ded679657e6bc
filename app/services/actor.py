"""Who is acting: passed explicitly to every service call."""
from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import Forbidden
from app.domain.roles import Role


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role
    department: str | None
    display_name: str = ""

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden("role_not_allowed", "当前角色无权执行此操作", role=self.role.value)

    @property
    def read_only(self) -> bool:
        """Auditors and the efficiency supervisors (效能监察) read everything and change nothing."""
        return self.role in (Role.AUDITOR, Role.EFFICIENCY)

    def require_write(self) -> None:
        if self.read_only:
            raise Forbidden("read_only_role", f"{self.role.label}为只读角色，不能办理或修改任何数据",
                            role=self.role.value)

    @property
    def sees_all_cases(self) -> bool:
        """The window, administrators, auditors and efficiency supervisors see every case in full."""
        return self.role in (Role.WINDOW, Role.ADMIN, Role.AUDITOR, Role.EFFICIENCY)

    @property
    def sees_process_data_only(self) -> bool:
        """Designers read how any case runs through its diagram (the steps done and open), never
        the case itself: the applicant's name, contact, identity numbers and address, the
        materials, the opinions."""
        return self.role is Role.DESIGNER


SYSTEM = Actor("system", Role.ADMIN, None, "系统")
