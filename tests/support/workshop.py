"""The auditors' scenario workshop in tests: scenario texts, and starting and reading runs."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.persistence.models import Base

#: a scenario of 承诺件标准流程 that passes on the shipped diagrams
PASSING = """# language: zh-CN
@流程:standard_promised
功能: 承诺件受理后进入审查
  场景: 受理后由审查股室审查
    假如综合窗口收到“张三餐饮店”申请“食品经营许可”的全部材料
    当“window”在“受理”环节作出“受理”决定，意见为“材料齐全，予以受理”
    那么办件状态为“审查中”
    而且当前待办环节为“审查”，由“审查股室”办理
"""
#: the same with a deliberately wrong expectation (the status after acceptance)
FAILING = PASSING.replace("那么办件状态为“审查中”", "那么办件状态为“已办结”")
#: the scenario runs in the sandbox, and returns to the auditors' library
WORKSHOP_TABLES = {"scenario_documents", "scenario_revisions", "scenario_runs", "scenario_run_results"}


def counts(ext: Any) -> dict[str, int]:
    """Rows of every table of the service's database."""
    with ext.db.session(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def run(api: Any, body: dict[str, Any], as_user: str = "auditor") -> dict[str, Any]:
    """Start a run (executed at once in tests: the inline queue) and read it back."""
    started = api.post("/api/v1/scenario-runs", as_user=as_user, json=body)
    assert started.status_code == 202, started.get_json()
    answer = api.get(f"/api/v1/scenario-runs/{started.get_json()['id']}", as_user=as_user)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def save(api: Any, name: str, text: str, as_user: str = "auditor", **more: Any) -> dict[str, Any]:
    response = api.post("/api/v1/scenarios", as_user=as_user, json={"name": name, "text": text, **more})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def failed_step(result: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in result["steps"] if s["status"] == "failed")
