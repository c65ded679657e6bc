"""The API's JSON has exactly the keys of its read models (the TypedDicts in ``app.services``):
for a worked case of every kind (item, bundle, project, revocation) and with every section a
case may have, each object holds every key its type requires and none it does not declare, and
every key a read model declares is seen at least once. A key added to the JSON or dropped from
it without its type, or the other way round, fails here; so does a page template that reads a
key its read model does not declare."""
from __future__ import annotations

import types
from collections import defaultdict
from typing import (
    Any,
    NotRequired,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from flask import template_rendered
from jinja2 import Undefined, UndefinedError
from jinja2.utils import missing

from app.services.casework.inspection import DecisionView
from app.services.reading.case_pages import CasePage, DiagramSource
from app.services.reading.case_views import CaseDetail, TaskView
from app.services.reading.inbox import InboxRow
from app.services.reading.progress import Progress
from app.services.reading.project_views import ProjectTypeView
from tests.support.bundles import BOOK_CAFE, register_bundle
from tests.support.cases import register, work
from tests.support.commitment import approved
from tests.support.commitment import complete as complete_named
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import csrf, signed_in
from tests.support.parallel import ENTERTAINMENT, accepted, answer
from tests.support.projects import GOVERNMENT, materials_of, pass_survey
from tests.support.projects import complete as complete_project
from tests.support.projects import register as register_project
from tests.support.time_limits import returned
from tests.support.inspection_form import inspection_body

#: keys the API never has: the pages add them (a bundle's materials: the items each serves)
PAGE_ONLY = {("CaseMaterial", "items")}
#: facts a designer tries the inspection rules on
FACTS = {"requires_site_inspection": True, "departments_involved": 3, "parallel_approval": False,
         "risk_level": "low", "technical": False, "bureau_qualified": True}


class KeyCheck:
    """Compares JSON objects with their read models, nested ones included, and remembers
    which declared keys it has seen."""

    def __init__(self, exact: bool = True) -> None:
        #: whether a key the read model does not declare is a problem (for the API's JSON; a page's
        #: variable may be a subtype, e.g. the case's diagram with its version where only the steps count)
        self.exact = exact
        self.problems: list[str] = []
        self.seen: dict[type, set[str]] = defaultdict(set)
        #: id of every object checked → its read model (for the templates' lookups); the objects
        #: are kept, so no other object takes their id
        self.models: dict[int, Any] = {}
        self._kept: list[Any] = []

    def check(self, model: Any, value: dict[str, Any], where: str) -> None:
        self.models[id(value)] = model
        self._kept.append(value)
        hints = get_type_hints(model, include_extras=True)
        # NotRequired read from the hints: under ``from __future__ import annotations`` Python 3.11
        # takes every key for required (``__required_keys__``)
        required = {key for key, hint in hints.items() if get_origin(hint) is not NotRequired}
        hints = {key: get_args(hint)[0] if key not in required else hint for key, hint in hints.items()}
        extra = sorted(value.keys() - hints.keys()) if self.exact else []
        absent = sorted(required - value.keys())
        self.problems += [f"{where}：JSON 中有读模型 {model.__name__} 未声明的键 {k}" for k in extra]
        self.problems += [f"{where}：JSON 缺少读模型 {model.__name__} 必有的键 {k}" for k in absent]
        self.seen[model] |= value.keys()
        for key, hint in hints.items():
            if value.get(key) is not None:
                self.value(hint, value[key], f"{where}.{key}")

    def value(self, hint: Any, value: Any, where: str) -> None:
        """Check ``value`` if its type (``hint``) is a read model or a list of them."""
        hint = _without_none(hint)
        if is_typeddict(hint):
            self.check(hint, value, where)
        elif get_origin(hint) is list and is_typeddict(get_args(hint)[0]):
            for index, element in enumerate(value):
                self.check(get_args(hint)[0], element, f"{where}[{index}]")

    def unseen(self) -> list[str]:
        """Declared keys no JSON object had (besides those only the pages add)."""
        return sorted(f"{model.__name__}.{key}" for model, keys in self.seen.items()
                      for key in get_type_hints(model).keys() - keys if (model.__name__, key) not in PAGE_ONLY)


def _without_none(hint: Any) -> Any:
    if get_origin(hint) in (Union, types.UnionType):
        others = [a for a in get_args(hint) if a is not type(None)]
        return others[0] if len(others) == 1 else hint
    return hint


def _cases_of_every_kind(api: Any, clock: Any) -> list[dict[str, Any]]:
    """Cases worked far enough that every section of the case detail shows at least once."""
    finished = work(api, work(api, work(api, register(api, "XK-0009"), "window", "approve", "受理"),
                              "reviewer_culture_tourism", "approve", "符合"), "leader_culture_tourism", "approve")
    parallel = accepted(api, ENTERTAINMENT)
    parallel = answer(api, parallel, "fire_rescue", "reject", "疏散通道宽度不足")
    inspected = to_inspection(api, SCHOOL, "reviewer_education")
    for department in ("fire_rescue", "health"):  # two of the joint inspection's findings
        task = next(t for t in inspected["tasks"] if t["department"] == department)
        inspected = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=f"inspector_{department}",
                             json=inspection_body(inspected, task, f"inspector_{department}", "合格", "合格")
                             ).get_json()["case"]
    bundle = work(api, register_bundle(api, BOOK_CAFE), "window", "approve", "受理")
    project = register_project(api, materials=materials_of(api, GOVERNMENT, ("节能报告",)))
    project = complete_project(api, project, project["tasks"][0], "reviewer_development_reform", "approve")
    project = pass_survey(api, project)
    licence = complete_named(api, approved(api), "事后核查", "inspector_site_survey", decision="fail",
                             opinion="仓库面积与承诺不符")
    revocation = api.get(f"/api/v1/cases/{licence['follow_up_cases'][0]['id']}", as_user="window").get_json()
    owed = work(api, register(api, "XK-0001", materials=["M01", "M02", "M03"]), "window", "approve", "容缺受理")
    cases = [finished, parallel, inspected, owed, returned(api, clock), bundle, project, licence, revocation]
    assert {c["kind"] for c in cases} == {"item", "bundle", "project", "revocation"}
    return [api.get(f"/api/v1/cases/{c['id']}", as_user="admin").get_json() for c in cases]


