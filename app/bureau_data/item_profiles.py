"""The optional per-item tables of the catalogue: site inspection, parallel approval,
accept-with-gaps and commitment-based approval.

Written by the bureau as inline tables inside an ``[[items]]`` section::

    inspection = { risk_level = "中", technical = true, bureau_qualified = false,
                   partners = ["fire_rescue"], qualified_department = "forestry" }
    parallel = { departments = ["market", "fire_rescue"], mode = "会签" }   # 或签；按比例 + ratio = 60
    gaps_until = "决定前"                        # 容缺受理：次要材料最迟“决定前”或“制证前”补齐
    commitment = { verification_limit = 20 }   # 告知承诺：当场准予，20 个工作日内核查

Problems are reported through the loader, so they carry the file, line and item code.
"""
from __future__ import annotations

from typing import Any, Protocol

from app.domain.bureau.catalogue import (
    RISK_LABELS,
    CommitmentProfile,
    GapPoint,
    InspectionProfile,
    ParallelProfile,
)
from app.domain.cases.parallel import ParallelMode

PROFILE_KEYS: dict[str, tuple[type, bool]] = {
    "inspection": (dict, False), "parallel": (dict, False), "gaps_until": (str, False),
    "commitment": (dict, False),
}
_INSPECTION_KEYS: dict[str, tuple[type, bool]] = {
    "risk_level": (str, False), "technical": (bool, False), "bureau_qualified": (bool, False),
    "partners": (list, False), "qualified_department": (str, False)}
_PARALLEL_KEYS: dict[str, tuple[type, bool]] = {
    "departments": (list, True), "mode": (str, True), "ratio": (int, False)}
_COMMITMENT_KEYS: dict[str, tuple[type, bool]] = {"verification_limit": (int, True)}

_RISK_BY_LABEL = {label: code for code, label in RISK_LABELS.items()}
_MODE_BY_LABEL = {mode.label: mode for mode in ParallelMode}
_GAP_BY_LABEL = {"决定前": GapPoint.DECISION, "制证前": GapPoint.CERTIFICATE}


class Reporter(Protocol):
    """What the catalogue loader offers these parsers."""

    def fields(self, what: str, data: dict[str, Any], spec: dict[str, tuple[type, bool]]) -> bool: ...

    def problem(self, message: str, key: str) -> None: ...


def _departments(report: Reporter, what: str, key: str, value: Any, known: set[str]) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        report.problem(f"{what}的 {key} 应为部门编码的数组", key)
        return None
    unknown = [v for v in value if v not in known]
    if unknown:
        report.problem(f"{what}的 {key} 中的部门 {'、'.join(unknown)} 未在 [[departments]] 中定义", key)
        return None
    if len(set(value)) != len(value):
        report.problem(f"{what}的 {key} 中有重复的部门", key)
        return None
    return tuple(value)


def parse_inspection(report: Reporter, what: str, data: Any, known: set[str],
                     home: str | None) -> InspectionProfile | None:
    label = f"{what}的现场核查属性（inspection）"
    if not report.fields(label, data, _INSPECTION_KEYS):
        return None
    risk_label = data.get("risk_level", "低")
    risk = _RISK_BY_LABEL.get(risk_label)
    if risk is None:
        report.problem(f"{label}的风险等级 {risk_label!r} 无效，只能是“低”“中”“高”", "risk_level")
        return None
    partners = _departments(report, label, "partners", data.get("partners", []), known)
    if partners is None:
        return None
    if home in partners:
        report.problem(f"{label}的 partners 不应包含实施部门自身（{home}）", "partners")
        return None
    qualified = data.get("qualified_department")
    if qualified is not None and qualified not in known:
        report.problem(f"{label}的受委托部门 {qualified} 未在 [[departments]] 中定义", "qualified_department")
        return None
    profile = InspectionProfile(risk_level=risk, technical=data.get("technical", False),
                                bureau_qualified=data.get("bureau_qualified", True),
                                partners=partners, qualified_department=qualified)
    if profile.technical and not profile.bureau_qualified and qualified is None:
        report.problem(f"{label}：专业技术性核查且本局无资质时须指定受委托部门（qualified_department）",
                       "qualified_department")
        return None
    return profile


def parse_parallel(report: Reporter, what: str, data: Any, known: set[str]) -> ParallelProfile | None:
    label = f"{what}的并联审批属性（parallel）"
    if not report.fields(label, data, _PARALLEL_KEYS):
        return None
    departments = _departments(report, label, "departments", data["departments"], known)
    if departments is None:
        return None
    if len(departments) < 2:
        report.problem(f"{label}至少要有两个并联审查部门", "departments")
        return None
    mode = _MODE_BY_LABEL.get(data["mode"])
    if mode is None:
        report.problem(f"{label}的方式 {data['mode']!r} 无效，只能是“会签”“或签”“按比例”", "mode")
        return None
    ratio = data.get("ratio")
    if mode is ParallelMode.RATIO and (ratio is None or not 1 <= ratio <= 100):
        report.problem(f"{label}按比例并联时须填写 ratio（1 至 100 的百分比）", "ratio")
        return None
    if mode is not ParallelMode.RATIO and ratio is not None:
        report.problem(f"{label}只有“按比例”方式才填写 ratio", "ratio")
        return None
    return ParallelProfile(departments=departments, mode=mode, ratio=ratio)


def parse_gaps(report: Reporter, what: str, value: Any) -> GapPoint | None:
    point = _GAP_BY_LABEL.get(value) if isinstance(value, str) else None
    if point is None:
        report.problem(f"{what}的容缺补齐时点（gaps_until）{value!r} 无效，只能是“决定前”或“制证前”",
                       "gaps_until")
    return point


def parse_commitment(report: Reporter, what: str, data: Any) -> CommitmentProfile | None:
    label = f"{what}的告知承诺属性（commitment）"
    if not report.fields(label, data, _COMMITMENT_KEYS):
        return None
    limit = data["verification_limit"]
    if not 1 <= limit <= 365:
        report.problem(f"{label}的核查时限（verification_limit）应为 1 至 365 个工作日", "verification_limit")
        return None
    return CommitmentProfile(verification_limit=limit)
