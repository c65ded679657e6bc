"""The certificate registry's API (``/api/v1/certificates``) and the public verification and
seal endpoints (``/api/v1/public``): no login for the latter, and nothing personal beyond the
holder's name, the item and the licence's status."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request

from app.domain.errors import InvalidInput, OneSealError
from app.services.certificates import lifecycle, registry, seals, verification
from app.services.reading import case_views
from app.web.edge.api import api, json_body
from app.web.edge.client_address import client_address
from app.web.edge.request_input import int_param, text_param
from app.web.edge.units import Call, ext
from app.web.edge.rate_limit import DatabaseFailureLimiter, FailureLimiter

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1")

FAILURES_PER_CLIENT = 10
FAILURE_WINDOW = timedelta(minutes=15)


def verification_limiter() -> FailureLimiter:
    """Failed look-ups of certificates per client, shared by the API and the /verify page."""
    limiter = current_app.extensions.get("oneseal_certificate_limiter")
    if limiter is None:
        limiter = current_app.extensions["oneseal_certificate_limiter"] = DatabaseFailureLimiter(
            ext().db, ext().runtime.clock, "certificates", FAILURES_PER_CLIENT, FAILURE_WINDOW)
    return limiter


def _date(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("invalid_date", f"{name} 应为日期（YYYY-MM-DD）", field=name) from None


def search_from_args() -> registry.RegistrySearch:
    return registry.RegistrySearch(
        number=text_param("number"), holder=text_param("holder"), item=text_param("item"),
        status=text_param("status"),
        issued_from=_date("from"), issued_to=_date("to"), page=int_param("page", 1),
        page_size=int_param("page_size", 20, high=registry.MAX_PAGE_SIZE))


@bp.get("/certificates")
@api()
def search(call: Call) -> tuple[Any, int]:
    return registry.search_registry(call.session, call.runtime, call.actor, search_from_args()), 200


@bp.get("/certificates/<number>")
@api()
def detail(call: Call, number: str) -> tuple[Any, int]:
    return registry.certificate_detail(call.session, call.runtime, call.actor, number), 200


@bp.get("/certificates/<number>/pdf")
@api()
def pdf(call: Call, number: str) -> tuple[Any, int]:
    name, data = registry.certificate_pdf(call.session, call.actor, number)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}), 200


@bp.post("/certificates/<number>/applications")
@api(write=True)
def apply(call: Call, number: str) -> tuple[Any, int]:
    body = json_body()
    case = lifecycle.apply_for(call.session, call.runtime, call.actor, number, body.get("action"),
                               body.get("holder"), body.get("scope"), body.get("reason"))
    return case_views.case_detail(call.session, call.runtime, call.actor, case.id), 201


@bp.get("/public/certificates/<number>")
@api(authenticated=False)
def public_certificate(call: Call, number: str) -> tuple[Any, int]:
    client = client_address()
    limiter = verification_limiter()
    if limiter.blocked(client):
        raise TooManyFailures()
    try:
        return verification.public_lookup(call.session, call.runtime, number, request.args.get("code")), 200
    except OneSealError:
        limiter.fail(client)
        raise


class TooManyFailures(OneSealError):
    kind = "too_many"

    def __init__(self) -> None:
        super().__init__("too_many_failures", "核验失败次数过多，请 15 分钟后再试")


@bp.get("/public/seal")
@api(authenticated=False)
def public_seal(call: Call) -> tuple[Any, int]:
    chain = call.runtime.seals.current().info.chain_pem
    return Response(chain, mimetype="application/x-pem-file", headers={"Cache-Control": "public, max-age=300"}), 200


@bp.get("/public/seals")
@api(authenticated=False)
def public_seals(call: Call) -> tuple[Any, int]:
    return {"seals": seals.all_seals(call.session, call.runtime.seals)}, 200
