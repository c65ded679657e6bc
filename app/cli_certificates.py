"""``oneseal seal init|show`` and ``oneseal certificates verify FILE.pdf``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from app.config import Settings
from app.domain.errors import OneSealError
from app.domain.licences.certificates import DocumentKind


def _bureau_name(settings: Settings) -> str:
    from app.bureau_data.catalogue_file import load_catalogue

    try:
        return load_catalogue(settings.catalogue_file).bureau_name
    except OneSealError:
        return "行政审批服务局"


def ensure_demo_seal(settings: Settings) -> bool:
    """Create the demo seal when there is no seal at all; True if one was created."""
    from app.documents.seal_keys import demo_seal_numbers, init_demo_seal

    if settings.seal_pkcs12 or demo_seal_numbers(settings.seal_folder):
        return False
    init_demo_seal(settings.seal_folder, _bureau_name(settings))
    return True


@click.group(help="本局电子印章（签章证书）")
def seal() -> None:
    pass


@seal.command("init", help="建立演示印章：演示根证书和本局签章证书，存于 instance/seal（切勿提交）；--rotate 换用新印章")
@click.option("--rotate", is_flag=True, help="再签发一枚新印章（旧印章签发的证照仍可核验）")
def seal_init(rotate: bool) -> None:
    from app.documents.seal_keys import demo_seal_numbers, init_demo_seal

    settings = Settings.load()
    if settings.seal_pkcs12:
        click.echo("已设置 ONESEAL_SEAL_PKCS12：生产印章由 CA 签发，无需（也不能）建立演示印章", err=True)
        sys.exit(1)
    existed = bool(demo_seal_numbers(settings.seal_folder))
    made = init_demo_seal(settings.seal_folder, _bureau_name(settings), rotate=rotate)
    verb = "已换用新印章" if rotate and existed else ("印章已存在，未改动" if existed else "已建立演示印章")
    click.echo(f"{verb}：{made.info.subject}")
    click.echo(f"证书指纹（SHA-256）：{made.info.fingerprint}")
    click.echo(f"存放位置：{settings.seal_folder}")


@seal.command("show", help="显示当前印章的证书、有效期与证书链（不显示私钥）")
def seal_show() -> None:
    from app.documents.seal_keys import SealKeeper

    settings = Settings.load()
    try:
        keeper = SealKeeper(pkcs12_path=settings.seal_pkcs12, password=settings.seal_password,
                            demo_folder=settings.seal_folder, bureau_name=_bureau_name(settings))
        info = keeper.current().info
    except OneSealError as err:
        click.echo(f"错误：{err.message}", err=True)
        sys.exit(1)
    click.echo(f"印章：{info.subject}")
    click.echo(f"签发者：{info.issuer}")
    click.echo(f"来源：{'PKCS#12（ONESEAL_SEAL_PKCS12）' if info.source == 'pkcs12' else '演示印章（' + str(settings.seal_folder) + '）'}")
    click.echo(f"有效期：{info.not_before:%Y-%m-%d} 至 {info.not_after:%Y-%m-%d}")
    click.echo(f"证书指纹（SHA-256）：{info.fingerprint}")
    others = [s for s in keeper.known() if s.fingerprint != info.fingerprint]
    if others:
        click.echo(f"此前用过的印章 {len(others)} 枚：" + "、".join(s.fingerprint[:16] for s in others))
    click.echo(info.chain_pem, nl=False)


@click.group(help="电子证照")
def certificates() -> None:
    pass


@certificates.command("verify", help="核验签章 PDF（证照或不予许可决定书）：签章完好、由本局印章所签、文书现行有效时以 0 退出，否则以 1 退出")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def certificates_verify(file: Path) -> None:
    import logging

    from app.persistence.engine.db import Database
    from app.services.certificates.verification import verify_file
    from app.services.runtime import build_runtime

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    settings = Settings.load()
    try:
        runtime = build_runtime(settings)
    except OneSealError as err:
        click.echo(f"错误：{err.message}", err=True)
        sys.exit(1)
    db = Database(settings.database_url)
    with db.session(write=False) as session:
        verdict = verify_file(session, runtime, file.read_bytes())
    db.dispose()
    licence = verdict.certificate
    refusal = licence is not None and licence["kind"] == DocumentKind.REFUSAL.value
    if licence is not None:
        click.echo(f"{'文书' if refusal else '证照'}编号：{licence['number']}")
        if refusal:
            click.echo("文书类型：不予行政许可决定书（申请未获许可，不是许可证照）")
        click.echo(f"{'申请人' if refusal else '持证人'}：{licence['holder']}")
        click.echo(f"事项：{licence['item_name']}（{licence['type_name']}）")
        click.echo(f"状态：{licence['status_label']}（自 {licence['status_since'][:10]}）")
    elif verdict.signature.number:
        click.echo(f"证照编号：{verdict.signature.number}")
    if verdict.signature.signer_subject:
        click.echo(f"签章证书：{verdict.signature.signer_subject}")
    if verdict.ok:
        click.echo("核验通过：签章完好，由本局电子印章签发，" +
                   ("是本局的不予行政许可决定书（不是许可证照）" if refusal else "证照现行有效"))
        sys.exit(0)
    for problem in verdict.problems:
        click.echo(f"核验不通过：{problem}")
    sys.exit(1)
