"""The bureau's seal as keys: a signing key with its X.509 certificate and chain.

Two sources: a PKCS#12 file issued by a CA (production, ``ONESEAL_SEAL_PKCS12`` and
``ONESEAL_SEAL_PASSWORD``), or the demo seal ``oneseal seal init`` writes under the instance
folder: a demo root CA and the bureau's signing certificates (``seal-1``, ``seal-2`` … one per
rotation; the highest is current). The private key is held in :class:`Seal` only; its
``repr`` and everything it exports are public material.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.domain.errors import OneSealError

ROOT_KEY, ROOT_CERT = "root-ca.key", "root-ca.pem"
DEMO_ROOT_YEARS, DEMO_SEAL_YEARS = 20, 5


class SealError(OneSealError):
    """The seal is missing or cannot be read: a configuration fault named by its setting."""

    kind = "unavailable"


@dataclass(frozen=True)
class SealInfo:
    """What anyone may know about a seal: its certificate, chain and validity."""

    fingerprint: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str
    #: the signing certificate first, then its issuers up to the root
    chain_pem: str
    source: str


@dataclass(frozen=True, repr=False)
class Seal:
    """A signing key with its certificate and chain. Never logged, never serialized."""

    key: PrivateKeyTypes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: str
    info: SealInfo = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "info", describe(self.certificate, self.chain, self.source))

    def __repr__(self) -> str:
        return f"Seal({self.info.subject}, {self.info.fingerprint[:16]}…)"

    @property
    def roots(self) -> tuple[x509.Certificate, ...]:
        return tuple(c for c in self.chain if c.subject == c.issuer) or self.chain[-1:]


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def describe(certificate: x509.Certificate, chain: tuple[x509.Certificate, ...], source: str) -> SealInfo:
    return SealInfo(
        fingerprint=fingerprint(certificate), subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(), serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc, not_after=certificate.not_valid_after_utc,
        certificate_pem=pem(certificate), chain_pem="".join(pem(c) for c in (certificate, *chain)),
        source=source)


def load_pkcs12(path: Path, password: str | None) -> Seal:
    """The seal of a PKCS#12 file; a clear error naming the setting when it cannot be used."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealError("seal_pkcs12_unreadable",
                        f"ONESEAL_SEAL_PKCS12 指向的印章文件无法读取：{path}（{exc.strerror or exc}）",
                        setting="ONESEAL_SEAL_PKCS12") from None
    try:
        bundle = pkcs12.load_pkcs12(data, password.encode("utf-8") if password else None)
    except ValueError:
        raise SealError("seal_pkcs12_password",
                        "无法打开印章文件：ONESEAL_SEAL_PASSWORD 密码错误，或 ONESEAL_SEAL_PKCS12 不是 PKCS#12 文件",
                        setting="ONESEAL_SEAL_PASSWORD") from None
    if bundle.key is None or bundle.cert is None:
        raise SealError("seal_pkcs12_incomplete", "ONESEAL_SEAL_PKCS12 的文件中没有签名私钥和证书",
                        setting="ONESEAL_SEAL_PKCS12")
    chain = tuple(c.certificate for c in bundle.additional_certs)
    return Seal(bundle.key, bundle.cert.certificate, chain, "pkcs12")


# ───────────────────────────── the demo seal ─────────────────────────────

