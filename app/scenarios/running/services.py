"""What a scenario's steps work with: the bureau's services on one database, with its catalogue,
rules, working-day calendar and clock, and its JSON API for the rules that live at the edge."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.domain.bureau.catalogue import Catalogue
from app.persistence.cases import tasks as task_queries
from app.persistence.models import TaskRecord
from app.scenarios.running.expect import ExpectationFailed, expect
from app.services.access.auth import actor_for_username
from app.services.actor import Actor
from app.services.reading.case_views import CaseDetail, case_detail
from app.services.runtime import Runtime

T = TypeVar("T")


@dataclass(frozen=True)
class ApiResponse:
    """What the JSON API answered: the HTTP status and the decoded body."""

    status: int
    body: Any


class ScenarioServices:
    """The application a scenario runs against (one app, one database). Each step is an edge of
    its own, like a request or a CLI command: what it changes is committed when it returns."""

    def __init__(self, app: Any) -> None:
        ext = app.extensions["oneseal"]
        self.app = app
        self.db = ext.db
        self.runtime: Runtime = ext.runtime
        #: what a subject's steps keep between the steps of one scenario (e.g. the simulated
        #: supervising departments of the supervision push)
        self.state: dict[str, Any] = {}

    @property
    def catalogue(self) -> Catalogue:
        return self.runtime.catalogue

    def run(self, action: Callable[[Session, Runtime], T]) -> T:
        """``action`` in one write transaction, committed on success, rolled back on an error."""
        with self.db.unit_of_work() as session:
            return action(session, self.runtime)

    def read(self, query: Callable[[Session], T]) -> T:
        with self.db.session(write=False) as session:
            return query(session)

    def actor(self, username: str) -> Actor:
        actor = self.read(lambda session: actor_for_username(session, username))
        expect(actor is not None, f"没有用户“{username}”")
        return actor  # type: ignore[return-value]

    def detail(self, case_id: int | None) -> CaseDetail:
        """The case as the window sees it (status, tasks, history, time limit, sections)."""
        if case_id is None:
            raise ExpectationFailed("场景中还没有办件：请先用“假如”步骤登记一件办件")
        window = self.actor("window")
        return self.run(lambda session, runtime: case_detail(session, runtime, window, case_id))

    def ready_tasks(self, case_id: int | None, step: str | None = None) -> list[TaskRecord]:
        """The case's open tasks (of ``step`` only, when given), in the order they were created."""
        if case_id is None:
            raise ExpectationFailed("场景中还没有办件：请先用“假如”步骤登记一件办件")
        tasks = self.read(lambda session: task_queries.ready_tasks_of_case(session, case_id))
        return [t for t in tasks if step is None or t.name == step]

    def set_time(self, moment: datetime) -> None:
        """Move the bureau's clock (only a scenario's own clock can be moved)."""
        set_clock = getattr(self.runtime.clock, "set", None)
        expect(set_clock is not None, "此环境的时钟不能拨动：场景须在自己的数据库和时钟上运行")
        set_clock(moment)  # type: ignore[misc]

    def api(self, username: str, path: str, body: dict[str, Any]) -> ApiResponse:
        """POST ``body`` to the JSON API as ``username`` (signed in with the demo password)."""
        client = self.app.test_client()
        password = self.runtime.settings.demo_password
        login = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        expect(login.status_code == 200, f"预期“{username}”能登录，实际：{login.get_json()}")
        token = login.get_json()["token"]
        response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        return ApiResponse(response.status_code, response.get_json())
