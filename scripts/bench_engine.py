"""Measure task completions through the service layer against SpiffWorkflow's default usage.

Usage: python scripts/bench_engine.py [--cases N] [--db-dir DIR] [--seed S] [--warmup W]
                                     [--baseline-first] [--profile]

Both sides run the standard promised-item flow (processes/standard_promised.bpmn:
受理 → 审查 → 决定 → 制证 → 出件) on their own SQLite file in WAL mode, opened with the same
engine settings (``app.persistence.engine.db.Database``: WAL, synchronous=NORMAL, BEGIN IMMEDIATE).

* ours: ``complete_task`` of the service layer, one committed unit of work per completion
  (case lock, checks, restore from the spec-by-reference state, run, projection, audit).
  The claim (``claim_task``, its own unit of work) is NOT in the timed section; it is
  timed separately and printed for information.
  With the service's default settings, the live workflow a step saved stays in the process
  (``app/workflow/instance_cache.py``) and the case's next step takes it instead of
  deserializing, when the stored JSON is exactly what it saved. The "ours-cold" side runs the
  same service with that cache off: every step restores from the JSON.
* baseline: SpiffWorkflow's default usage: ``BpmnWorkflowSerializer`` on the SPIFF_CONFIG
  registry with the spec embedded in the JSON, the default ``PythonScriptEngine``, and one
  ORM row holding the JSON: load row → deserialize_json → run the ready user task →
  do_engine_steps → serialize_json → update row → commit.

Each side runs in a process of its own (its heap and garbage collector its own, frozen after
start-up as ``oneseal serve`` does), so one side's memory never slows another's collections.
All N cases are registered first (untimed), then advanced round-robin one step at a time
(in a seeded random order per round), so each completion runs against a database that
holds all the cases. A few warm-up cases go through the whole flow first on each side.
The sides take turns, 50 completions at a time, the first side rotating from turn to turn
and only one side running at any moment, so load from anything else on the machine falls
on all alike.
An extra "engine only" line times just the workflow part of each side in memory (no
database): ours = restore → complete → save with the spec by reference and the restricted
script engine; baseline = deserialize_json → run → do_engine_steps → serialize_json.
``--profile`` runs our timed completions under cProfile and prints the top functions.
The last line is ``completions_per_s=<n> p99_ms=<n> baseline_ratio=<ours/baseline>``.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import multiprocessing
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Integer, LargeBinary, String, Text, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.config import Settings
from app.persistence.processes import versions as process_versions
from app.persistence.cases import tasks as task_queries
from app.persistence.engine.db import Database
from app.persistence.models import Case, WorkflowState
from app.services.actor import SYSTEM
from app.services.access.auth import actor_for_username
from app.services.demo import load_demo
from app.services.intake.application import Application
from app.services.intake.registration import register_case
from app.services.processes.deployed import compile_version
from app.services.processes.modeler import deploy_shipped
from app.services.runtime import build_runtime
from app.services.casework.claims import claim_task
from app.services.casework.completion import Completion, complete_task

PROCESS_ID = "standard_promised"
ITEM_CODE = "XK-0009"  # 出版物零售业务经营许可: department "culture_tourism", standard flow, no site inspection
#: What register_case puts into a new workflow for this item (the baseline starts with the same).
START_DATA = {"item_code": ITEM_CODE, "item_kind": "promised", "site_inspection": False, "facts": {}}

#: (task name, username, completion) for the five steps, in order.
STEPS: list[tuple[str, str, Completion]] = [
    ("受理", "window", Completion(decision="approve", opinion="材料齐全，予以受理")),
    ("审查", "reviewer_culture_tourism", Completion(decision="approve", opinion="符合条件，建议准予")),
    ("决定", "leader_culture_tourism", Completion(decision="approve", opinion="同意")),
    ("制证", "reviewer_culture_tourism", Completion(data={"scope": "出版物零售"})),
    ("出件", "window", Completion(data={"delivery": "窗口领取"})),
]


@dataclass
class Result:
    label: str
    latencies: list[float] = field(default_factory=list)  # seconds per completion
    state_bytes: list[int] = field(default_factory=list)  # mean saved-state size per round
    elapsed: float = 0.0  # sum of timed sections
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def pct_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[index] * 1000

    def line(self) -> str:
        mean_ms = statistics.fmean(self.latencies) * 1000
        size = statistics.fmean(self.state_bytes) if self.state_bytes else 0
        return (f"{self.label:<9} completions={len(self.latencies)} completions_per_s={self.rate:.1f} "
                f"mean_ms={mean_ms:.2f} p50_ms={self.pct_ms(0.50):.2f} p99_ms={self.pct_ms(0.99):.2f} "
                f"max_ms={max(self.latencies) * 1000:.2f} mean_state_bytes={size:.0f}")


def _orders(ids: list[int], seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    orders = []
    for _ in STEPS:
        order = list(ids)
        rng.shuffle(order)
        orders.append(order)
    return orders


# --------------------------------------------------------------------------- ours


class _EmbeddedSpecSerializer:
    """SpiffWorkflow's default serializer: the whole spec embedded in every saved instance."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

        from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
            DurationTimerEventDefinition,
            TimeDateEventDefinition,
        )

        from app.workflow.timers import ClockDuration, ClockTimeDate

        # our timers read the service clock; embedded in the JSON they are plain timers
        config = {**SPIFF_CONFIG, ClockDuration: SPIFF_CONFIG[DurationTimerEventDefinition],
                  ClockTimeDate: SPIFF_CONFIG[TimeDateEventDefinition]}
        self._inner = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.version = self._inner.VERSION

    def dump(self, workflow: Any) -> str:
        return self._inner.serialize_json(workflow)

    def load(self, state: str, version: str, definition: Any) -> Any:
        return self._inner.deserialize_json(state)


