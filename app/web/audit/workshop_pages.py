"""The auditors' scenario workshop in the browser, under ``/audit``: the library, the editor, the
runs with their progress and paths, and the step catalogue.

The pages read; what they change (save a scenario, import the baseline, start a run) goes
through the workshop's API, mounted here under ``/audit/workshop/api`` with the browser
session's user and its CSRF token (see :mod:`app.web.audit.workshop_api`).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from app.persistence.audit import scenarios as scenario_store
from app.scenarios.workshop import library
from app.scenarios.workshop import runs
from app.scenarios.language.catalogue import load_catalogue
from app.scenarios.language.completion import chinese_sentence
from app.scenarios.workshop.views import diagrams_of_run, document_view, library_view, revision_view, run_view
from app.services.processes import modeler as process_models
from app.web.audit import workshop_api
from app.web.edge.api import browser_actor
from app.web.edge.pages import page
from app.web.edge.units import Call

bp = Blueprint("workshop", __name__, url_prefix="/audit", template_folder="../templates")
api_bp = Blueprint("api", __name__, url_prefix="/workshop/api")
workshop_api.register(api_bp, actor_from=browser_actor)
bp.register_blueprint(api_bp)

#: what a new scenario starts with in the editor
NEW_TEXT = """# language: zh-CN
@流程:standard_promised
功能: 新的审计场景
  说明这组场景要核实什么。

  场景: 场景名称写成一条检查项
    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料
    当“window”在“受理”环节作出“受理”决定，意见为“材料齐全，予以受理”
    那么办件状态为“审查中”
"""


def _folders(entries: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry["folder"], []).append(entry)
    return sorted(groups.items(), key=lambda g: (g[0].startswith(library.BASELINE_FOLDER), g[0]))


@bp.get("/library")
@page(roles=library.READERS)
def library_page(call: Call) -> Any:
    tag = request.args.get("tag") or None
    entries = library_view(library.list_library(call.session, call.actor, tag=tag[:60] if tag else None))
    return render_template("audit/library.html", folders=_folders(entries), tags=library.all_tags(call.session),
                           tag=tag, count=len(entries), may_write=call.actor.role in library.WRITERS)


def _editor(call: Call, document: Any = None, revisions: Any = None, text: str = NEW_TEXT,
            shown_version: int | None = None) -> Any:
    recent = [run_view(r) for r in scenario_store.recent_runs(call.session, 200)
              if document is not None and r.purpose in ("one", "gate") and str(document["id"]) in r.selector.split(",")][:10]
    drafts = [{"model_id": s.model.id, "version": s.latest.version,
               "label": f"模型“{s.model.name}”第 {s.latest.version} 版（草稿）"}
              for s in process_models.list_models(call.session, call.actor) if s.latest is not None
              and s.latest.process_id is not None]
    return render_template("audit/editor.html", document=document, text=text, shown_version=shown_version,
                           versions=[revision_view(r) for r in revisions or []], runs=recent, drafts=drafts,
                           may_write=call.actor.role in library.WRITERS)


@bp.get("/library/new")
@page(roles=library.WRITERS)
def new_scenario(call: Call) -> Any:
    return _editor(call)


@bp.get("/library/<int:scenario_id>")
@page(roles=library.READERS)
def edit_scenario(call: Call, scenario_id: int) -> Any:
    document, revisions = library.document_detail(call.session, call.actor, scenario_id)
    wanted = request.args.get("version", type=int)
    shown = next((r for r in revisions if r.version == wanted), None) or \
        next(r for r in revisions if r.version == document.current_version)
    return _editor(call, document_view(document), revisions, shown.text, shown.version)


@bp.get("/runs")
@page(roles=library.READERS)
def runs_page(call: Call) -> Any:
    return render_template("audit/runs.html", runs=[run_view(r) for r in runs.list_runs(call.session, call.actor, 100)])


@bp.get("/runs/<int:run_id>")
@page(roles=library.READERS)
def run_page(call: Call, run_id: int) -> Any:
    run, rows = runs.get_run(call.session, call.actor, run_id)
    return render_template("audit/run.html", run=run_view(run, rows), diagrams=diagrams_of_run(call.session, run, rows))


@bp.get("/steps")
@page(roles=library.READERS)
def steps_page(call: Call) -> Any:
    sections = [{"title": section.title,
                 "entries": [{"keyword": e.keyword, "sentence": chinese_sentence(e.pattern), "doc": e.doc}
                             for e in section.entries]} for section in load_catalogue()]
    return render_template("audit/steps.html", sections=sections)
