"""Simulate construction projects (工程建设项目) through the service layer and report the figures
the issue asks for: working days per stage against the stage limits, the size of the workflow
per stage (tasks and saved state), and the time of every step.

Usage: python scripts/simulate_projects.py [--projects N] [--seed S] [--db-dir DIR] [--no-naive]

N government and N enterprise projects (``data/projects.toml``: about eight departments per
stage) are registered on a fresh SQLite database (WAL, the service's own settings) with the
shipped diagrams, catalogue, rules and working-day calendar. A discrete-event simulation on a
controllable clock moves them: every ready task is worked by its own department after a random
delay in working days (items in parallel, each on its own), the applicant takes a few weeks to
prepare each next stage and brings the secondary materials left out before (容缺后补), a joint
survey sometimes asks for rectification (限期整改, the clock stops). Every decision approves.

A step is one engine step through the services, in one committed unit of work: the project's
registration, or one task completion (``complete_task``; claiming is its own unit of work and
not timed). Like ``oneseal serve`` after start-up, the script freezes what the set-up built out of
the garbage collector's reach (``gc.freeze``), so full collections do not pause a step. After each step the case's saved state is measured: tasks in the workflow (the top
process and every called process) and its size. The last line is
``projects=<n> max_state_kb=<n> max_step_ms=<n>``.

For comparison (unless ``--no-naive``), the same four stages modelled naively — a parallel
gateway with 8 explicit branches per stage, chained — are started on the engine alone: the task
count and state size SpiffWorkflow gives them, and the time of one step.
"""
from __future__ import annotations

import argparse
import gc
import heapq
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.domain.cases.kinds import TaskStatus  # noqa: E402
from app.domain.timing.clock import BUREAU_ZONE, FixedClock, local_date  # noqa: E402
from app.persistence.cases import tasks as task_queries  # noqa: E402
from app.persistence.cases.rows import get_case  # noqa: E402
from app.persistence.engine.db import Database  # noqa: E402
from app.persistence.models import WorkflowState  # noqa: E402
from app.services.actor import SYSTEM, Actor  # noqa: E402
from app.services.access.auth import actor_for_username  # noqa: E402
from app.services.decisions import build_evaluator  # noqa: E402
from app.services.demo import load_demo  # noqa: E402
from app.services.intake.application import Application  # noqa: E402
from app.services.intake.registration import register_case  # noqa: E402
from app.services.intake.materials import receive_materials  # noqa: E402
from app.services.processes.modeler import deploy_shipped  # noqa: E402
from app.services.reading.project_views import project_view  # noqa: E402
from app.services.casework.claims import claim_task  # noqa: E402
from app.services.casework.completion import Completion, complete_task  # noqa: E402
from app.workflow.definitions import DefinitionCatalogue, Document  # noqa: E402
from app.workflow.engine import WorkflowEngine  # noqa: E402

START = date(2026, 3, 2)
TYPES = {"GCXM-ZF": "政府投资", "GCXM-QY": "企业投资"}


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    case_id: int | None = field(compare=False, default=None)
    payload: Any = field(compare=False, default=None)


@dataclass
class Step:
    ms: float
    stage: int | None
    tasks: int
    state_bytes: int


