"""JSON API under ``/api/v1``. Handlers: load-or-404, authorize, one service call, serialize."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from app.domain.errors import InvalidInput
from app.services.access.auth import authenticate, issue_token
from app.services.casework.claims import claim_task, release_task
from app.services.casework.completion import Completion, complete_step
from app.services.casework.inspection import decision_view, evaluate_inspection
from app.services.casework.transfer import transfer_task
from app.services.intake.application import Application
from app.services.casework.inspection_photos import attach_photo
from app.services.intake.attachments import attach_scan, read_attachment
from app.services.intake.attachments import view as attachment_view
from app.services.intake.materials import receive_materials
from app.services.intake.registration import register_case
from app.services.reading import case_search, case_views
from app.services.reading import inbox as inbox_service
from app.services.reading.case_pages import diagram_source
from app.services.reading.case_search_export import EXPORT_ASCII_NAME, EXPORT_NAME, workbook_bytes
from app.services.reading.project_views import project_types_view
from app.web.edge.api import api, bearer_actor, json_body, minimal_answer
from app.web.edge.downloads import Download, download
from app.web.edge.request_input import int_param
from app.web.edge.responses import json_response
from app.web.edge.units import Call
from app.web.openapi import openapi_document
from app.web.pages.attachments import file_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _item_view(item: Any, call: Call) -> dict[str, Any]:
    return {
        "code": item.code, "name": item.name, "department": item.department,
        "department_name": call.runtime.catalogue.department_name(item.department),
        "kind": item.kind.value, "kind_label": item.kind.label,
        "statutory_limit": item.statutory_limit, "promised_limit": item.promised_limit,
        "materials": [{"code": m.code, "name": m.name, "main": m.main} for m in item.materials],
        "site_inspection": item.site_inspection, "process": item.process,
        "legal_basis": item.legal_basis, "fee": item.fee,
    }


@bp.get("/openapi.json")
def openapi() -> Any:
    return json_response(openapi_document())


@bp.post("/auth/token")
@api(write=True, authenticated=False)
def create_token(call: Call) -> tuple[Any, int]:
    body = json_body()
    actor = authenticate(call.session, call.runtime, body.get("username"), body.get("password"))
    token = issue_token(call.session, call.runtime, actor)
    return {"token": token, "username": actor.username, "role": actor.role.value,
            "department": actor.department,
            "expires_in": call.runtime.settings.token_ttl_hours * 3600}, 200


@bp.get("/items")
@api()
def list_items(call: Call) -> tuple[Any, int]:
    catalogue = call.runtime.catalogue
    bundles = [{"code": b.code, "name": b.name, "department": b.department,
                "department_name": catalogue.department_name(b.department), "kind": "bundle",
                "promised_limit": b.promised_limit, "items": [i.code for i in b.items],
                "materials": [{"code": m.code, "name": m.name, "main": m.main, "items": list(m.items)}
                              for m in b.materials]} for b in catalogue.bundles.values()]
    return {"items": [_item_view(i, call) for i in catalogue.items.values()], "bundles": bundles}, 200


@bp.get("/project-types")
@api()
def list_project_types(call: Call) -> tuple[Any, int]:
    return {"project_types": project_types_view(call.runtime)}, 200


@bp.post("/cases")
@api(write=True)
def create_case(call: Call) -> tuple[Any, int]:
    body = json_body()
    item_code, applicant = body.get("item_code") or body.get("bundle_code"), body.get("applicant")
    materials, facts, project = body.get("materials", []), body.get("facts", {}), body.get("project", {})
    if not isinstance(item_code, str) or not item_code:
        raise InvalidInput("item_code_required", "请选择事项（item_code）或“一件事”（bundle_code）",
                           field="item_code")
    if not isinstance(applicant, dict):
        raise InvalidInput("applicant_required", "请填写申请人信息（applicant 应为对象）", field="applicant")
    if not isinstance(materials, list):
        raise InvalidInput("invalid_materials", "materials 应为材料编码列表", field="materials")
    if not isinstance(facts, dict):
        raise InvalidInput("invalid_facts", "facts 应为对象", field="facts")
    if not isinstance(project, dict):
        raise InvalidInput("invalid_project", "project 应为对象（工程建设项目的名称、建设地点等）", field="project")
    case = register_case(call.session, call.runtime, call.actor,
                         Application(item_code, applicant, materials, facts, project))
    if minimal_answer():
        return case_views.case_brief(call.session, call.actor, case.id), 201
    return case_views.case_detail(call.session, call.runtime, call.actor, case.id), 201


@bp.get("/cases")
@api()
def search_cases(call: Call) -> tuple[Any, int]:
    criteria = case_search.parse_search(request.args, call.runtime, page=int_param("page", 1),
                                        page_size=int_param("page_size", 20, high=case_search.MAX_PAGE_SIZE))
    found = case_search.search(call.session, call.runtime, call.actor, criteria)
    return {"cases": found.cases, "total": found.total, "page": criteria.page,
            "page_size": criteria.page_size, "pages": found.pages}, 200


@bp.get("/cases/export.xlsx")
@download(actor_from=bearer_actor)
def export_cases(call: Call) -> Download:
    criteria = case_search.parse_search(request.args, call.runtime)
    workbook = workbook_bytes(call.session, call.runtime, call.actor, criteria)
    return Download([workbook], EXPORT_NAME, EXPORT_ASCII_NAME, "xlsx")


@bp.get("/cases/<int:case_id>")
@api()
def get_case(call: Call, case_id: int) -> tuple[Any, int]:
    return case_views.case_detail(call.session, call.runtime, call.actor, case_id), 200


@bp.post("/cases/<int:case_id>/attachments")
@api(write=True)
def add_attachment(call: Call, case_id: int) -> tuple[Any, int]:
    upload = request.files.get("file")
    return attach_scan(call.session, call.runtime, call.actor, case_id, request.form.get("material"),
                       upload.filename if upload else "", upload.read() if upload else b""), 201


@bp.post("/tasks/<task_id>/photos")
@api(write=True)
def add_photo(call: Call, task_id: str) -> tuple[Any, int]:
    upload = request.files.get("file")
    row = attach_photo(call.session, call.runtime, call.actor, task_id, upload.filename if upload else "",
                       upload.read() if upload else b"")
    return attachment_view(row), 201


@bp.get("/attachments/<attachment_id>")
@api()
def get_attachment(call: Call, attachment_id: str) -> tuple[Any, int]:
    view, data = read_attachment(call.session, call.runtime, call.actor, attachment_id[:64])
    return file_response(view, data), 200


@bp.get("/cases/<int:case_id>/diagram")
@api()
def get_case_diagram(call: Call, case_id: int) -> tuple[Any, int]:
    return diagram_source(call.session, call.runtime, call.actor, case_id, request.args.get("process")), 200


@bp.post("/cases/<int:case_id>/materials")
@api(write=True)
def add_materials(call: Call, case_id: int) -> tuple[Any, int]:
    body = json_body()
    case = receive_materials(call.session, call.runtime, call.actor, case_id, body.get("materials"))
    return case_views.case_detail(call.session, call.runtime, call.actor, case.id), 200


@bp.get("/tasks")
@api()
def list_tasks(call: Call) -> tuple[Any, int]:
    page = inbox_service.inbox(call.session, call.runtime, call.actor, inbox_service.InboxRequest(
        tab=request.args.get("tab", "mine"), search=request.args.get("q"),
        deadline=request.args.get("deadline"), sort=request.args.get("sort", "deadline"),
        page=int_param("page", 1), page_size=int_param("page_size", 20, high=inbox_service.MAX_PAGE_SIZE)))
    return {"tab": page.tab, "items": page.items, "total": page.total, "counts": page.counts,
            "page": page.page, "page_size": page.page_size}, 200


@bp.post("/tasks/<task_id>/claim")
@api(write=True)
def claim(call: Call, task_id: str) -> tuple[Any, int]:
    task = claim_task(call.session, call.runtime, call.actor, task_id)
    return case_views.task_view(task), 200


@bp.post("/tasks/<task_id>/release")
@api(write=True)
def release(call: Call, task_id: str) -> tuple[Any, int]:
    task = release_task(call.session, call.runtime, call.actor, task_id)
    return case_views.task_view(task), 200


@bp.post("/tasks/<task_id>/transfer")
@api(write=True)
def transfer(call: Call, task_id: str) -> tuple[Any, int]:
    body = json_body()
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("invalid_reason", "reason 应为文本", field="reason")
    task = transfer_task(call.session, call.runtime, call.actor, task_id, body.get("to"), reason)
    return case_views.task_view(task), 200


@bp.post("/tasks/<task_id>/complete")
@api(write=True)
def complete(call: Call, task_id: str) -> tuple[Any, int]:
    body = json_body()
    decision, opinion = body.get("decision"), body.get("opinion")
    data, version = body.get("data", {}), body.get("version")
    if decision is not None and not isinstance(decision, str):
        raise InvalidInput("invalid_decision", "decision 应为文本", field="decision")
    if opinion is not None and not isinstance(opinion, str):
        raise InvalidInput("invalid_opinion", "opinion 应为文本", field="opinion")
    if not isinstance(data, dict):
        raise InvalidInput("invalid_data", "data 应为对象", field="data")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidInput("invalid_version", "version 应为整数", field="version")
    done = complete_step(call.session, call.runtime, call.actor, task_id,
                         Completion(decision, opinion, data, version, body.get("notice"), body.get("materials")))
    task = done.task  # ``done`` holds the case in the session: the answer reads it from there
    if minimal_answer():
        return {"task": case_views.task_view(task), "case": case_views.case_brief(call.session, call.actor,
                                                                                  task.case_id)}, 200
    detail = case_views.case_detail(call.session, call.runtime, call.actor, task.case_id)
    return {"task": case_views.task_view(task), "case": detail}, 200


@bp.post("/rules/inspection/evaluate")
@api()
def evaluate_inspection_rules(call: Call) -> tuple[Any, int]:
    body = json_body()
    if "facts" not in body:
        raise InvalidInput("facts_required", "请提供 facts 对象", field="facts")
    return decision_view(evaluate_inspection(call.runtime, call.actor, body["facts"])), 200
