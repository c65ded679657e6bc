"""Checking a signed PDF independently of the code that signed it (pyHanko's validator).

The verdict says whether the document is intact (the signed bytes unchanged and nothing but
signatures added after them), whether the signature is cryptographically valid, whether the
signing certificate chains to one of the trust roots given, which certificate signed it, and
the certificate number the document names in its keywords.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.documents.event_loops import outside_running_loop
from app.documents.layout import KEYWORD_PREFIX
from app.documents.seal_keys import load_certificates
from app.documents.signing import asn1_certificate


@dataclass(frozen=True)
class SignatureCheck:
    readable: bool
    signed: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    #: SHA-256 of the signing certificate (DER), when there is a signature
    signer_fingerprint: str | None = None
    signer_subject: str | None = None
    signed_at: datetime | None = None
    number: str | None = None
    #: the whole file is covered by the signature (no incremental update after it)
    covers_whole_file: bool = False
    problem: str = ""

    @property
    def sound(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def check_signed_pdf(data: bytes, trust_roots_pem: list[str]) -> SignatureCheck:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        number = _number(reader)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return SignatureCheck(readable=False, problem=f"文件无法作为 PDF 读取：{exc}")
    if not signatures:
        return SignatureCheck(readable=True, number=number, problem="文件没有电子签章")
    roots = [asn1_certificate(c) for pem in trust_roots_pem for c in load_certificates(pem)]
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    signature = signatures[-1]
    try:
        status = outside_running_loop(lambda: validate_pdf_signature(signature, signer_validation_context=context))
    except Exception as exc:  # noqa: BLE001 — any parse failure of a hostile file is "not sound"
        return SignatureCheck(readable=True, signed=True, number=number, problem=f"签章无法校验：{exc}")
    cert = status.signing_cert
    coverage = getattr(status, "coverage", None)
    whole = coverage is not None and coverage.name in ("ENTIRE_FILE",)
    return SignatureCheck(
        readable=True, signed=True, intact=bool(status.intact), valid=bool(status.valid),
        trusted=bool(status.trusted),
        signer_fingerprint=hashlib.sha256(cert.dump()).hexdigest() if cert is not None else None,
        signer_subject=cert.subject.human_friendly if cert is not None else None,
        signed_at=status.signer_reported_dt, number=number, covers_whole_file=whole)


def _number(reader: PdfFileReader) -> str | None:
    try:
        info = reader.trailer["/Info"]
    except KeyError:
        return None
    keywords = str(info.get_object().get("/Keywords", ""))
    for word in keywords.split():
        if word.startswith(KEYWORD_PREFIX):
            return word.removeprefix(KEYWORD_PREFIX)
    return None
