"""Verification by anyone holding a certificate: the number and check code give the licence
and its status (nothing else about the holder); a PDF is checked against the bureau's seals
and the registry.

An unknown number and a wrong check code give the same answer after a constant-time compare,
so numbers cannot be enumerated; the edge limits failures per client.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.checking import SignatureCheck, check_signed_pdf
from app.domain.licences.certificates import CHECK_CODE_LENGTH, CertificateStatus, DocumentKind, looks_like_number
from app.domain.timing.clock import local_date
from app.domain.errors import NotFound
from app.persistence.tables.certificates import Certificate
from app.services.certificates.registry import effective_status, status_since
from app.services.certificates.seals import trusted_chains
from app.services.runtime import Runtime

_NOT_FOUND = "证照编号或核验码不正确"
#: compared against when the number is unknown, so both answers take the same time
_DUMMY_CODE = "0" * CHECK_CODE_LENGTH


class PublicCertificate(TypedDict):
    """What anyone with the number and check code may read (no identity numbers or addresses)."""

    number: str
    kind: str
    kind_label: str
    holder: str
    item_code: str
    item_name: str
    type_name: str
    status: str
    status_label: str
    status_since: str
    issued_at: str
    valid_until: str | None
    issuer: str
    replaced_by: str | None


def public_lookup(session: Session, runtime: Runtime, number: object, code: object) -> PublicCertificate:
    number_text = number.strip() if isinstance(number, str) else ""
    code_text = code.strip().upper() if isinstance(code, str) else ""
    certificate = None
    if looks_like_number(number_text):
        certificate = session.scalar(select(Certificate).where(Certificate.number == number_text))
    expected = certificate.check_code if certificate is not None else _DUMMY_CODE
    matches = hmac.compare_digest(expected.encode(), code_text.encode()[:64])
    if certificate is None or not matches:
        raise NotFound("certificate_not_found", _NOT_FOUND, field="code")
    return public_view(session, runtime, certificate, local_date(runtime.clock.now()))


def public_view(session: Session, runtime: Runtime, c: Certificate, today: date) -> PublicCertificate:
    status = effective_status(c, today)
    newer = session.scalar(select(Certificate.number).where(Certificate.supersedes_id == c.id)) \
        if status is CertificateStatus.SUPERSEDED else None
    return {"number": c.number, "kind": c.kind, "kind_label": DocumentKind(c.kind).label, "holder": c.holder,
            "item_code": c.item_code, "item_name": c.item_name, "type_name": c.type_name, "status": status.value,
            "status_label": status.label, "status_since": status_since(c, today),
            "issued_at": c.issued_at.isoformat(), "valid_until": c.valid_until.isoformat() if c.valid_until else None,
            "issuer": runtime.catalogue.bureau_name, "replaced_by": newer}


@dataclass(frozen=True)
class FileVerdict:
    """What `oneseal certificates verify` prints: the signature, the seal, the licence."""

    signature: SignatureCheck
    by_bureau_seal: bool
    certificate: PublicCertificate | None
    #: the file is the very document the registry holds (SHA-256 equal)
    same_as_registry: bool

    @property
    def ok(self) -> bool:
        return (self.signature.sound and self.by_bureau_seal and self.certificate is not None
                and self.certificate["status"] == CertificateStatus.VALID.value)

    @property
    def problems(self) -> list[str]:
        found = []
        if not self.signature.readable:
            found.append(self.signature.problem or "文件无法读取")
        elif not self.signature.signed:
            found.append("文件没有电子签章")
        else:
            if not (self.signature.intact and self.signature.valid and self.signature.covers_whole_file):
                found.append("签章后文件被修改（签章校验不通过）")
            if not self.by_bureau_seal or not self.signature.trusted:
                found.append("签章不是本局电子印章所签")
        if self.certificate is None:
            found.append("证照库中没有该证照")
        elif self.certificate["status"] != CertificateStatus.VALID.value:
            found.append(f"证照状态为“{self.certificate['status_label']}”（自 {self.certificate['status_since'][:10]}）")
        return found


def verify_file(session: Session, runtime: Runtime, data: bytes) -> FileVerdict:
    chains, fingerprints = trusted_chains(session, runtime.seals)
    check = check_signed_pdf(data, chains)
    certificate = None
    same = False
    if check.number and looks_like_number(check.number):
        row = session.scalar(select(Certificate).where(Certificate.number == check.number))
        if row is not None:
            certificate = public_view(session, runtime, row, local_date(runtime.clock.now()))
            same = row.pdf_sha256 == hashlib.sha256(data).hexdigest()
    return FileVerdict(check, check.signer_fingerprint in fingerprints, certificate, same)