def _name(common: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write_private(path: Path, key: PrivateKeyTypes) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def _read_key(path: Path) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _read_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def demo_seal_numbers(folder: Path) -> list[int]:
    numbers = []
    for path in Path(folder).glob("seal-*.pem"):
        suffix = path.stem.removeprefix("seal-")
        if suffix.isdigit():
            numbers.append(int(suffix))
    return sorted(numbers)


def init_demo_seal(folder: Path, bureau_name: str, now: datetime | None = None, *, rotate: bool = False) -> Seal:
    """Create the demo root CA (once) and a new signing certificate for the bureau.

    Without ``rotate`` an existing seal is kept and returned; with it a new seal is made under
    the same root, and the earlier ones stay (certificates they signed still verify).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    numbers = demo_seal_numbers(folder)
    if numbers and not rotate:
        return load_demo_seal(folder)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if (folder / ROOT_CERT).is_file():
        loaded = _read_key(folder / ROOT_KEY)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise SealError("seal_root_key", f"演示根证书的私钥不是 EC 密钥：{folder / ROOT_KEY}",
                            setting="ONESEAL_SEAL_DIR")
        root_key, root = loaded, _read_cert(folder / ROOT_CERT)
    else:
        root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(f"{bureau_name}演示根证书", f"{bureau_name}（演示）")
        root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
                .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=365 * DEMO_ROOT_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=True, crl_sign=True,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
                .sign(root_key, hashes.SHA256()))
        _write_private(folder / ROOT_KEY, root_key)
        (folder / ROOT_CERT).write_bytes(root.public_bytes(serialization.Encoding.PEM))
    number = (numbers[-1] + 1) if numbers else 1
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(f"{bureau_name}电子印章（第{number}号）", bureau_name))
            .issuer_name(root.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * DEMO_SEAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    _write_private(folder / f"seal-{number}.key", key)
    (folder / f"seal-{number}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Seal(key, cert, (root,), "demo")


def load_demo_seal(folder: Path) -> Seal:
    numbers = demo_seal_numbers(folder)
    if not numbers:
        raise SealError("seal_missing", f"没有电子印章：请运行 oneseal seal init（演示），"
                                        f"或设置 ONESEAL_SEAL_PKCS12 与 ONESEAL_SEAL_PASSWORD（生产）；查找位置：{folder}",
                        setting="ONESEAL_SEAL_PKCS12")
    number = numbers[-1]
    try:
        key = _read_key(Path(folder) / f"seal-{number}.key")
        cert = _read_cert(Path(folder) / f"seal-{number}.pem")
        root = _read_cert(Path(folder) / ROOT_CERT)
    except (OSError, ValueError) as exc:
        raise SealError("seal_unreadable", f"演示电子印章文件无法读取（{folder}）：{exc}",
                        setting="ONESEAL_SEAL_PKCS12") from None
    return Seal(key, cert, (root,), "demo")


def earlier_demo_seals(folder: Path) -> list[SealInfo]:
    """The public part of every demo seal in the folder, oldest first (rotation keeps them)."""
    folder = Path(folder)
    if not (folder / ROOT_CERT).is_file():
        return []
    root = _read_cert(folder / ROOT_CERT)
    return [describe(_read_cert(folder / f"seal-{n}.pem"), (root,), "demo") for n in demo_seal_numbers(folder)]


def load_certificates(pem_text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem_text.encode("ascii"))


class SealKeeper:
    """The seal a running service signs with, read once at start-up.

    With a PKCS#12 file configured, a file that is missing or a wrong password stops start-up
    with an error naming the setting. Otherwise the demo seal in ``demo_folder`` is used; when
    there is none, ``auto_create`` (tests) makes one, else signing fails with a clear error
    until ``oneseal seal init`` has run.
    """

    def __init__(self, *, pkcs12_path: str, password: str, demo_folder: Path, bureau_name: str,
                 auto_create: bool = False) -> None:
        self.demo_folder = Path(demo_folder)
        self._seal: Seal | None = None
        self._problem: SealError | None = None
        if pkcs12_path:
            self._seal = load_pkcs12(Path(pkcs12_path), password or None)
        elif demo_seal_numbers(self.demo_folder):
            self._seal = load_demo_seal(self.demo_folder)
        elif auto_create:
            self._seal = init_demo_seal(self.demo_folder, bureau_name)
        else:
            try:
                load_demo_seal(self.demo_folder)
            except SealError as err:
                self._problem = err

    def current(self) -> Seal:
        if self._seal is None:
            raise self._problem or SealError("seal_missing", "没有电子印章", setting="ONESEAL_SEAL_PKCS12")
        return self._seal

    @property
    def configured(self) -> bool:
        return self._seal is not None

    def known(self) -> list[SealInfo]:
        """The current seal and the earlier demo seals still on disk (public parts)."""
        found = {info.fingerprint: info for info in earlier_demo_seals(self.demo_folder)}
        if self._seal is not None:
            found[self._seal.info.fingerprint] = self._seal.info
        return list(found.values())
