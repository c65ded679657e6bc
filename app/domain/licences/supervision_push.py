"""The approval–supervision push (审批与监管信息双向推送): what crosses between the bureau and the
supervising departments, and how each side proves who sent it.

Plain Python: the kinds of event the bureau pushes, the actions a supervisor's finding may ask
for, the states of one delivery, the signature both directions carry and the wait between two
attempts. Nothing here touches the network or the database.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import StrEnum


class EventType(StrEnum):
    GRANTED = "licence.granted"
    REFUSED = "licence.refused"
    CHANGED = "licence.changed"
    RENEWED = "licence.renewed"
    REVOKED = "licence.revoked"
    WITHDRAWN = "licence.withdrawn"
    CANCELLED = "licence.cancelled"
    #: a 告知承诺 licence whose post-approval check the supervisor must carry out
    CHECK_DUE = "commitment.check_due"
    #: the bureau's answer to a supervisor's finding
    FINDING_RESOLVED = "finding.resolved"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    EventType.GRANTED: "准予许可", EventType.REFUSED: "不予许可", EventType.CHANGED: "许可变更",
    EventType.RENEWED: "许可延续", EventType.REVOKED: "许可撤销", EventType.WITHDRAWN: "许可撤回",
    EventType.CANCELLED: "许可注销", EventType.CHECK_DUE: "告知承诺事后核查待办",
    EventType.FINDING_RESOLVED: "监管发现办理结果",
}


class FindingAction(StrEnum):
    """What a supervisor found the licence needs (变更/撤回/撤销/注销)."""

    CHANGE = "change"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return {"change": "变更", "withdraw": "撤回", "revoke": "撤销", "cancel": "注销"}[self.value]


class FindingState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {"open": "办理中", "resolved": "已办结"}[self.value]


class DeliveryState(StrEnum):
    #: waiting for its first or next attempt (or for an earlier event of the same licence)
    PENDING = "pending"
    DELIVERED = "delivered"
    #: failed too often: an incident an administrator may redeliver
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"pending": "待投递", "delivered": "已送达", "failed": "投递失败"}[self.value]


#: the headers of a push and of a signed finding
EVENT_ID_HEADER = "OneSeal-Event-Id"
SIGNATURE_HEADER = "OneSeal-Signature"
DEPARTMENT_HEADER = "OneSeal-Department"
#: a signed request older or newer than this is refused (replay window)
SIGNATURE_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class BadSignature(ValueError):
    """Why a signed request is refused (a Chinese reason, shown to the caller)."""


def check_signature(header: str | None, secret: str, body: bytes, now: int,
                    tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> None:
    """Raise :class:`BadSignature` unless ``header`` signs ``body`` with ``secret`` within the window."""
    if not header:
        raise BadSignature("缺少签名（OneSeal-Signature）")
    parts: dict[str, list[str]] = {}
    for piece in header.split(","):
        key, sep, value = piece.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not (stamps[0].isascii() and stamps[0].isdigit()) or len(stamps[0]) > 12:
        raise BadSignature("签名格式应为 t=<时间戳>,v1=<签名>")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"签名时间戳已过期或超前（允许误差 {tolerance} 秒）")
    expected = signature(secret, timestamp, body).partition("v1=")[2].encode("ascii")
    # compared as bytes: compare_digest refuses (TypeError) a str with non-ASCII characters
    if not any(hmac.compare_digest(expected, given.encode("utf-8", "surrogatepass")) for given in parts.get("v1", [])):
        raise BadSignature("签名不正确")


def retry_wait(failures: int, base_seconds: int, cap_seconds: int = 3600) -> timedelta:
    """The wait after the ``failures``-th failed attempt: base, then doubling, at most ``cap``."""
    exponent = min(max(failures - 1, 0), 30)
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** exponent))