class Ours:
    profiler: cProfile.Profile | None = None
    db_name = "oneseal_bench.db"
    embed_spec = False
    #: live workflows kept between steps (None: the service's default setting)
    workflow_cache: int | None = None

    def __init__(self, db_dir: Path) -> None:
        path = db_dir / self.db_name
        overrides = {} if self.workflow_cache is None else {"workflow_cache": self.workflow_cache}
        # no certificate templates: the engine is measured, not the signature (which
        # scripts/bench_certificates.py measures); the baseline signs nothing either
        self.settings = Settings.load(database_url=f"sqlite:///{path}", instance_dir=db_dir / "instance",
                                      password_method="pbkdf2:sha256:1000", secret_key="bench",
                                      certificates_file=db_dir / "no-certificates.toml", **overrides)
        self.db = Database(self.settings.database_url)
        self.db.create_schema()
        self.runtime = build_runtime(self.settings)
        if self.embed_spec:
            self.runtime.engine.serializer = _EmbeddedSpecSerializer()  # type: ignore[assignment]
        with self.db.unit_of_work() as session:
            deploy_shipped(session, self.runtime, SYSTEM)
            load_demo(session, self.runtime, "bench-password", with_cases=False)
        with self.db.unit_of_work() as session:
            self.actors = {name: actor_for_username(session, name)
                           for name in ("window", "reviewer_culture_tourism", "leader_culture_tourism")}
        item = self.runtime.catalogue.item(ITEM_CODE)
        assert item.process == PROCESS_ID, item.process
        self.materials = [m.code for m in item.materials]

    def register(self, index: int) -> int:
        with self.db.unit_of_work() as session:
            case = register_case(session, self.runtime, self.actors["window"],
                                 Application(ITEM_CODE, {"name": f"基准申请人{index}"}, self.materials))
            return case.id

    def step(self, case_id: int, step: int, claim_times: list[float]) -> float:
        name, username, completion = STEPS[step]
        actor = self.actors[username]
        started = time.perf_counter()
        with self.db.unit_of_work() as session:
            ready = [t for t in task_queries.ready_tasks_of_case(session, case_id) if t.name == name]
            assert ready, f"case {case_id}: no ready task {name}"
            task_id = ready[0].id
            claim_task(session, self.runtime, actor, task_id)
        claim_times.append(time.perf_counter() - started)
        if self.profiler is not None:
            self.profiler.enable()
        started = time.perf_counter()
        with self.db.unit_of_work() as session:
            complete_task(session, self.runtime, actor, task_id, completion)
        elapsed = time.perf_counter() - started
        if self.profiler is not None:
            self.profiler.disable()
        return elapsed

    def mean_state_bytes(self, ids: list[int]) -> float:
        with self.db.unit_of_work() as session:
            return float(session.scalar(
                select(func.avg(func.length(func.cast(WorkflowState.state, _blob()))))
                .where(WorkflowState.case_id.in_(ids))) or 0)

    def engine_only(self, rounds: int) -> list[float]:
        """Per completion: restore → complete → save, in memory."""
        with self.db.unit_of_work() as session:
            definition = compile_version(session, self.runtime, process_versions.latest_version(session, PROCESS_ID))
        engine, latencies = self.runtime.engine, []
        for _ in range(rounds):
            saved = engine.start(definition, START_DATA).save()
            for _name, _user, completion in STEPS:
                data = dict(completion.data)
                if completion.decision:
                    data["decision"] = completion.decision
                started = time.perf_counter()
                run = engine.restore(definition, saved)
                run.complete(run.ready_tasks()[0].id, data)
                saved = run.save()
                latencies.append(time.perf_counter() - started)
            assert run.is_completed
        return latencies

    def check_done(self, ids: list[int]) -> None:
        with self.db.unit_of_work() as session:
            statuses = set(session.scalars(select(Case.status).where(Case.id.in_(ids))))
        assert statuses == {"completed"}, statuses

    def close(self) -> None:
        self.db.dispose()