class Simulation:
    def __init__(self, db_dir: Path, seed: int) -> None:
        url = f"sqlite:///{db_dir / 'simulate_projects.db'}"
        Database(url).create_schema()
        # no certificate templates: the figures are the workflow's (signing is measured by
        # scripts/bench_certificates.py)
        settings = Settings.load(database_url=url, instance_dir=db_dir / "instance", secret_key="simulate",
                                 password_method="pbkdf2:sha256:1000", demo_password="simulate",
                                 certificates_file=db_dir / "no-certificates.toml")
        self.clock = FixedClock(datetime.combine(START, day_time(9), tzinfo=BUREAU_ZONE))
        app = create_app(settings, clock=self.clock, warm=False)
        self.ext = app.extensions["oneseal"]
        self.runtime = self.ext.runtime
        self.calendar = self.runtime.calendar
        with self.ext.db.unit_of_work() as session:
            deploy_shipped(session, self.runtime, SYSTEM)
            load_demo(session, self.runtime, "simulate", with_cases=False)
        self.rng = random.Random(seed)
        self.queue: list[Event] = []
        self.seq = 0
        self.scheduled: set[str] = set()
        self.actors: dict[str, Actor] = {}
        self.steps: list[Step] = []
        self.stage_of: dict[int, int] = {}
        self.cases: dict[int, str] = {}
        self.final: dict[int, Step] = {}

    # -- time -------------------------------------------------------------------
    def moment(self, after: datetime, working_days: int) -> datetime:
        """A random moment of the working day ``working_days`` after ``after`` (not before it)."""
        day = self.calendar.add_working_days(local_date(after), working_days).date if working_days \
            else local_date(after)
        minutes = self.rng.randint(0, 8 * 60)
        at = datetime.combine(day, day_time(9), tzinfo=BUREAU_ZONE) + _minutes(minutes)
        return at if at > after else after + _minutes(self.rng.randint(5, 90))

    def push(self, at: datetime, kind: str, case_id: int | None = None, payload: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.queue, Event(at, self.seq, kind, case_id, payload))

    # -- units of work --------------------------------------------------------------
    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            with self.ext.db.unit_of_work() as session:
                found = actor_for_username(session, username)
            assert found is not None, username
            self.actors[username] = found
        return self.actors[username]

    def measure(self, case_id: int, started: float, stage: int | None) -> None:
        ms = (time.perf_counter() - started) * 1000
        with self.ext.db.unit_of_work() as session:
            saved = session.get(WorkflowState, case_id)
            state = json.loads(saved.state)
            size = len(saved.state.encode("utf-8"))
        tasks = len(state["tasks"]) + sum(len(s["tasks"]) for s in state["subprocesses"].values())
        step = Step(ms, stage, tasks, size)
        self.steps.append(step)
        self.final[case_id] = step

    def register(self, code: str) -> None:
        project_type = self.runtime.catalogue.projects[code]
        secondary = [m.code for m in project_type.stage(1).materials if not m.main]
        left_out = set(self.rng.sample(secondary, self.rng.randint(0, min(2, len(secondary)))))
        materials = [m.code for m in project_type.materials if m.code not in left_out]
        number = len(self.cases) + 1
        application = Application(code, {"name": f"建设单位{number:02d}"}, materials, {},
                                  {"name": f"模拟项目{number:02d}", "location": "县城新区"})
        window = self.actor("window")
        started = time.perf_counter()
        with self.ext.db.unit_of_work() as session:
            case_id = register_case(session, self.runtime, window, application).id
        self.measure(case_id, started, 1)
        self.cases[case_id] = code
        self.stage_of[case_id] = 1
        self.schedule(case_id)

    def schedule(self, case_id: int) -> None:
        with self.ext.db.unit_of_work() as session:
            ready = task_queries.ready_tasks_of_case(session, case_id)
        now = self.clock.now()
        limits = self.runtime.catalogue.projects[self.cases[case_id]].limits
        for task in ready:
            if task.id in self.scheduled:
                continue
            self.scheduled.add(task.id)
            stage = task.project_stage or self.stage_of[case_id]
            if task.element_id in ("accept_stage", "accept_completion") and stage > 1:
                delay = self.rng.randint(5, 30)  # the applicant prepares the next stage
            elif task.element_id in ("review_stage_items", "joint_acceptance"):
                delay = self.rng.randint(0, max(1, limits[stage - 1] * 2 // 3))
            elif task.element_id == "reinspect_after_rectification":
                delay = self.rng.randint(2, 5)  # the applicant rectifies: the clock stands still
            else:
                delay = self.rng.randint(0, 1)
            self.push(self.moment(now, delay), "task", case_id, task)

    def work(self, case_id: int, task: Any) -> None:
        with self.ext.db.unit_of_work() as session:
            row = session.get(type(task), task.id)
            if row is None or row.status != TaskStatus.READY:
                return
        if task.element_id in ("accept_stage", "accept_completion"):
            self.bring_owed_materials(case_id)
            self.stage_of[case_id] = task.project_stage
        decision, data = self.answer(task)
        username = "window" if task.role == "window" else f"{task.role}_{task.department}"
        if task.element_id in ("inspect_jointly", "reinspect_after_rectification"):  # on site: two inspectors, a day
            data = {**data, "inspected_on": local_date(self.runtime.clock.now()).isoformat(),
                    "second_inspector": f"inspector2_{task.department}"}
        actor = self.actor(username)
        with self.ext.db.unit_of_work() as session:
            claim_task(session, self.runtime, actor, task.id)
        started = time.perf_counter()
        with self.ext.db.unit_of_work() as session:
            complete_task(session, self.runtime, actor, task.id,
                          Completion(decision=decision, opinion="符合要求，同意", data=data))
        self.measure(case_id, started, task.project_stage or self.stage_of[case_id])
        self.schedule(case_id)

    def answer(self, task: Any) -> tuple[str | None, dict[str, Any]]:
        element = task.element_id
        if element == "inspect_jointly" or element == "reinspect_after_rectification":
            return None, {"finding": "合格"}
        if element == "conclude_joint_inspection":
            return None, {"finding": "限期整改" if self.rng.random() < 0.1 else "合格"}
        if element == "issue_result":
            return None, {"delivery": "窗口领取"}
        if element in ("review_stage_items", "issue_acceptance"):
            return "approve", {"scope": f"范围-{task.id[:8]}"}
        return "approve", {}

    def bring_owed_materials(self, case_id: int) -> None:
        """The applicant comes for the next stage with the materials left out before."""
        with self.ext.db.unit_of_work() as session:
            case = get_case(session, case_id)
            project_type = self.runtime.catalogue.projects[case.item_code]
            missing = [m.code for m in project_type.materials if m.code not in case.materials]
            if missing:
                receive_materials(session, self.runtime, self.actor("window"), case_id, missing)

    def run(self, per_type: int) -> None:
        gc.collect()
        gc.freeze()  # as ``oneseal serve`` does once it has started (see app/cli.py)
        for code in TYPES:
            for _ in range(per_type):
                offset = self.rng.randint(0, 20)
                self.push(self.moment(datetime.combine(START, day_time(8), tzinfo=BUREAU_ZONE), offset),
                          "register", payload=code)
        while self.queue:
            event = heapq.heappop(self.queue)
            self.clock.set(event.at)
            if event.kind == "register":
                self.register(event.payload)
            else:
                self.work(event.case_id, event.payload)

    def stage_days(self) -> dict[int, list[dict[str, Any]]]:
        """Each project's stages as the case view shows them (days used, overdue)."""
        found = {}
        with self.ext.db.unit_of_work() as session:
            for case_id in self.cases:
                case = get_case(session, case_id)
                assert case.status == "completed" and case.result == "approved", (case.number, case.status)
                found[case_id] = project_view(session, self.runtime, case)["stages"]
        return found


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def naive_side_by_side(stages: int = 4, branches: int = 8) -> tuple[int, int, float]:
    """The same four stages as chained parallel gateways with explicit branches: tasks, bytes, step ms."""
    nodes = ['<bpmn:startEvent id="start" />', '<bpmn:endEvent id="end" />']
    flows, previous = [], "start"
    for stage in range(1, stages + 1):
        split, join = f"split_{stage}", f"join_{stage}"
        nodes += [f'<bpmn:parallelGateway id="{split}" />', f'<bpmn:parallelGateway id="{join}" />']
        flows.append((previous, split))
        for branch in range(1, branches + 1):
            review = f"review_{stage}_{branch}"
            nodes.append(f'<bpmn:userTask id="{review}" name="并联审批" />')
            flows += [(split, review), (review, join)]
        previous = join
    flows.append((previous, "end"))
    text = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="naive" targetNamespace="t">'
            '<bpmn:process id="naive_project" isExecutable="true">' + "".join(nodes)
            + "".join(f'<bpmn:sequenceFlow id="flow_{i}" sourceRef="{a}" targetRef="{b}" />'
                      for i, (a, b) in enumerate(flows)) + "</bpmn:process></bpmn:definitions>")
    evaluator = build_evaluator(None)[0]
    definition = DefinitionCatalogue(evaluator).compile([Document("naive.bpmn", text.encode())], "naive_project")
    engine = WorkflowEngine(evaluator, lambda: datetime.now(UTC))
    run = engine.start(definition, {"project": "naive"})
    saved = run.save()
    tasks = len(run._workflow.tasks)
    started = time.perf_counter()
    step = engine.restore(definition, saved)
    step.complete(step.ready_tasks()[0].id, {})
    step.save()
    return tasks, len(saved.state.encode("utf-8")), (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5, help="projects of each type (default 5)")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite file goes (default: a temp dir)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive side-by-side")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="oneseal-projects-") as tmp:
        db_dir = args.db_dir or Path(tmp)
        db_dir.mkdir(parents=True, exist_ok=True)
        (db_dir / "simulate_projects.db").unlink(missing_ok=True)
        simulation = Simulation(db_dir, args.seed)
        simulation.run(args.projects)
        days = simulation.stage_days()

    catalogue = simulation.runtime.catalogue
    total = len(simulation.cases)
    print(f"{args.projects} government and {args.projects} enterprise projects, seed {args.seed}, "
          f"SQLite WAL, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("\nworking days per stage against the stage limit (used: mean / max; overdue projects)")
    for code, label in TYPES.items():
        project_type = catalogue.projects[code]
        mine = [stages for case_id, stages in days.items() if simulation.cases[case_id] == code]
        for stage in project_type.stages:
            views = [stages[stage.number - 1] for stages in mine]
            used = [v["working_days_used"] for v in views]
            print(f"  {label} {stage.number} {stage.name:<8}  limit {project_type.limit(stage.number):>2}  "
                  f"used {statistics.fmean(used):5.1f} / {max(used):>2}  "
                  f"overdue {sum(v['overdue'] for v in views)}/{len(views)}")
        sums = [sum(v["working_days_used"] for v in stages) for stages in mine]
        print(f"  {label} whole project      limit {project_type.promised_limit:>2}  "
              f"used {statistics.fmean(sums):5.1f} / {max(sums):>2}")

    print("\nworkflow per stage (largest over all projects; tasks in the top process and every called one)")
    names = {s.number: s.name for s in catalogue.projects["GCXM-ZF"].stages}
    by_stage: dict[int, list[Step]] = defaultdict(list)
    for step in simulation.steps:
        by_stage[step.stage or 0].append(step)
    for number in sorted(by_stage):
        steps = by_stage[number]
        print(f"  stage {number} {names.get(number, ''):<8}  tasks {max(s.tasks for s in steps):>4}  "
              f"state {max(s.state_bytes for s in steps) / 1024:5.1f} KB  "
              f"steps {len(steps):>4}  slowest {max(s.ms for s in steps):5.1f} ms")
    finals = list(simulation.final.values())
    print(f"  finished projects     tasks {max(s.tasks for s in finals):>4}  "
          f"state {max(s.state_bytes for s in finals) / 1024:5.1f} KB")

    times = sorted(s.ms for s in simulation.steps)
    p99 = times[max(0, round(0.99 * len(times)) - 1)]
    print(f"\n{len(times)} steps: mean {statistics.fmean(times):.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms")
    if not args.no_naive:
        tasks, size, ms = naive_side_by_side()
        ours = max(s.tasks for s in finals)
        print(f"naive model (4 chained parallel gateways x 8 branches), engine only: {tasks} tasks and "
              f"{size / 1e6:.1f} MB of state at start, one step {ms:.0f} ms "
              f"(this model: at most {ours} tasks)")
    max_kb = max(s.state_bytes for s in simulation.steps) / 1024
    print(f"projects={total} max_state_kb={max_kb:.0f} max_step_ms={times[-1]:.0f}")


if __name__ == "__main__":
    main()
