"""Property-based fuzzing of every operation of the OpenAPI document, through the WSGI app.

Schemathesis generates requests from ``/api/v1/openapi.json``, valid ones and ones that break the
document on purpose, and sends them in-process (no server) with the Bearer token of a demo user
of a role drawn for each request. Path ids are drawn now and then from the rows that exist, so
requests also reach the handlers' work and not only their 404s. Any 5xx is a bug; responses are
also checked against the document (status code, content type, body schema).

Used by ``tests/api/test_api_fuzzing.py`` (a short run on each database) and
``scripts/fuzz_api.py`` (a longer one).
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.persistence.models import Case, ProcessModel, TaskRecord, User

#: demo users fuzzed as: the window, a reviewer, a designer, an auditor and the administrator
ROLES = ("window", "reviewer_market", "designer", "auditor", "admin")
CONFORMANCE = (status_code_conformance, content_type_conformance, response_schema_conformance)
SHOWN = 300


@dataclass
class FuzzReport:
    operations: int = 0
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # "POST /api/v1/cases 201" → count
    samples: dict[str, str] = field(default_factory=dict)  # the first request and answer of each

    @property
    def summary(self) -> str:
        return f"operations={self.operations} requests={self.requests} failures_5xx={len(self.server_errors)}"


def prepare(app: Any, password: str) -> tuple[dict[str, str], dict[str, list[Any]]]:
    """Tokens of the fuzzing users, and a few real cases and tasks for the path ids to hit."""
    client = app.test_client()
    tokens = {}
    for username in ROLES:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_data(as_text=True)
        tokens[username] = response.get_json()["token"]
    window = {"Authorization": f"Bearer {tokens['window']}"}
    for item, materials in (("XK-0001", ["M01", "M02", "M03", "M04", "M05"]), ("XK-0002", ["M01", "M02"])):
        client.post("/api/v1/cases", headers=window, json={
            "item_code": item, "applicant": {"name": "模糊测试申请人"}, "materials": materials})
    return tokens, known_ids(app)


def known_ids(app: Any) -> dict[str, Any]:
    """Ids of rows that exist, and the catalogue's item and material codes."""
    ext = app.extensions["oneseal"]
    items = ext.runtime.catalogue.items
    with ext.db.session(write=False) as session:
        return {"materials_of": {code: [m.code for m in item.materials] for code, item in items.items()},
                "material": sorted({m.code for item in items.values() for m in item.materials}),
                "username": list(session.scalars(select(User.username).limit(50))),
                "case_id": list(session.scalars(select(Case.id).order_by(Case.id.desc()).limit(20))) or [1],
                "task_id": list(session.scalars(select(TaskRecord.id).order_by(
                    TaskRecord.status != "ready", TaskRecord.created_at.desc()).limit(20))) or ["none"],
                "model_id": list(session.scalars(select(ProcessModel.id).limit(20))) or [1],
                "version": [1, 2]}


def _use_known_values(case: Any, known: dict[str, Any], data: Any) -> None:
    """Now and then, real ids in the path and real codes in the body, so that requests get past
    the 404s and "unknown item" refusals into the handlers' work."""
    for name in list(case.path_parameters or {}):
        if name in known and data.draw(st.booleans()):
            case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
    body = case.body
    if not isinstance(body, dict) or not data.draw(st.booleans()):
        return
    if "item_code" in body or "bundle_code" in body or "applicant" in body:
        body.pop("bundle_code", None)
        body["item_code"] = data.draw(st.sampled_from(sorted(known["materials_of"])))
        codes = known["materials_of"][body["item_code"]]
        body["materials"] = data.draw(st.lists(st.sampled_from(codes), unique=True)) if codes else []
    elif "materials" in body:
        body["materials"] = data.draw(st.lists(st.sampled_from(known["material"]), unique=True, max_size=4))
    if "decision" in body:
        body["decision"] = data.draw(st.sampled_from(["approve", "reject", "return"]))
    if "to" in body:
        body["to"] = data.draw(st.sampled_from(known["username"]))


def _describe(case: Any, response: Any) -> str:
    body = case.body if not isinstance(case.body, bytes | str) else str(case.body)[:SHOWN]
    return (f"{case.method} {case.formatted_path} query={case.query} headers={case.headers} body={body!r:.{SHOWN}} "
            f"→ {response.status_code} {_answer(response)}")


def _answer(response: Any) -> str:
    """The start of the answer's text, or what a binary answer (a workbook) is."""
    try:
        return response.text[:SHOWN]
    except UnicodeDecodeError:
        return f"<{len(response.content)} bytes of {response.headers.get('content-type')}>"


def _titles(failure: Failure | FailureGroup) -> str:
    failures = failure.exceptions if isinstance(failure, FailureGroup) else (failure,)
    return "; ".join(f"{f.title}: {f.message[:SHOWN]}" for f in failures)


def fuzz(app: Any, tokens: dict[str, str], known: dict[str, Any], *, examples: int,
         run_seed: int = 0, conformance: bool = True,
         keep_going: Callable[[], bool] = lambda: True) -> FuzzReport:
    """One pass over every operation, ``examples`` generated requests each (at most)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.location = None  # schemathesis leaves out the route it read the document from: fuzz it too
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()
        report.operations += 1
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @seed(run_seed)
        @settings(max_examples=examples, deadline=None, database=None, verbosity=Verbosity.quiet,
                  phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
        @given(case=strategy, role=st.sampled_from(sorted(tokens)), data=st.data())
        def exercise(case: Any, role: str, data: Any) -> None:
            _use_known_values(case, known, data)
            if not keep_going():  # after the draws: an example draws the same whether it is sent or not
                return  # (Hypothesis refuses a strategy whose draws change from one run to the next)
            response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
            report.requests += 1
            outcome = f"{operation.label} {response.status_code}"
            report.statuses[outcome] += 1
            report.samples.setdefault(outcome, _describe(case, response))
            if response.status_code >= 500:
                report.server_errors.append(_describe(case, response))
            elif conformance:
                try:
                    case.validate_response(response, checks=list(CONFORMANCE))
                except (Failure, FailureGroup) as failure:
                    report.nonconforming.append(f"{_describe(case, response)}\n    {_titles(failure)}")

        exercise()
    return report


def fuzz_for(app: Any, password: str, *, seconds: float, examples: int, first_seed: int = 0,
             conformance: bool = True) -> FuzzReport:
    """Passes with new seeds until ``seconds`` have gone by (at least one pass)."""
    tokens, known = prepare(app, password)
    stop = time.monotonic() + seconds
    total = FuzzReport()
    run_seed = first_seed
    while True:
        report = fuzz(app, tokens, known, examples=examples, run_seed=run_seed, conformance=conformance,
                      keep_going=lambda: time.monotonic() < stop or run_seed == first_seed)
        total.operations = max(total.operations, report.operations)
        total.requests += report.requests
        total.server_errors += report.server_errors
        total.nonconforming += report.nonconforming
        total.statuses += report.statuses
        total.samples = {**report.samples, **total.samples}
        run_seed += 1
        known = known_ids(app)
        if time.monotonic() >= stop:
            return total
