"""Expiry (到期失效): valid licences whose term has ended are marked ``expired``, each with its
history row and audit event. Run by the worker; a lost run only delays it (the registry and
the public check already show a lapsed licence as expired)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.licences.certificates import CertificateStatus
from app.domain.timing.clock import local_date
from app.persistence.tables.certificates import Certificate
from app.services.certificates.status import change_status

BATCH = 500


def expire_due(session: Session, now: datetime, actor: str = "system") -> int:
    today = local_date(now)
    due = list(session.scalars(select(Certificate).where(Certificate.status == CertificateStatus.VALID.value,
                                                         Certificate.valid_until < today)
                               .order_by(Certificate.valid_until, Certificate.id).limit(BATCH)
                               .with_for_update(skip_locked=True)))
    for certificate in due:
        assert certificate.valid_until is not None
        change_status(session, certificate, CertificateStatus.EXPIRED, actor=actor, now=now, case_id=None,
                      reason=f"有效期至 {certificate.valid_until.isoformat()}，{(certificate.valid_until + timedelta(days=1)).isoformat()} 起失效")
    return len(due)
