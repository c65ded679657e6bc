"""电子证照：签章、核验、变更、延续、注销、撤销与过期
Electronic certificates under the bureau's seal: what a case issued, the signature checked
independently, public verification, and the licence's life through 变更, 延续, 注销, 撤销 and expiry."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.documents.checking import check_signed_pdf
from app.domain.licences.certificates import CertificateStatus
from app.domain.timing.clock import local_date
from app.domain.errors import OneSealError
from app.persistence.tables.certificates import Certificate, LicenceApplication
from app.scenarios.running.expect import expect, expect_equal
from app.scenarios.language.registry import then, when
from app.scenarios.running.services import ScenarioServices
from app.services.certificates.expiry import expire_due
from app.services.certificates.lifecycle import apply_for
from app.services.certificates.registry import effective_status
from app.services.certificates.seals import trusted_chains
from app.services.certificates.verification import PublicCertificate, public_lookup

_ACTIONS = {"变更": "change", "延续": "renewal", "注销": "cancellation"}
_STATUS_BY_LABEL = {s.label: s for s in CertificateStatus}


def _documents(services: ScenarioServices, case_id: int) -> list[Certificate]:
    return services.read(lambda session: list(session.scalars(
        select(Certificate).where(Certificate.case_id == case_id).order_by(Certificate.id))))


def _document(services: ScenarioServices, case_id: int, type_name: str) -> Certificate:
    found = [c for c in _documents(services, case_id) if c.type_name == type_name]
    expect(found, f"预期办件有“{type_name}”，实际只有：{'、'.join(c.type_name for c in _documents(services, case_id)) or '无'}")
    return found[-1]


def _original(services: ScenarioServices, case_id: int) -> Certificate:
    """The licence a 变更 / 延续 / 注销 case is about."""
    def query(session: Any) -> Certificate | None:
        application = session.get(LicenceApplication, case_id)
        return session.get(Certificate, application.certificate_id) if application is not None else None
    found = services.read(query)
    expect(found is not None, "当前办件不是证照变更、延续或注销申请")
    assert found is not None
    return found


def _lookup(services: ScenarioServices, number: str, code: str) -> PublicCertificate | OneSealError:
    try:
        return services.run(lambda session, runtime: public_lookup(session, runtime, number, code))
    except OneSealError as err:
        return err


@then("办件签发了以下文书：")
def documents_issued(services: ScenarioServices, case_id: int, datatable: list[list[str]]) -> None:
    """办件以本局电子印章签发的证照和不予许可决定书（表格三列：“事项”“文书”“状态”）。"""
    header, *rows = datatable
    expect_equal(header, ["事项", "文书", "状态"])
    today = services.runtime.clock.now()
    actual = [[c.item_name, c.type_name, effective_status(c, local_date(today)).label]
              for c in _documents(services, case_id)]
    expect_equal(actual, rows)


@then("办件没有签发任何文书")
def nothing_issued(services: ScenarioServices, case_id: int) -> None:
    """办件没有签发证照，也没有签发不予许可决定书（例如签章失败时整步回退）。"""
    expect_equal([c.number for c in _documents(services, case_id)], [])


@then("“{type_name}”的编号为“{number}”")
def document_number(services: ScenarioServices, case_id: int, type_name: str, number: str) -> None:
    """证照编号按“年份-事项编码-Z顺序号”编排（不予许可决定书为 N 顺序号）。"""
    expect_equal(_document(services, case_id, type_name).number, number)


@then("“{type_name}”由本局电子印章签章，文件完好")
def signed_by_bureau(services: ScenarioServices, case_id: int, type_name: str) -> None:
    """用独立的签章校验（与签章程序无关的校验器）核验证照 PDF：签章有效、文件未被修改、签章证书属于本局电子印章。"""
    document = _document(services, case_id, type_name)
    data = services.read(lambda session: session.scalar(select(Certificate.pdf).where(Certificate.id == document.id)))
    chains, fingerprints = services.read(lambda session: trusted_chains(session, services.runtime.seals))
    check = check_signed_pdf(data or b"", chains)
    expect(check.sound, f"预期签章完好，实际：完好={check.intact} 有效={check.valid} 可信={check.trusted} {check.problem}")
    expect(check.signer_fingerprint in fingerprints, "签章证书不是本局电子印章")
    expect_equal(check.number, document.number)


@then("“{type_name}”已送达，方式为“{delivery}”")
def delivered(services: ScenarioServices, case_id: int, type_name: str, delivery: str) -> None:
    """出件时证照随办件送达。"""
    document = _document(services, case_id, type_name)
    expect(document.delivered_at is not None, f"“{type_name}”尚未送达")
    expect_equal(document.delivery, delivery)


@then("公众凭编号和核验码核验“{type_name}”，看到持证人“{holder}”，状态为“{status}”")
def public_sees(services: ScenarioServices, case_id: int, type_name: str, holder: str, status: str) -> None:
    """任何人凭证照上的编号和核验码（二维码）核验：看到持证人、事项和状态，不需登录。"""
    document = _document(services, case_id, type_name)
    found = _lookup(services, document.number, document.check_code)
    expect(not isinstance(found, OneSealError), f"核验失败：{found}")
    assert not isinstance(found, OneSealError)
    expect_equal([found["holder"], found["status_label"]], [holder, status])


@then("公众凭编号和错误的核验码核验“{type_name}”，被告知“{message}”")
def public_wrong_code(services: ScenarioServices, case_id: int, type_name: str, message: str) -> None:
    """核验码不对时与编号不存在时答复相同，编号无法被逐个试出。"""
    document = _document(services, case_id, type_name)
    wrong = "".join("2" if ch != "2" else "3" for ch in document.check_code)
    found = _lookup(services, document.number, wrong)
    expect(isinstance(found, OneSealError), "预期核验失败，实际核验通过")
    expect_equal(str(getattr(found, "message", "")), message)
    unknown = _lookup(services, document.number[:-1] + ("9" if document.number[-1] != "9" else "8"), document.check_code)
    expect_equal(str(getattr(unknown, "message", "")), message)


@when("“{username}”为“{type_name}”登记“{action}”申请", produces="case_id")
def apply_about_licence(services: ScenarioServices, case_id: int, username: str, type_name: str, action: str) -> int:
    """窗口为本办件签发的证照登记延续或注销申请；之后的步骤办理这件新办件。"""
    return _apply(services, case_id, username, type_name, action, {})


@when("“{username}”为“{type_name}”登记变更申请，新的持证人为“{holder}”", produces="case_id")
def apply_for_change(services: ScenarioServices, case_id: int, username: str, type_name: str, holder: str) -> int:
    """窗口为本办件签发的证照登记变更申请（持证人名称变更）；之后的步骤办理这件新办件。"""
    return _apply(services, case_id, username, type_name, "变更", {"holder": holder})


def _apply(services: ScenarioServices, case_id: int, username: str, type_name: str, action: str,
           more: dict[str, str]) -> int:
    expect(action in _ACTIONS, f"申请类型应为：{'、'.join(_ACTIONS)}")
    number = _document(services, case_id, type_name).number
    actor = services.actor(username)
    return services.run(lambda session, runtime: apply_for(session, runtime, actor, number, _ACTIONS[action],
                                                           more.get("holder"), more.get("scope"),
                                                           f"申请{action}").id)


@then("原证照状态为“{status}”")
def original_status(services: ScenarioServices, case_id: int, status: str) -> None:
    """变更、延续、注销申请所针对的原证照的状态。"""
    expect(status in _STATUS_BY_LABEL, f"状态应为：{'、'.join(_STATUS_BY_LABEL)}")
    expect_equal(CertificateStatus(_original(services, case_id).status).label, status)


@then("新证照替换原证照，持证人为“{holder}”，有效期至“{day}”")
def new_licence(services: ScenarioServices, case_id: int, holder: str, day: str) -> None:
    """变更或延续签发的新证照：记明所替换的原证照，持证人和有效期。"""
    original = _original(services, case_id)
    issued = [c for c in _documents(services, case_id) if c.kind == "certificate"]
    expect(issued, "本办件没有签发新证照")
    newest = issued[-1]
    expect_equal([newest.supersedes_id, newest.holder, newest.valid_until.isoformat() if newest.valid_until else None,
                  newest.status], [original.id, holder, day, "valid"])


@then("公众核验原证照，被告知已被替换为新证照")
def original_replaced(services: ScenarioServices, case_id: int) -> None:
    """原证照核验结果为“已被替换”，并给出替换它的新证照编号。"""
    original = _original(services, case_id)
    found = _lookup(services, original.number, original.check_code)
    assert not isinstance(found, OneSealError)
    newest = [c for c in _documents(services, case_id) if c.kind == "certificate"][-1]
    expect_equal([found["status"], found["replaced_by"]], ["superseded", newest.number])


@when("证照到期检查运行")
def expiry_runs(services: ScenarioServices) -> None:
    """后台的证照到期检查：有效期已过的证照记为“已过期”。"""
    services.run(lambda session, runtime: expire_due(session, runtime.clock.now()))


@then("“{type_name}”的状态为“{status}”")
def licence_status(services: ScenarioServices, case_id: int, type_name: str, status: str) -> None:
    """证照库中记录的证照状态（不是按日期推算的）。"""
    expect_equal(CertificateStatus(_document(services, case_id, type_name).status).label, status)


@then("原许可的“{type_name}”状态为“{status}”")
def parent_licence_status(services: ScenarioServices, case_id: int, type_name: str, status: str) -> None:
    """撤销案所针对的原办件签发的证照的状态。"""
    parent = services.detail(case_id)["parent_case"]
    expect(parent is not None, "当前办件不是由另一件办件立案的撤销案")
    assert parent is not None
    expect_equal(CertificateStatus(_document(services, parent["id"], type_name).status).label, status)


@when("转到原办件", produces="case_id")
def to_original_case(services: ScenarioServices, case_id: int) -> int:
    """之后的步骤回到本办件所针对的原办件（签发原证照的办件）。"""
    parent = services.detail(case_id)["parent_case"]
    expect(parent is not None, "当前办件没有原办件")
    assert parent is not None
    return parent["id"]
