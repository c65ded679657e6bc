"""The one place where a certificate comes into the registry or changes status.

Every change writes the certificate's own history row and an audit event in the caller's
transaction, so the status of a licence moves with the case step that decided it or not at
all; given a :class:`PushContext`, the supervision push's event too (监管推送).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.licences.certificates import CertificateStatus, check_move
from app.persistence.audit.chain import append_event
from app.persistence.tables.certificates import Certificate, CertificateEvent
from app.services.supervision_push import events as push_events
from app.services.supervision_push.events import PushContext

#: history action → the Chinese words the registry shows
ACTION_LABELS = {
    "issued": "签发", "delivered": "送达", "superseded": "被替换", "withdrawn": "撤回", "revoked": "撤销",
    "cancelled": "注销", "expired": "到期失效",
}
_ACTION_FOR = {CertificateStatus.SUPERSEDED: "superseded", CertificateStatus.WITHDRAWN: "withdrawn",
               CertificateStatus.REVOKED: "revoked", CertificateStatus.CANCELLED: "cancelled",
               CertificateStatus.EXPIRED: "expired"}


def _record(session: Session, certificate: Certificate, *, action: str, actor: str, now: datetime,
            before: str | None, case_id: int | None, reason: str, extra: dict[str, Any] | None = None) -> None:
    session.add(CertificateEvent(certificate_id=certificate.id, occurred_at=now, actor=actor, action=action,
                                 status_before=before, status_after=certificate.status, case_id=case_id,
                                 reason=reason))
    append_event(session, occurred_at=now, actor=actor, action=f"certificate_{action}",
                 case_id=case_id if case_id is not None else certificate.case_id,
                 before={"number": certificate.number, "status": before} if before else {},
                 after={"number": certificate.number, "kind": certificate.kind, "status": certificate.status,
                        "item_code": certificate.item_code, "reason": reason, **(extra or {})})


def record_issued(session: Session, certificate: Certificate, actor: str, now: datetime,
                  push: PushContext | None = None) -> None:
    """A certificate or refusal letter entered the registry (already flushed, with its id)."""
    extra: dict[str, Any] = {"valid_until": certificate.valid_until.isoformat() if certificate.valid_until else None,
             "seal": certificate.seal_fingerprint, "pdf_sha256": certificate.pdf_sha256}
    if certificate.supersedes_id is not None:
        extra["supersedes_id"] = certificate.supersedes_id
    _record(session, certificate, action="issued", actor=actor, now=now, before=None,
            case_id=certificate.case_id, reason="", extra=extra)
    if push is not None:
        push_events.after_issued(session, push.runtime, certificate, push.case, now)


def record_delivered(session: Session, certificate: Certificate, actor: str, now: datetime, case_id: int) -> None:
    _record(session, certificate, action="delivered", actor=actor, now=now, before=certificate.status,
            case_id=case_id, reason=certificate.delivery or "")


def change_status(session: Session, certificate: Certificate, target: CertificateStatus, *, actor: str,
                  now: datetime, case_id: int | None, reason: str = "", push: PushContext | None = None) -> None:
    """Move a licence to ``target`` (refused with 409 when its life does not allow it)."""
    current = CertificateStatus(certificate.status)
    check_move(certificate.number, current, target)
    certificate.status = target.value
    certificate.status_since = now
    session.flush()
    _record(session, certificate, action=_ACTION_FOR[target], actor=actor, now=now, before=current.value,
            case_id=case_id, reason=reason)
    if push is not None:
        push_events.after_status_change(session, push.runtime, certificate, target, push.case, now, push.finding_id)
