"""A generated certificate checked by pyHanko's own validator against the chain the bureau
publishes, independently of the code that signed it; tampering and a foreign key refused."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.documents.seal_keys import init_demo_seal
from app.documents.signing import sign_pdf
from tests.support.certificates import issued, pdf_of


def _published_chain(api) -> list[asn1_x509.Certificate]:
    text = api.get("/api/v1/public/seal").get_data()
    return [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(text, multiple=True)]


def _validate(data: bytes, roots: list[asn1_x509.Certificate]):
    """pyHanko's validator on a thread of its own: its synchronous API runs an event loop, which a
    thread with a running one (the browser tests' Playwright) refuses."""
    def run():
        reader = PdfFileReader(io.BytesIO(data))
        (signature,) = reader.embedded_signatures
        return validate_pdf_signature(signature, ValidationContext(trust_roots=roots, allow_fetching=False))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_the_signed_pdf_validates_against_the_published_chain(api):
    _, certificate = issued(api)
    data = pdf_of(api, certificate["number"])
    chain = _published_chain(api)
    roots = [c for c in chain if c.self_signed == "maybe" or c.subject == c.issuer]
    status = _validate(data, roots)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signing_cert.dump() == chain[0].dump()  # signed by the bureau's current seal
    assert status.coverage.name == "ENTIRE_FILE"
    # PAdES: the CAdES detached subfilter with the signing certificate embedded
    reader = PdfFileReader(io.BytesIO(data))
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert chain[0].dump() in [c.dump() for c in sig.signed_data["certificates"]]


def test_the_pdf_embeds_its_cjk_font_and_names_the_licence(api):
    _, certificate = issued(api)
    data = pdf_of(api, certificate["number"])
    assert b"/FontFile2" in data  # the TrueType subset is embedded, not referenced
    reader = PdfFileReader(io.BytesIO(data))
    info = reader.trailer["/Info"]
    assert f"oneseal-certificate:{certificate['number']}" in str(info["/Keywords"])
    assert "食品经营许可证" in str(info["/Title"])


def test_a_tampered_file_and_a_foreign_signature_do_not_validate(api, tmp_path):
    _, certificate = issued(api)
    data = pdf_of(api, certificate["number"])
    roots = [c for c in _published_chain(api) if c.subject == c.issuer]
    middle = len(data) // 3
    tampered = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
    assert not _validate(tampered, roots).intact
    stranger = init_demo_seal(tmp_path / "other", "别的县行政审批服务局")
    unsigned = data[:data.index(b"%%EOF") + 5]  # the first revision: the page before signing
    foreign = sign_pdf(unsigned, stranger, reason="伪造", location="别处")
    status = _validate(foreign, roots)
    assert status.intact and not status.trusted


def test_an_update_appended_after_signing_is_not_sound(api):
    """The signed bytes intact, but a revision added after them: the document is not the one signed."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from app.documents.checking import check_signed_pdf

    _, certificate = issued(api)
    data = pdf_of(api, certificate["number"])
    chain = api.get("/api/v1/public/seal").get_data(as_text=True)
    assert check_signed_pdf(data, [chain]).sound
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/OpenAction"] = generic.NameObject("/Changed")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    check = check_signed_pdf(out.getvalue(), [chain])
    assert not check.sound and not check.covers_whole_file


def test_pages_are_made_with_reportlabs_accelerators_in_c():
    """The page's numbers, compressed streams and font checksums are formatted by rl_accel's C code:
    reportlab's pure-Python fallback made rendering a licence take 1.7 times as long."""
    from reportlab.lib import rl_accel

    assert type(rl_accel.fp_str).__name__ == "builtin_function_or_method"
    assert type(rl_accel.asciiBase85Encode).__name__ == "builtin_function_or_method"


def test_the_signed_attributes_are_the_ones_pyhanko_itself_would_sign(tmp_path):
    """The seal's certificate reference is encoded once per seal instead of per signature: the
    signed attributes must stay exactly those of pyHanko's own default PAdES signer."""
    from datetime import date

    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from app.documents.event_loops import outside_running_loop
    from app.documents.layout import DocumentContent, render
    from app.documents.signing import FIELD_NAME, asn1_certificate

    def attributes(data: bytes) -> dict[str, bytes]:
        (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
        (info,) = signature.signed_data["signer_infos"]
        return {attribute["type"].native: attribute["values"].dump() for attribute in info["signed_attrs"]}

    page = render(DocumentContent(
        kind="certificate", title="食品经营许可证", number="2026-XK-0001-Z00001", holder="张三",
        item_name="食品经营许可", issued_on=date(2026, 3, 2), bureau_name="县行政审批服务局",
        verify_url="http://127.0.0.1/verify", check_code="ABCDEFGH", rows=(("经营者名称", "张三"),)))
    for folder, bureau in (("one", "县行政审批服务局"), ("other", "别的县行政审批服务局")):
        seal = init_demo_seal(tmp_path / folder, bureau)
        ours = attributes(sign_pdf(page, seal, reason="证照", location="县"))
        key = seal.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        plain = signers.SimpleSigner(signing_cert=asn1_certificate(seal.certificate),
                                     signing_key=asn1_keys.PrivateKeyInfo.load(key), cert_registry=None)
        meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256")
        theirs = attributes(outside_running_loop(  # pyHanko runs its own event loop
            lambda: signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(page)), meta, signer=plain).getvalue()))
        assert set(ours) == set(theirs) == {"content_type", "message_digest", "signing_certificate_v2"}
        assert ours["signing_certificate_v2"] == theirs["signing_certificate_v2"]  # this seal's own certificate
        assert ours["content_type"] == theirs["content_type"]
