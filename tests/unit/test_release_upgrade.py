"""A bureau upgrades with cases in flight: the database of the release before migrations
(``tests/fixtures/release_2``, commit 0e509ab, cases in every state) is upgraded by ``init-db``,
passes every check, and each of its open cases is then worked to its end on this release.

From now on every schema change comes with its migration and a fixture like this one (see the
README, "Upgrading").
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app import create_app
from app.cli import main
from app.config import Settings
from app.domain.cases.status import CaseStatus
from app.domain.timing.clock import BUREAU_ZONE, FixedClock
from app.persistence.engine.migrate import FIRST_REVISION, head_revision, upgrade
from app.worker import Worker
from tests.support.api import PASSWORD, ApiClient
from tests.support.database import BASE_URL
from tests.support.release_fixture import RELEASE_2, cases_of, load_release
from tests.support.release_steps import answer_for
from tests.support.schema import scratch_database

#: the fixture's last moment was 2026-03-13; the bureau upgrades on the Monday after
UPGRADED_ON = datetime(2026, 3, 16, 9, 30, tzinfo=BUREAU_ZONE)


@pytest.fixture
def release_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The release's database: its schema (migration 0001, exactly that release's), its rows."""
    with scratch_database(BASE_URL, tmp_path) as url:
        upgrade(url, FIRST_REVISION)
        assert load_release(url, RELEASE_2) > 400
        monkeypatch.setenv("ONESEAL_DATABASE_URL", url)
        monkeypatch.setenv("ONESEAL_INSTANCE_DIR", str(tmp_path / "instance"))
        yield url


def oneseal(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def checks_pass() -> None:
    for command, said in ((("db", "check"), "数据库结构与模型一致"), (("audit", "verify"), "审计链完整"),
                          (("check", "cases"), "流程状态与待办一致")):
        result = oneseal(*command)
        assert result.exit_code == 0 and said in result.output, (command, result.output)


class Bureau:
    """This release's API on the upgraded database, with a clock the test moves."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        settings = Settings.load(database_url=url, instance_dir=tmp_path / "instance",
                                 reports_dir=tmp_path / "reports", secret_key="test-secret",
                                 password_method="pbkdf2:sha256:1000", demo_password=PASSWORD, testing=True)
        self.clock = FixedClock(UPGRADED_ON.astimezone(UTC), step=timedelta(seconds=1))
        self.app = create_app(settings, clock=self.clock, warm=False)
        self.ext = self.app.extensions["oneseal"]
        self.api = ApiClient(self.app.test_client())

    def move(self, by: timedelta) -> None:
        self.clock.set(self.clock.now() + by)
        self.api.tokens.clear()  # a token lives 12 hours

    def case(self, case_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/cases/{case_id}", as_user="window")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def complete(self, case: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
        user = task["claimed_by"] or task["candidates"][0]  # a claimed step is its holder's
        response = self.api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user, json=answer_for(case, task))
        assert response.status_code == 200, (case["number"], task["element_id"], response.get_json())
        return response.get_json()["case"]

    def finish(self, case_ids: set[int], limit: int = 400) -> set[int]:
        """Work every open step of these cases, and of the cases they open, until none is left."""
        seen = set(case_ids)
        for _ in range(limit):
            pending = [c for c in map(self.case, sorted(seen)) if c["tasks"]]
            if not pending:
                return seen
            case = pending[0]
            case = self.complete(case, case["tasks"][0])
            seen |= {f["id"] for f in case.get("follow_up_cases") or []}
        raise AssertionError("cases still open after the step limit")


def test_the_release_database_is_made_by_migration_0001(release_2):
    result = oneseal("db", "current")
    assert result.exit_code == 0 and f"当前版本：{FIRST_REVISION}；最新版本：{head_revision()}" in result.output
    result = oneseal("db", "check")
    assert result.exit_code == 1 and "web_sessions" in result.output


def test_a_database_of_release_2_upgrades_and_every_case_in_it_is_finished(release_2, tmp_path):
    result = oneseal("init-db")
    assert result.exit_code == 0, result.output
    assert f"{FIRST_REVISION} → {head_revision()}" in result.output
    checks_pass()

    bureau = Bureau(release_2, tmp_path)
    recorded = {c["label"]: c for c in cases_of(RELEASE_2)}
    for label, recorded_case in recorded.items():  # this release reads each case as the last one left it
        case = bureau.case(recorded_case["id"])
        assert (case["number"], case["status"]) == (recorded_case["number"], recorded_case["status"]), label
        assert sorted(f"{t['element_id']}:{t['department']}" for t in case["tasks"]) == recorded_case["open_steps"]

    # the applicant brings the missing material; the other one never does
    returned = bureau.case(recorded["待补正（将补正）"]["id"])
    returned = bureau.complete(returned, returned["tasks"][0])
    assert returned["status"] == "in_review" and returned["notices"][0]["resolved_at"] is not None
    bureau.move(timedelta(days=31))
    report = Worker(bureau.ext.db, bureau.ext.runtime).run_pass()
    assert report.timers == 1 and report.failures == 0, report
    lapsed = bureau.case(recorded["待补正（将逾期视为撤回）"]["id"])
    assert (lapsed["status"], lapsed["result"], lapsed["tasks"]) == ("completed", "withdrawn", [])

    finished = bureau.finish({c["id"] for c in recorded.values()})
    assert len(finished) > len(recorded) - 1  # the open revocation's parent is in the fixture too
    for case_id in finished:
        case = bureau.case(case_id)
        assert CaseStatus(case["status"]).is_final and not case["tasks"], (case["number"], case["status"], [
            (h["action"], h.get("description")) for h in case["history"]][-12:])
    project = bureau.case(recorded["工程建设项目（第二阶段）"]["id"])
    assert project["result"] == "approved" and [s["status"] for s in project["project"]["stages"]] == ["passed"] * 4
    bundle = bureau.case(recorded["一件事（一项已决定）"]["id"])
    assert {i["result"] for i in bundle["items"]} == {"approved"}
    bureau.ext.db.dispose()
    checks_pass()


def test_an_unversioned_database_of_release_2_is_adopted_with_its_data(release_2):
    from sqlalchemy import create_engine, text

    engine = create_engine(release_2)  # as that release left it: no record of migrations at all
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    result = oneseal("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "已记为迁移版本 0001" in result.output and f"空库 → {head_revision()}" not in result.output
    checks_pass()
