"""The bureau's seal: the demo CA and its rotation, a PKCS#12 file from a CA, and the clear
start-up errors naming the setting when the file is missing or the password wrong."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from app import create_app
from app.config import Settings
from app.documents.seal_keys import SealError, SealKeeper, init_demo_seal, load_pkcs12


def _p12(tmp_path, password: bytes):
    seal = init_demo_seal(tmp_path / "ca", "县行政审批服务局")
    data = pkcs12.serialize_key_and_certificates(b"seal", seal.key, seal.certificate, list(seal.chain),
                                                 BestAvailableEncryption(password))
    path = tmp_path / "seal.p12"
    path.write_bytes(data)
    return seal, path


def test_the_demo_seal_is_made_once_and_rotation_keeps_the_earlier_seals(tmp_path):
    first = init_demo_seal(tmp_path / "seal", "县行政审批服务局")
    again = init_demo_seal(tmp_path / "seal", "县行政审批服务局")
    assert again.info.fingerprint == first.info.fingerprint
    second = init_demo_seal(tmp_path / "seal", "县行政审批服务局", rotate=True)
    assert second.info.fingerprint != first.info.fingerprint and second.info.issuer == first.info.issuer
    keeper = SealKeeper(pkcs12_path="", password="", demo_folder=tmp_path / "seal", bureau_name="x")
    assert keeper.current().info.fingerprint == second.info.fingerprint
    assert {s.fingerprint for s in keeper.known()} == {first.info.fingerprint, second.info.fingerprint}
    assert (tmp_path / "seal" / "seal-1.key").stat().st_mode & 0o077 == 0  # the key readable by its owner only
    assert "PRIVATE" not in repr(second) and "PRIVATE" not in second.info.chain_pem


def test_a_pkcs12_seal_is_loaded_with_its_password(tmp_path):
    seal, path = _p12(tmp_path, b"s3cret")
    loaded = load_pkcs12(path, "s3cret")
    assert loaded.info.fingerprint == seal.info.fingerprint and loaded.source == "pkcs12"
    assert len(loaded.chain) == 1


def test_a_wrong_password_or_a_missing_file_names_the_setting(tmp_path):
    _, path = _p12(tmp_path, b"s3cret")
    with pytest.raises(SealError) as wrong:
        load_pkcs12(path, "guess")
    assert wrong.value.details["setting"] == "ONESEAL_SEAL_PASSWORD" and "密码错误" in wrong.value.message
    with pytest.raises(SealError) as missing:
        load_pkcs12(tmp_path / "nowhere.p12", "s3cret")
    assert missing.value.details["setting"] == "ONESEAL_SEAL_PKCS12" and "nowhere.p12" in missing.value.message


def test_the_service_does_not_start_with_a_bad_seal_file(tmp_path, database_url):
    _, path = _p12(tmp_path, b"s3cret")
    settings = Settings.load(database_url=database_url, instance_dir=tmp_path / "instance", secret_key="k",
                             seal_pkcs12=str(path), seal_password="wrong")
    with pytest.raises(SealError, match="ONESEAL_SEAL_PASSWORD"):
        create_app(settings, warm=False)
    good = Settings.load(database_url=database_url, instance_dir=tmp_path / "instance", secret_key="k",
                         seal_pkcs12=str(path), seal_password="s3cret")
    assert create_app(good, warm=False).extensions["oneseal"].runtime.seals.current().source == "pkcs12"


def test_without_a_seal_signing_says_how_to_make_one(tmp_path):
    keeper = SealKeeper(pkcs12_path="", password="", demo_folder=tmp_path / "none", bureau_name="x")
    assert not keeper.configured
    with pytest.raises(SealError, match="oneseal seal init"):
        keeper.current()


def test_a_ca_issued_rsa_seal_with_an_intermediate_signs_documents_that_verify(tmp_path):
    """A production-like chain (RSA, root → intermediate → the bureau), through PKCS#12."""
    from datetime import UTC, date, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from app.documents.checking import check_signed_pdf
    from app.documents.layout import DocumentContent, render
    from app.documents.signing import sign_pdf

    now = datetime.now(UTC)

    def issue(name: str, issuer: str, key, issuer_key, ca: bool):
        usage = (False, False, False, False, False, True, True, False, False) if ca else \
            (True, True, False, False, False, False, False, False, False)
        return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(*usage), critical=True).sign(issuer_key, hashes.SHA256()))
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=3072) for _ in range(3)]
    root = issue("某电子认证根证书", "某电子认证根证书", keys[0], keys[0], True)
    middle = issue("某电子认证中级证书", "某电子认证根证书", keys[1], keys[0], True)
    bureau = issue("县行政审批服务局", "某电子认证中级证书", keys[2], keys[1], False)
    path = tmp_path / "ca-issued.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", keys[2], bureau, [middle, root],
                                                           BestAvailableEncryption(b"pw")))
    seal = load_pkcs12(path, "pw")
    content = DocumentContent(kind="certificate", title="食品经营许可证", number="2026-XK-0001-Z00001",
                              holder="张三", item_name="食品经营许可", issued_on=date(2026, 3, 2),
                              bureau_name="县行政审批服务局", verify_url="http://127.0.0.1/verify", check_code="ABCDEFGH",
                              rows=(("经营者名称", "张三"),))
    check = check_signed_pdf(sign_pdf(render(content), seal, reason="证照", location="县"), [seal.info.chain_pem])
    assert check.sound and check.number == "2026-XK-0001-Z00001"
