"""`oneseal certificates verify FILE.pdf`: exit 0 only for an intact file signed by one of the
bureau's seals whose licence is valid; `oneseal seal init|show`; a rotated seal's certificates
still verify."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import main
from app.documents.seal_keys import init_demo_seal
from app.documents.signing import sign_pdf
from tests.support.certificates import APPROVE_CHANGE, apply, issued, pdf_of, through


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("ONESEAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("ONESEAL_SECRET_KEY", "cli-secret")

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return invoke


def test_a_valid_certificate_verifies(api, run, tmp_path):
    _, certificate = issued(api)
    path = tmp_path / "licence.pdf"
    path.write_bytes(pdf_of(api, certificate["number"]))
    result = run("certificates", "verify", str(path))
    assert result.exit_code == 0, result.output
    assert f"证照编号：{certificate['number']}" in result.output and "持证人：张三餐饮店" in result.output
    assert "状态：有效" in result.output and "核验通过" in result.output


def test_a_tampered_file_a_foreign_signature_and_a_stray_file_fail(api, run, tmp_path):
    _, certificate = issued(api)
    data = pdf_of(api, certificate["number"])
    middle = len(data) // 3
    (tmp_path / "tampered.pdf").write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    result = run("certificates", "verify", str(tmp_path / "tampered.pdf"))
    assert result.exit_code == 1 and "签章后文件被修改" in result.output
    stranger = init_demo_seal(tmp_path / "other", "别的局")
    (tmp_path / "foreign.pdf").write_bytes(sign_pdf(data[:data.index(b"%%EOF") + 5], stranger,
                                                    reason="x", location="y"))
    result = run("certificates", "verify", str(tmp_path / "foreign.pdf"))
    assert result.exit_code == 1 and "签章不是本局电子印章所签" in result.output
    (tmp_path / "note.pdf").write_bytes(b"not a pdf at all")
    assert run("certificates", "verify", str(tmp_path / "note.pdf")).exit_code == 1


def test_a_licence_no_longer_valid_fails_though_its_file_is_intact(api, run, tmp_path):
    _, certificate = issued(api)
    (tmp_path / "old.pdf").write_bytes(pdf_of(api, certificate["number"]))
    through(api, apply(api, certificate["number"], "cancellation"), APPROVE_CHANGE)
    result = run("certificates", "verify", str(tmp_path / "old.pdf"))
    assert result.exit_code == 1 and "状态：已注销" in result.output and "证照状态为“已注销”" in result.output


def test_seal_show_and_a_rotated_seal_keeps_earlier_certificates_verifiable(app, api, run, settings, tmp_path):
    _, certificate = issued(api)
    (tmp_path / "first.pdf").write_bytes(pdf_of(api, certificate["number"]))
    shown = run("seal", "show")
    assert shown.exit_code == 0 and "BEGIN CERTIFICATE" in shown.output and "PRIVATE" not in shown.output
    rotated = run("seal", "init", "--rotate")
    assert rotated.exit_code == 0 and "已换用新印章" in rotated.output and "第2号" in rotated.output
    result = run("certificates", "verify", str(tmp_path / "first.pdf"))
    assert result.exit_code == 0, result.output
    seals = api.get("/api/v1/public/seals").get_json()["seals"]
    assert len(seals) == 2 and [s["current"] for s in seals] == [True, False]  # this app still signs with seal 1


def test_a_refusal_letter_verifies_as_the_bureaus_document_and_says_it_is_no_licence(api, run, tmp_path):
    from tests.support.cases import register, work

    case = work(api, register(api, "XK-0002"), "window", "reject", "原证照已注销，不予补办")
    (letter,) = case["certificates"]
    path = tmp_path / "refusal.pdf"
    path.write_bytes(pdf_of(api, letter["number"]))
    result = run("certificates", "verify", str(path))
    assert result.exit_code == 0, result.output  # genuine, signed by the bureau, in force
    assert f"文书编号：{letter['number']}" in result.output and "不是许可证照" in result.output
    assert "申请人：" in result.output and "持证人" not in result.output and "证照现行有效" not in result.output