def _blob() -> LargeBinary:
    return LargeBinary()  # length() of the UTF-8 bytes, not of the characters


# --------------------------------------------------------------------------- baseline


class _BaselineBase(DeclarativeBase):
    pass


class BaselineInstance(_BaselineBase):
    __tablename__ = "baseline_instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(Text)


class Baseline:
    """SpiffWorkflow as its documentation shows it: default serializer, spec in the JSON."""

    profiler: cProfile.Profile | None = None  # never set: only our side is profiled

    def __init__(self, db_dir: Path) -> None:
        self.db = Database(f"sqlite:///{db_dir / 'baseline_bench.db'}")  # same engine settings
        _BaselineBase.metadata.create_all(self.db.write_engine)
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(ROOT / "processes" / f"{PROCESS_ID}.bpmn"))
        parser.add_bpmn_file(str(ROOT / "processes" / "site_inspection.bpmn"))  # the process it calls
        self.spec = parser.get_spec(PROCESS_ID)
        self.subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def register(self, index: int) -> int:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.data.update(START_DATA)
        workflow.task_tree.data.update(START_DATA)  # what the diagram's conditions read
        workflow.do_engine_steps()
        with self.db.unit_of_work() as session:
            row = BaselineInstance(name=f"基准申请人{index}", state=self.serializer.serialize_json(workflow))
            session.add(row)
            session.flush()
            return row.id

    def step(self, instance_id: int, step: int, _claim_times: list[float]) -> float:
        name, _username, completion = STEPS[step]
        data = dict(completion.data)
        if completion.decision:
            data["decision"] = completion.decision
        started = time.perf_counter()
        with self.db.unit_of_work() as session:
            row = session.get(BaselineInstance, instance_id)
            workflow = self.serializer.deserialize_json(row.state)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            assert task.task_spec.bpmn_name == name, (task.task_spec.bpmn_name, name)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            row.state = self.serializer.serialize_json(workflow)
        return time.perf_counter() - started

    def mean_state_bytes(self, ids: list[int]) -> float:
        with self.db.unit_of_work() as session:
            return float(session.scalar(
                select(func.avg(func.length(func.cast(BaselineInstance.state, _blob()))))
                .where(BaselineInstance.id.in_(ids))) or 0)

    def engine_only(self, rounds: int) -> list[float]:
        """Per completion: deserialize_json → run → do_engine_steps → serialize_json, in memory."""
        latencies = []
        for _ in range(rounds):
            workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
            workflow.data.update(START_DATA)
            workflow.task_tree.data.update(START_DATA)
            workflow.do_engine_steps()
            saved = self.serializer.serialize_json(workflow)
            for _name, _user, completion in STEPS:
                data = dict(completion.data)
                if completion.decision:
                    data["decision"] = completion.decision
                started = time.perf_counter()
                workflow = self.serializer.deserialize_json(saved)
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.data.update(data)
                task.run()
                workflow.do_engine_steps()
                saved = self.serializer.serialize_json(workflow)
                latencies.append(time.perf_counter() - started)
            assert workflow.is_completed()
        return latencies

    def check_done(self, ids: list[int]) -> None:
        with self.db.unit_of_work() as session:
            for row in session.scalars(select(BaselineInstance).where(BaselineInstance.id.in_(ids))):
                assert self.serializer.deserialize_json(row.state).is_completed(), row.id

    def close(self) -> None:
        self.db.dispose()


