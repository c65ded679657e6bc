"""The PAdES signature under the bureau's seal (pyHanko).

PAdES B-B with the signing certificate and its chain embedded; with a timestamp service
configured (``ONESEAL_TSA_URL``), B-T, and B-LT (validation data in the document) when the
chain's revocation information can be fetched. The signature is an invisible field named
``印章``: the seal's image is already drawn on the page.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Iterator

from asn1crypto import cms as asn1_cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.attributes import CMSAttributeProvider
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.documents.event_loops import outside_running_loop
from app.documents.seal_keys import Seal

FIELD_NAME = "Seal"
#: room in a B-B signature container besides the certificates: signed attributes, an RSA-4096
#: or ECDSA signature, and a margin
SIGNATURE_ROOM = 6_144


def _room(seal: Seal) -> int:
    """Bytes to reserve for the CMS: the embedded certificates plus the rest."""
    certificates = (seal.certificate, *seal.chain)
    size = SIGNATURE_ROOM + sum(len(c.public_bytes(serialization.Encoding.DER)) for c in certificates)
    return size + size % 2  # pyHanko wants an even number


def asn1_certificate(certificate: object) -> asn1_x509.Certificate:
    der = certificate.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined]
    return asn1_x509.Certificate.load(der)


class _EncodedAttribute(CMSAttributeProvider):
    """A signed attribute whose value never changes, handed out from its DER encoding."""

    def __init__(self, der: bytes) -> None:
        self.der = der

    async def get_attribute(self, dry_run: bool = False) -> asn1_cms.CMSAttribute:
        return asn1_cms.CMSAttribute.load(self.der)  # a fresh object: asn1crypto may tag it in place


class _SealAttributes(SignedAttributeProviderSpec):
    """The signed attributes pyHanko gives a PAdES signature without CAdES extras (no signing
    time, no commitment type): the signing-certificate-v2 reference to the seal's certificate,
    besides the content type and message digest it always adds. pyHanko rebuilds that reference
    from the certificate for every signature, which took two thirds of the signing time
    (8 of 12 ms); it depends on the certificate only, so it is encoded once, by pyHanko's own
    function, when the seal's signer is built."""

    def __init__(self, signing_cert: asn1_x509.Certificate) -> None:
        self.signing_certificate = _EncodedAttribute(simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(signing_cert)).dump())

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Iterator[CMSAttributeProvider]:
        yield self.signing_certificate


_signers: dict[str, signers.SimpleSigner] = {}
_lock = threading.Lock()


def _signer(seal: Seal) -> signers.SimpleSigner:
    """One signer per seal and process (the key parsed once, the certificate reference encoded
    once)."""
    found = _signers.get(seal.info.fingerprint)
    if found is not None:
        return found
    key = seal.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    chain = [asn1_certificate(c) for c in seal.chain]
    signer = signers.SimpleSigner(signing_cert=asn1_certificate(seal.certificate),
                                  signing_key=asn1_keys.PrivateKeyInfo.load(key),
                                  cert_registry=SimpleCertificateStore.from_certs(chain))
    signer.signed_attr_prov_spec = _SealAttributes(signer.signing_cert)
    with _lock:
        return _signers.setdefault(seal.info.fingerprint, signer)


def sign_pdf(pdf: bytes, seal: Seal, *, reason: str, location: str, tsa_url: str = "") -> bytes:
    """The document signed under the seal; raises if signing fails (the caller rolls back)."""
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location, name=seal.info.subject,
        embed_validation_info=bool(tsa_url),
        validation_context=ValidationContext(trust_roots=[asn1_certificate(c) for c in seal.roots],
                                             allow_fetching=True) if tsa_url else None)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    signer = _signer(seal)
    # Without a timestamp the CMS is small and its size known: reserving room for it spares
    # pyHanko a trial signature made only to measure it (half the signing time).
    reserved = None if tsa_url else _room(seal)
    outside_running_loop(lambda: signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper, output=out,
                                                  bytes_reserved=reserved))
    return out.getvalue()