def test_the_case_json_has_exactly_the_keys_of_its_read_model_for_every_kind_of_case(api, clock):
    check = KeyCheck()
    for case in _cases_of_every_kind(api, clock):
        check.check(CaseDetail, case, f"办件 {case['number']}（{case['kind']}）")
    assert not check.problems, "\n".join(check.problems)
    assert not check.unseen(), "声明了却从未出现的键：" + "、".join(check.unseen())


def test_tasks_the_inbox_the_diagram_project_types_and_rule_trials_have_the_keys_of_their_read_models(api):
    check = KeyCheck()
    case = work(api, register(api, "XK-0009"), "window", "approve", "受理")
    task = case["tasks"][0]
    claimed = api.post(f"/api/v1/tasks/{task['id']}/claim", as_user="reviewer_culture_tourism").get_json()
    check.check(TaskView, claimed, "签收的任务")
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", as_user="reviewer_culture_tourism",
                    json={"decision": "approve", "opinion": "符合"}).get_json()
    check.check(TaskView, done["task"], "办结的任务")
    check.check(CaseDetail, done["case"], "办结后的办件")
    for user in ("reviewer_culture_tourism", "leader_culture_tourism"):
        for tab in ("mine", "department", "done"):
            rows = api.get("/api/v1/tasks", as_user=user, query_string={"tab": tab}).get_json()["items"]
            for index, row in enumerate(rows):
                check.check(InboxRow, row, f"{user} 的待办 {tab}[{index}]")
    check.check(DiagramSource, api.get(f"/api/v1/cases/{case['id']}/diagram", as_user="admin").get_json(), "流程图")
    for index, project_type in enumerate(api.get("/api/v1/project-types", as_user="window").get_json()["project_types"]):
        check.check(ProjectTypeView, project_type, f"项目类型[{index}]")
    trial = api.post("/api/v1/rules/inspection/evaluate", as_user="designer", json={"facts": FACTS})
    assert trial.status_code == 200, trial.get_json()
    check.check(DecisionView, trial.get_json(), "规则试算")
    assert not check.problems, "\n".join(check.problems)
    assert not check.unseen(), "声明了却从未出现的键：" + "、".join(check.unseen())
    assert {model.__name__ for model in check.seen} >= {"TaskView", "InboxRow", "InboxCase", "DeadlineBadge",
                                                        "DiagramSource", "ProjectTypeView", "DecisionView"}


class _Lookups(Undefined):
    """Jinja's undefined value, remembering each key a template looked up in a dict and missed."""

    missed: list[tuple[dict[str, Any], str]] = []

    def __init__(self, hint: Any = None, obj: Any = missing, name: Any = None, exc: Any = UndefinedError) -> None:
        super().__init__(hint, obj, name, exc)
        if isinstance(obj, dict) and isinstance(name, str):
            _Lookups.missed.append((obj, name))


#: template variable → its read model
PAGE_MODELS = {**get_type_hints(CasePage), "result": Progress}


def test_the_pages_read_no_key_their_read_models_lack(app, api, clock):
    cases = _cases_of_every_kind(api, clock)
    app.jinja_env.undefined = _Lookups
    _Lookups.missed = []
    check, rendered = KeyCheck(exact=False), []

    def rendered_with(sender: Any, template: Any, context: dict[str, Any], **extra: Any) -> None:
        for key, model in PAGE_MODELS.items():
            if context.get(key) is not None:
                check.value(model, context[key], f"{template.name}：{key}")
        for row in getattr(context.get("page"), "items", []):
            check.check(InboxRow, row, f"{template.name}：待办")
        rendered.append(template.name)

    client, _ = signed_in(app, "admin")
    with template_rendered.connected_to(rendered_with, app):
        for case in cases:
            for path in (f"/cases/{case['id']}", f"/cases/{case['id']}/receipt",
                         *(f"/tasks/{t['id']}" for t in case["tasks"])):
                assert client.get(path).status_code == 200, path
        for user in ("reviewer_culture_tourism", "leader_culture_tourism", "window"):
            reader, _ = signed_in(app, user)
            for tab in ("mine", "department", "done"):
                assert reader.get(f"/?tab={tab}").status_code == 200
        for case in (cases[0], cases[5], cases[6]):  # an item, a bundle and a project
            public = app.test_client()
            found = public.post("/progress", data={"csrf_token": csrf(public, "/progress"),
                                                   "number": case["number"], "code": case["query_code"]})
            assert found.status_code == 200
    assert {"case.html", "task.html", "receipt.html", "inbox.html", "progress.html"} <= set(rendered)
    assert not check.problems, "\n".join(check.problems)
    unknown = sorted({f"{check.models[id(obj)].__name__}.{name}" for obj, name in _Lookups.missed
                      if id(obj) in check.models and name not in get_type_hints(check.models[id(obj)])})
    assert not unknown, "模板读取了读模型未声明的键：" + "、".join(unknown)
