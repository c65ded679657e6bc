"""Electronic certificates (电子证照): what a licence is, the statuses of its life, its number.

Plain Python: the certificate templates the bureau writes per catalogue item
(``data/certificates.toml``), the status a licence can be in and the moves between them, and
the structured certificate number (year, item, sequence). The moves happen only through a case
(issue, 变更, 延续, 注销, 撤销) and only in :mod:`app.services.certificates.status`.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from app.domain.errors import Conflict


class DocumentKind(StrEnum):
    #: the licence itself (证照)
    CERTIFICATE = "certificate"
    #: 不予行政许可决定书: issued instead of a certificate when the item is refused
    REFUSAL = "refusal"

    @property
    def label(self) -> str:
        return {"certificate": "证照", "refusal": "不予行政许可决定书"}[self.value]


class CertificateStatus(StrEnum):
    VALID = "valid"
    #: a 变更 or 延续 issued a new certificate that replaces this one
    SUPERSEDED = "superseded"
    #: 撤回
    WITHDRAWN = "withdrawn"
    #: 撤销
    REVOKED = "revoked"
    #: 注销
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def stands(self) -> bool:
        """The licence is in force."""
        return self is CertificateStatus.VALID


_LABELS = {
    CertificateStatus.VALID: "有效", CertificateStatus.SUPERSEDED: "已被替换（变更或延续）",
    CertificateStatus.WITHDRAWN: "已撤回", CertificateStatus.REVOKED: "已撤销",
    CertificateStatus.CANCELLED: "已注销", CertificateStatus.EXPIRED: "已过期",
}

#: from a status, the statuses a case may move a licence to; every end status is final
_MOVES: dict[CertificateStatus, frozenset[CertificateStatus]] = {
    CertificateStatus.VALID: frozenset({CertificateStatus.SUPERSEDED, CertificateStatus.WITHDRAWN,
                                        CertificateStatus.REVOKED, CertificateStatus.CANCELLED,
                                        CertificateStatus.EXPIRED}),
    # a lapsed licence may still be cancelled (注销 when the licence lapses) or revoked
    CertificateStatus.EXPIRED: frozenset({CertificateStatus.CANCELLED, CertificateStatus.REVOKED}),
}


def check_move(number: str, current: CertificateStatus, target: CertificateStatus) -> None:
    """Refuse a move the life of a licence does not allow (HTTP 409)."""
    if target not in _MOVES.get(current, frozenset()):
        raise Conflict("certificate_status_final",
                       f"证照 {number} 当前状态为“{current.label}”，不能改为“{target.label}”",
                       number=number, status=current.value, target=target.value)


class LicenceAction(StrEnum):
    """What a holder may ask about a licence after it was issued (a case of its own)."""

    CHANGE = "change"
    RENEWAL = "renewal"
    CANCELLATION = "cancellation"

    @property
    def label(self) -> str:
        return {"change": "变更", "renewal": "延续", "cancellation": "注销"}[self.value]

    @property
    def issues_new(self) -> bool:
        """变更 and 延续 issue a new certificate that supersedes the old one."""
        return self is not LicenceAction.CANCELLATION


#: where a template field takes its value from
FIELD_SOURCES = ("holder", "scope", "applicant.address", "applicant.id_number", "applicant.contact",
                 "applicant.legal_representative", "case.number", "department")


@dataclass(frozen=True)
class TemplateField:
    label: str
    source: str
    required: bool = False


@dataclass(frozen=True)
class CertificateTemplate:
    """What the certificate of one catalogue item looks like (证照类型 and its template)."""

    item_code: str
    #: 证照类型, e.g. 食品经营许可证
    type_name: str
    #: the title printed at the top (usually the type name)
    title: str
    #: years the licence is valid; None: no end date (长期有效)
    validity_years: int | None
    fields: tuple[TemplateField, ...] = ()
    #: the licensed scope when the 制证 step gives none
    default_scope: str = ""
    #: a line of legal basis or notes printed under the fields
    note: str = ""
    #: where the template was written (file:line), for error messages
    source: str = ""


@dataclass(frozen=True)
class CertificateTemplates:
    templates: dict[str, CertificateTemplate] = field(default_factory=dict)

    def for_item(self, code: str) -> CertificateTemplate | None:
        return self.templates.get(code)


_NUMBER = re.compile(r"^\d{4}-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*-[NZ]\d{5,}$")
#: check codes avoid letters and digits read alike (0/O, 1/I/L)
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_CODE_LENGTH = 8
MAX_NUMBER_LENGTH = 48


def certificate_number(year: int, item_code: str, kind: DocumentKind, sequence: int) -> str:
    """``2026-XK-0001-Z00001``: year, item, Z for a licence (N for a refusal), sequence."""
    letter = "Z" if kind is DocumentKind.CERTIFICATE else "N"
    return f"{year}-{item_code}-{letter}{sequence:05d}"


def looks_like_number(text: str) -> bool:
    return len(text) <= MAX_NUMBER_LENGTH and bool(_NUMBER.match(text))


def new_check_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


def add_years(day: date, years: int) -> date:
    """The same day *years* later, less one day (a licence of 5 years from 2026-03-02 runs to
    2031-03-01); 29 February goes to 28 February."""
    try:
        later = day.replace(year=day.year + years)
    except ValueError:
        later = day.replace(year=day.year + years, day=28)
    return later - timedelta(days=1)
