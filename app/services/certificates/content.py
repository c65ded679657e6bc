"""What a certificate or refusal letter prints, from its template and the case."""
from __future__ import annotations

from datetime import date

from app.documents.layout import DocumentContent, chinese_date
from app.domain.bureau.catalogue import Catalogue
from app.domain.licences.certificates import CertificateTemplate, DocumentKind
from app.domain.errors import InvalidInput
from app.persistence.models import Case

MAX_SCOPE = 500
REFUSAL_TITLE = DocumentKind.REFUSAL.label
APPEAL = ("如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
          "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。")


def verify_url(public_url: str, number: str, check_code: str) -> str:
    return f"{public_url.rstrip('/')}/verify?number={number}&code={check_code}"


def licence_rows(template: CertificateTemplate, case: Case, catalogue: Catalogue, *, holder: str,
                 scope: str, department: str) -> list[dict[str, str]]:
    """The template's fields with their values; a required one left empty is refused (400)."""
    if len(scope) > MAX_SCOPE:
        raise InvalidInput("scope_too_long", f"许可范围不能超过 {MAX_SCOPE} 字", field="scope")
    rows = []
    for field in template.fields:
        if field.source == "holder":
            value = holder
        elif field.source == "scope":
            value = scope
        elif field.source == "case.number":
            value = case.number
        elif field.source == "department":
            value = catalogue.department_name(department)
        else:
            value = str(case.applicant.get(field.source.removeprefix("applicant."), "") or "")
        if field.required and not value.strip():
            hint = "请在制证时填写许可范围（scope）" if field.source == "scope" else "请在申请人信息中补充"
            raise InvalidInput("certificate_field_missing",
                               f"{template.type_name}的“{field.label}”不能为空：{hint}",
                               field="scope" if field.source == "scope" else field.source)
        rows.append({"label": field.label, "value": value.strip()})
    return rows


def licence_document(template: CertificateTemplate, *, number: str, check_code: str, holder: str,
                     item_name: str, issued_on: date, valid_until: date | None, rows: list[dict[str, str]],
                     bureau_name: str, public_url: str) -> DocumentContent:
    return DocumentContent(
        kind="certificate", title=template.title, number=number, holder=holder, item_name=item_name,
        issued_on=issued_on, valid_until=valid_until, bureau_name=bureau_name,
        verify_url=verify_url(public_url, number, check_code), check_code=check_code,
        rows=tuple((r["label"], r["value"]) for r in rows), note=template.note)


def refusal_document(case: Case, *, number: str, check_code: str, holder: str, item_name: str,
                     issued_on: date, reason: str, bureau_name: str, public_url: str) -> DocumentContent:
    applied = chinese_date(case.created_at.date())
    paragraphs = (
        f"申请人：{holder}",
        f"你（单位）于{applied}提出的“{item_name}”申请（办件编号 {case.number}），本机关已依法受理并进行了审查。",
        f"经审查，本机关决定不予行政许可。理由如下：{reason}",
        APPEAL,
    )
    return DocumentContent(
        kind="refusal", title=REFUSAL_TITLE, number=number, holder=holder, item_name=item_name,
        issued_on=issued_on, bureau_name=bureau_name, verify_url=verify_url(public_url, number, check_code),
        check_code=check_code, paragraphs=paragraphs)