class SameServiceEmbedded(Ours):
    """Our service layer unchanged, but workflows saved the default way (spec embedded)."""

    db_name = "same_service_bench.db"
    embed_spec = True
    workflow_cache = 0  # every step restores from the embedded JSON, as the default usage does


class OursCold(Ours):
    """Our service with no live workflow kept between steps: every step restores from JSON."""

    db_name = "oneseal_cold_bench.db"
    workflow_cache = 0


#: the sides, in their first turn's order
SIDES: dict[str, Callable[[Path], Any]] = {"ours": Ours, "baseline": Baseline, "embedded": SameServiceEmbedded,
                                           "ours-cold": OursCold}


# --------------------------------------------------------------------------- driver


def prepare(side: Any, cases: int, warmup: int) -> list[int]:
    """Warm the side up on a few whole cases, then register the cases to be timed."""
    warm_ids = [side.register(-i - 1) for i in range(warmup)]
    for step in range(len(STEPS)):
        for case_id in warm_ids:
            side.step(case_id, step, [])
    side.check_done(warm_ids)
    return [side.register(i) for i in range(cases)]


#: completions a side runs before the next side takes its turn
SLICE = 50


def _side_process(conn: Any, label: str, db_dir: Path, cases: int, warmup: int, seed: int,
                  profile: bool) -> None:
    """One side in a process of its own: its heap and garbage collector are its own, so one
    side's memory never slows another's collections. It runs what the coordinator asks."""
    side = SIDES[label](db_dir)
    gc.collect()
    gc.freeze()  # as `oneseal serve` does once started: what start-up loaded is never collected again
    ids = prepare(side, cases, warmup)
    orders = _orders(ids, seed)
    profiler = cProfile.Profile() if profile else None
    claims: list[float] = []
    gc.collect()
    conn.send("ready")
    while True:
        command, *args = conn.recv()
        if command == "slice":
            step, start = args
            side.profiler = profiler
            latencies = [side.step(case_id, step, claims) for case_id in orders[step][start:start + SLICE]]
            side.profiler = None
            conn.send(latencies)
        elif command == "state_bytes":
            conn.send(side.mean_state_bytes(ids))
        else:  # finish
            side.check_done(ids)
            engine = side.engine_only(max(20, cases // 5))
            report = ""
            if profiler is not None:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("cumulative").print_stats(r"app/", 30)
                stats.sort_stats("tottime").print_stats(25)
                report = out.getvalue()
            side.close()
            conn.send((claims, engine, report))
            return


def run_interleaved(labels: list[str], db_dir: Path, cases: int, warmup: int, seed: int,
                    profile: bool = False) -> dict[str, Result]:
    """Each side runs in its own process; they take turns, ``SLICE`` completions at a time
    (the first side rotating), and only one runs at any moment, so whatever else the machine
    is doing slows all sides alike."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = {}, []
    for label in labels:
        ours_end, side_end = context.Pipe()
        process = context.Process(target=_side_process, daemon=True,
                                  args=(side_end, label, db_dir, cases, warmup, seed, profile and label == "ours"))
        process.start()
        pipes[label] = ours_end
        processes.append(process)
    for label in labels:
        assert pipes[label].recv() == "ready", label
    results = {label: Result(label) for label in labels}
    turn = 0
    for step in range(len(STEPS)):
        for start in range(0, cases, SLICE):
            for label in labels[turn % len(labels):] + labels[:turn % len(labels)]:
                pipes[label].send(("slice", step, start))
                results[label].latencies.extend(pipes[label].recv())
            turn += 1
        for label in labels:
            pipes[label].send(("state_bytes",))
            results[label].state_bytes.append(pipes[label].recv())
    for label in labels:
        result = results[label]
        result.elapsed = sum(result.latencies)
        pipes[label].send(("finish",))
        claims, engine, report = pipes[label].recv()
        if claims:
            result.extra["claim_mean_ms"] = statistics.fmean(claims) * 1000
        result.extra["engine_mean_ms"] = statistics.fmean(engine) * 1000
        result.extra["engine_p99_ms"] = sorted(engine)[max(0, round(0.99 * len(engine)) - 1)] * 1000
        result.extra["profile"] = report
    for process in processes:
        process.join(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20, help="cases run through the flow before timing")
    parser.add_argument("--db-dir", type=Path, default=None, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--baseline-first", action="store_true",
                        help="start the rotation with the baseline side")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile our timed completions (not claims) and print the top functions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="oneseal-bench-") as tmp:
        db_dir = args.db_dir or Path(tmp)
        db_dir.mkdir(parents=True, exist_ok=True)
        for name in ("oneseal_bench.db", "baseline_bench.db", "same_service_bench.db", "oneseal_cold_bench.db"):
            for suffix in ("", "-wal", "-shm"):
                (db_dir / f"{name}{suffix}").unlink(missing_ok=True)
        labels = list(SIDES)
        if args.baseline_first:
            labels.reverse()
        results = run_interleaved(labels, db_dir, args.cases, args.warmup, args.seed, args.profile)

    ours, base = results["ours"], results["baseline"]
    print(f"{args.cases} cases x {len(STEPS)} completions per side (+{args.warmup} warm-up cases), "
          f"seed {args.seed}, SQLite WAL, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("timed: one completion = one committed unit of work; ours excludes claim_task "
          f"(claim mean {ours.extra['claim_mean_ms']:.2f} ms, separate unit of work)")
    print(ours.line())
    print(base.line())
    cold = results["ours-cold"]
    print(cold.line())
    for result in (ours, base, cold):
        print(f"{result.label:<9} engine only (in memory, no DB): mean_ms={result.extra['engine_mean_ms']:.3f} "
              f"p99_ms={result.extra['engine_p99_ms']:.3f}")
    if args.profile:
        print(ours.extra["profile"])
    same = results["embedded"]
    print(same.line())
    print(f"like-for-like (same service, projection, audit and locking, no workflow kept between steps; "
          f"only the spec embedded): ours-cold/embedded ratio={cold.rate / same.rate:.2f}")
    print(f"cold (every step restores from JSON): ours-cold/baseline ratio={cold.rate / base.rate:.2f}")
    ratio = ours.rate / base.rate
    print(f"completions_per_s={ours.rate:.0f} p99_ms={ours.pct_ms(0.99):.2f} baseline_ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
