"""The public verification page (/verify, no login) and the certificate registry (电子证照库)
for staff: search, one certificate with its history, its signed PDF."""
from __future__ import annotations

from typing import Any

from flask import Response, render_template, request

from app.domain.licences.certificates import CertificateStatus
from app.domain.errors import OneSealError
from app.domain.roles import Role
from app.services.certificates import registry, verification
from app.web.certificates.api import search_from_args, verification_limiter
from app.web.edge.client_address import client_address
from app.web.edge.pages import page
from app.web.edge.units import Call
from app.web.pages.common import bp

STAFF = tuple(r for r in Role if r not in (Role.DESIGNER, Role.SUPERVISOR))
STATUSES = [(s.value, s.label) for s in CertificateStatus]


@bp.route("/verify", methods=["GET", "POST"])
@page(signed_in=False)
def verify(call: Call) -> Any:
    """Number and check code typed in (POST), or the QR code's link (GET with both)."""
    source = request.form if request.method == "POST" else request.args
    number, code = source.get("number"), source.get("code")
    if not number and not code:
        return render_template("verify.html", result=None, errors={}, form={})
    client = client_address()
    limiter = verification_limiter()
    if limiter.blocked(client):
        return render_template("verify.html", result=None, form=source,
                               errors={"_form": "核验失败次数过多，请 15 分钟后再试"}), 429
    try:
        result = verification.public_lookup(call.session, call.runtime, number, code)
    except OneSealError as err:
        limiter.fail(client)
        return render_template("verify.html", result=None, form=source, errors={"_form": err.message}), 404
    return render_template("verify.html", result=result, errors={}, form={})


@bp.get("/certificates")
@page(roles=STAFF)
def registry_page(call: Call) -> Any:
    query = search_from_args()
    assert call.actor is not None
    found = registry.search_registry(call.session, call.runtime, call.actor, query)
    return render_template("certificates.html", page=found, query=query, statuses=STATUSES, form=request.args)


@bp.get("/certificates/<number>")
@page(roles=STAFF)
def certificate_page(call: Call, number: str) -> Any:
    assert call.actor is not None
    detail = registry.certificate_detail(call.session, call.runtime, call.actor, number)
    return render_template("certificate.html", c=detail)


@bp.get("/certificates/<number>/pdf")
@page(roles=STAFF)
def certificate_pdf(call: Call, number: str) -> Any:
    assert call.actor is not None
    name, data = registry.certificate_pdf(call.session, call.actor, number)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
