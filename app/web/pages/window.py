"""The window desk (综合窗口): choose an item or a one-thing bundle (一件事), register the case,
tick the materials received, accept it or give the one-time notice of what is missing; print
the receipt with the query code."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.domain.bureau.catalogue import Bundle
from app.domain.errors import OneSealError
from app.domain.roles import Role
from app.services.casework.issuing import issue_now, issuing_step
from app.services.intake.application import Application
from app.services.intake.materials import receive_materials
from app.services.intake.notice import issue_intake_notice
from app.services.intake.registration import register_case
from app.services.intake.window_desk import (
    accept_application,
    desk_choices,
    exact_match,
    material_groups,
)
from app.services.reading import case_views
from app.services.reading import inbox as inbox_service
from app.web.edge.pages import page
from app.web.edge.units import Call
from app.web.pages.common import bp

DESK_ROLES = (Role.WINDOW, Role.ADMIN)
DESK_LIST_SIZE = 8
APPLICANT_FIELDS = {"name": "applicant_name", "id_number": "applicant_id_number",
                    "contact": "applicant_contact"}
#: errors the desk shows next to the materials rather than where the service points
MATERIAL_ERRORS = ("main_materials_missing", "materials_missing", "unknown_material", "duplicate_material",
                   "nothing_missing")


def _applicant(form: Any) -> dict[str, str]:
    applicant = {key: (form.get(name) or "").strip() for key, name in APPLICANT_FIELDS.items()}
    return {k: v for k, v in applicant.items() if v or k == "name"}


def _choices(call: Call, chosen: Any) -> list[Any]:
    """The desk's list narrowed by the search (``q``); the whole list if it hides the choice."""
    catalogue = call.runtime.catalogue
    groups = desk_choices(catalogue, request.args.get("q"))
    if chosen is not None and not any(chosen in group.subjects for group in groups):
        groups = desk_choices(catalogue)
    return groups


def _submit(call: Call, action: str, chosen: Any) -> Any:
    """Run the desk's action; a redirect or a rendered notice on success, else the errors."""
    form = request.form
    materials = form.getlist("materials")
    if action == "notice":
        with call.writing() as session:
            notice = issue_intake_notice(session, call.runtime, call.actor, item_code=chosen.code,
                                         applicant_name=form.get("applicant_name", ""), received=materials)
        return render_template("notice.html", notice=notice)
    with call.writing() as session:
        application = Application(item_code=chosen.code, applicant=_applicant(form), materials=materials)
        if action != "accept":
            case_id = register_case(session, call.runtime, call.actor, application).id
        else:
            acceptance = accept_application(session, call.runtime, call.actor, application,
                                            commitment_signed=form.get("commitment_signed") == "true")
            case_id, waiting = acceptance.case.id, acceptance.waiting_task_id
    if action == "accept" and waiting:
        flash("已登记，请当场审核并作出决定")
        return redirect(url_for("pages.task_page", task_id=waiting))
    if action == "accept" and chosen.commitment is not None:
        flash("已按告知承诺制当场准予，请打印受理回执并当场出件")
        return redirect(url_for("pages.receipt", case_id=case_id))
    if action == "accept":
        flash("已受理，请打印受理回执交申请人")
        return redirect(url_for("pages.receipt", case_id=case_id))
    flash("办件已登记")
    return redirect(url_for("pages.case_page", case_id=case_id))


@bp.route("/window", methods=["GET", "POST"], endpoint="register")
@bp.route("/cases/new", methods=["GET", "POST"])
@page(roles=DESK_ROLES)
def register(call: Call) -> Any:
    catalogue = call.runtime.catalogue
    code = request.values.get("item_code", "")
    chosen = catalogue.items.get(code) or catalogue.bundles.get(code)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if chosen is None:
            errors["item_code"] = "请选择事项或“一件事”"
        else:
            try:
                return _submit(call, request.form.get("action", "register"), chosen)
            except OneSealError as err:
                if err.kind in ("forbidden", "not_found"):
                    raise
                field = "materials" if err.code in MATERIAL_ERRORS else err.details.get("field") or "_form"
                errors[field] = err.message
    groups = _choices(call, chosen)
    found = [subject for group in groups for subject in group.subjects]
    if chosen is None and request.args.get("q"):
        # the search names one thing, or one item exactly: take it
        chosen = found[0] if len(found) == 1 else exact_match(call.runtime.catalogue, request.args.get("q"))
    waiting = inbox_service.inbox(call.session, call.runtime, call.actor, inbox_service.InboxRequest(
        tab="department", page_size=DESK_LIST_SIZE))
    received = set(request.form.getlist("materials")) if request.method == "POST" else None
    return render_template("register.html", groups=groups, query=request.args.get("q", ""), chosen=chosen,
                           is_bundle=isinstance(chosen, Bundle),
                           material_groups=material_groups(chosen) if chosen else [], errors=errors,
                           form=request.form, received=received, waiting=waiting), (400 if errors else 200)


@bp.get("/cases/<int:case_id>/receipt")
@page(roles=DESK_ROLES)
def receipt(call: Call, case_id: int) -> Any:
    detail = case_views.case_detail(call.session, call.runtime, call.actor, case_id)
    issuing = issuing_step(call.session, call.runtime, call.actor, case_id)
    subject = call.runtime.catalogue.find(detail["item_code"])
    return render_template("receipt.html", case=detail, clerk=call.actor.display_name or call.actor.username,
                           issuing=issuing, commitment=subject.commitment if subject else None)


@bp.post("/cases/<int:case_id>/issue")
@page(roles=DESK_ROLES)
def issue(call: Call, case_id: int) -> Any:
    """出件 from the receipt: the window's 出件 step claimed and completed at once."""
    try:
        with call.writing() as session:
            issue_now(session, call.runtime, call.actor, case_id, request.form.get("delivery", ""))
    except OneSealError as err:
        if err.kind in ("not_found", "forbidden"):
            raise
        flash(err.message, "error")
        return redirect(url_for("pages.receipt", case_id=case_id))
    flash(f"已出件（{request.form.get('delivery')}）")
    return redirect(url_for("pages.case_page", case_id=case_id))


@bp.post("/cases/<int:case_id>/materials")
@page(roles=DESK_ROLES)
def receive(call: Call, case_id: int) -> Any:
    """容缺后补: the window ticks the owed materials the applicant brought."""
    try:
        with call.writing() as session:
            receive_materials(session, call.runtime, call.actor, case_id, request.form.getlist("materials"))
    except OneSealError as err:
        if err.kind in ("not_found", "forbidden"):
            raise
        flash(err.message, "error")
    else:
        flash("已收取补交的材料")
    return redirect(url_for("pages.case_page", case_id=case_id))
