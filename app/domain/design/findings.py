"""Findings: what the validation of a process model says about it, element by element.

A finding has a severity (``error`` blocks deployment, ``warning`` is deployable but probably
wrong, ``info`` is a note), a machine ``code``, a Chinese ``message`` and, where it concerns
one, the BPMN element's id and name (and the source line), so the modeler can show it next
to the element. Errors that refuse a model outright carry the findings that explain why.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.domain.errors import Conflict, InvalidInput, OneSealError, TooLarge


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    element_id: str = ""
    element_name: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity.value, "code": self.code, "message": self.message,
                "element_id": self.element_id, "element_name": self.element_name,
                "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(Severity(data["severity"]), data["code"], data["message"],
                   data.get("element_id") or "", data.get("element_name") or "", data.get("line"))

    @classmethod
    def of_error(cls, err: Any, severity: Severity = Severity.ERROR) -> Finding:
        """The finding for a :class:`~app.domain.errors.OneSealError` raised while checking."""
        details = err.details
        return cls(severity, err.code, err.message, details.get("element_id") or "",
                   details.get("element_name") or "", details.get("line"))


def errors_in(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def as_dicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]


class _CarriesFindings(OneSealError):
    """Mixed into an error that refuses a model: the findings go out with the error body."""

    findings: tuple[Finding, ...]

    def __init__(self, code: str, message: str, findings: Sequence[Finding], **details: Any) -> None:
        super().__init__(code, message, **details)
        self.findings = tuple(findings)


class ModelRefused(_CarriesFindings, InvalidInput):
    """Not well-formed, unsafe or not BPMN at all (HTTP 400); nothing is stored."""


class ModelTooLarge(_CarriesFindings, TooLarge):
    """Over the size limit (HTTP 413); nothing is stored."""


class ModelNotDeployable(_CarriesFindings, Conflict):
    """The version has error findings (HTTP 409); nothing is deployed."""
