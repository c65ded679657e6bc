"""The supervision push's API (``/api/v1/supervision``): endpoints (administrators), findings
(supervision departments, by user token or signed by the department's own system), and the
desk's figures and lists."""
from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Blueprint, g, request
from sqlalchemy.orm import Session

from app.domain.errors import InvalidInput, NotAuthenticated
from app.domain.roles import Role
from app.domain.licences.supervision_push import DEPARTMENT_HEADER, SIGNATURE_HEADER, BadSignature, check_signature
from app.services.actor import Actor
from app.services.runtime import Runtime
from app.services.supervision_push import desk, endpoints, findings
from app.web.edge.api import api, bearer_actor, json_body
from app.web.edge.request_input import int_param, text_param
from app.web.edge.units import Call

bp = Blueprint("supervision_api", __name__, url_prefix="/api/v1/supervision")


def signed_or_bearer_actor(session: Session, runtime: Runtime) -> Actor:
    """A department's own system signs its call (``OneSeal-Department`` + ``OneSeal-Signature``
    over the raw body with its endpoint's secret); anyone else shows a Bearer token."""
    signed = request.headers.get(SIGNATURE_HEADER)
    if signed is None:
        return bearer_actor(session, runtime)
    department = (request.headers.get(DEPARTMENT_HEADER) or "").strip()[:64]
    secret = endpoints.secret_of(session, department) if department else None
    if secret is None:
        raise NotAuthenticated("bad_signature", "签名无效：未知的部门或该部门未设置密钥（OneSeal-Department）")
    try:
        check_signature(signed, secret, request.get_data(cache=True), int(time.time()))
    except BadSignature as err:
        raise NotAuthenticated("bad_signature", f"签名无效：{err}") from None
    # the same signed request sent again (a replay within the signature's window, whatever its
    # Idempotency-Key) gets the first answer and opens nothing new
    g.oneseal_signed_key = "signed:" + hashlib.sha256(signed.encode("utf-8", "replace")).hexdigest()
    return Actor(username=f"department:{department}", role=Role.SUPERVISOR, department=department,
                 display_name=runtime.catalogue.department_name(department))


@bp.get("/endpoints")
@api()
def list_endpoints(call: Call) -> tuple[Any, int]:
    return {"endpoints": endpoints.list_endpoints(call.session, call.runtime, call.actor)}, 200


@bp.put("/endpoints/<department>")
@api(write=True)
def put_endpoint(call: Call, department: str) -> tuple[Any, int]:
    view, created = endpoints.put_endpoint(call.session, call.runtime, call.actor, department, json_body())
    return view, 201 if created else 200


@bp.delete("/endpoints/<department>")
@api(write=True)
def delete_endpoint(call: Call, department: str) -> tuple[Any, int]:
    endpoints.delete_endpoint(call.session, call.runtime, call.actor, department)
    return {"deleted": department}, 200


@bp.post("/findings")
@api(write=True, actor_from=signed_or_bearer_actor)
def post_finding(call: Call) -> tuple[Any, int]:
    if not request.headers.get("Idempotency-Key", "").strip():
        raise InvalidInput("idempotency_key_required", "提交监管发现须带幂等键（Idempotency-Key），以免重发时重复立案")
    return findings.post_finding(call.session, call.runtime, call.actor, json_body()), 201


@bp.get("/findings")
@api()
def list_findings(call: Call) -> tuple[Any, int]:
    return desk.findings(call.session, call.runtime, call.actor, department=text_param("department"),
                         state=text_param("state"), page=int_param("page", 1),
                         page_size=int_param("page_size", 20, high=desk.MAX_PAGE)), 200


@bp.get("/events")
@api()
def list_events(call: Call) -> tuple[Any, int]:
    query = desk.EventQuery(department=text_param("department"), state=text_param("state"), type=text_param("type"),
                            licence=text_param("licence"), page=int_param("page", 1),
                            page_size=int_param("page_size", 20, high=desk.MAX_PAGE))
    return desk.deliveries(call.session, call.runtime, call.actor, query), 200


@bp.get("/deliveries/<int:delivery_id>")
@api()
def delivery(call: Call, delivery_id: int) -> tuple[Any, int]:
    return desk.delivery_detail(call.session, call.runtime, call.actor, delivery_id), 200


@bp.post("/deliveries/<int:delivery_id>/redeliver")
@api(write=True)
def redeliver(call: Call, delivery_id: int) -> tuple[Any, int]:
    return desk.redeliver(call.session, call.runtime, call.actor, delivery_id), 200


@bp.get("/summary")
@api()
def summary(call: Call) -> tuple[Any, int]:
    return {"departments": desk.figures(call.session, call.runtime, call.actor, text_param("department"))}, 200
