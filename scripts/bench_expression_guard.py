"""Run the hostile expression corpus against the real server and watch the other requests.

The server runs in a process of its own (the app's factory served by waitress, as
``oneseal serve`` does) on a fresh SQLite database with the shipped diagrams and the demo
users. For each text of ``tests/hostile_expressions.py`` this script deploys a version of
the immediate process (即办件) with the text as a script task (or a gateway condition) right
after the start, through the deploy service itself: the upload's checks are bypassed, so only
the run-time budget can stop it. It then registers a case of an immediate item several times
and times the refusal, while two other clients keep asking for ``GET /api/v1/health`` and a
reviewer's inbox (``GET /api/v1/tasks``), before and during the corpus. A diagram that loops
without people (the step's task limit) runs after the corpus, timed apart.

    .venv/bin/python scripts/bench_expression_guard.py [--repeat 5] [--baseline-seconds 3]

Prints the time to stop of each text, the latency of the other requests before and during the
corpus, and the server's resident memory (before the corpus, and its peak: VmHWM). Target:
at most 200 ms added to the other requests. The last line reads
``corpus=<n> worst_added_latency_ms=<n> peak_rss_mb=<n>``.
"""
from __future__ import annotations

import argparse
import gc
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.config import Settings
from app.domain.errors import OneSealError
from app.persistence.engine.db import Database
from app.services.actor import SYSTEM
from app.services.demo import load_demo
from app.services.processes.deployed import deploy
from app.services.processes.modeler import deploy_shipped
from tests.support.hostile_expressions import HOSTILE, Hostile
from tests.support.model_samples import shipped

PASSWORD = "bench-password"
ITEM = "XK-0002"  # 食品经营许可证补办, routed to the immediate process
APPLICATION = {"item_code": ITEM, "applicant": {"name": "张三"}, "materials": ["M01", "M02", "M03"], "facts": {}}
TARGET_MS = 200
#: besides the corpus: a diagram that loops back on itself without people (the step's task limit)
LOOP = Hostile("diagram_loop_without_people", "True", False, "loop")


def settings_for(folder: Path) -> Settings:
    return Settings.load(database_url=f"sqlite:///{folder / 'oneseal.db'}", instance_dir=folder / "instance",
                         secret_key="bench-secret", password_method="pbkdf2:sha256:1000",
                         demo_password=PASSWORD)


def serve(folder: Path) -> None:
    """The server process: the app's factory behind waitress, as ``oneseal serve`` runs it."""
    from waitress import create_server

    app = create_app(settings_for(folder))
    gc.collect()
    gc.freeze()
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    print(server.effective_port, flush=True)
    server.run()


# ---------------------------------------------------------------------- the hostile diagrams

def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hostile_diagram(hostile: Hostile) -> bytes:
    """The shipped immediate process with the text evaluated between the start and the first task."""
    xml = shipped("immediate").decode("utf-8")
    xml = xml.replace('<bpmn:outgoing>flow_to_accept_and_decide</bpmn:outgoing>',
                      '<bpmn:outgoing>flow_to_hostile</bpmn:outgoing>', 1)
    xml = xml.replace('id="flow_to_accept_and_decide" sourceRef="application_submitted" targetRef="accept_and_decide" />',
                      'id="flow_to_hostile" sourceRef="application_submitted" targetRef="hostile" />', 1)
    if hostile.kind == "loop":
        return loop_diagram(xml)
    if hostile.kind == "script":
        element = ('<bpmn:scriptTask id="hostile" name="恶意计算"><bpmn:incoming>flow_to_hostile</bpmn:incoming>'
                   '<bpmn:outgoing>flow_to_accept_and_decide</bpmn:outgoing>'
                   f'<bpmn:script>{_escaped(hostile.text)}</bpmn:script></bpmn:scriptTask>'
                   '<bpmn:sequenceFlow id="flow_to_accept_and_decide" sourceRef="hostile" targetRef="accept_and_decide" />')
    else:
        element = ('<bpmn:exclusiveGateway id="hostile" name="恶意条件" default="flow_to_accept_and_decide">'
                   '<bpmn:incoming>flow_to_hostile</bpmn:incoming><bpmn:outgoing>flow_hostile_condition</bpmn:outgoing>'
                   '<bpmn:outgoing>flow_to_accept_and_decide</bpmn:outgoing></bpmn:exclusiveGateway>'
                   '<bpmn:sequenceFlow id="flow_hostile_condition" sourceRef="hostile" targetRef="accept_and_decide">'
                   f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{_escaped(hostile.text)}'
                   '</bpmn:conditionExpression></bpmn:sequenceFlow>'
                   '<bpmn:sequenceFlow id="flow_to_accept_and_decide" sourceRef="hostile" targetRef="accept_and_decide" />')
        xml = xml.replace("<bpmn:incoming>flow_to_accept_and_decide</bpmn:incoming>",
                          "<bpmn:incoming>flow_to_accept_and_decide</bpmn:incoming>"
                          "<bpmn:incoming>flow_hostile_condition</bpmn:incoming>", 1)
    return xml.replace("</bpmn:process>", f"{element}</bpmn:process>", 1).encode("utf-8")


def loop_diagram(xml: str) -> bytes:
    """start → a script → a gateway that always leads back before the script: no person ever waits."""
    element = ('<bpmn:exclusiveGateway id="again" name="再来一次"><bpmn:incoming>flow_to_hostile</bpmn:incoming>'
               '<bpmn:incoming>flow_back</bpmn:incoming><bpmn:outgoing>flow_to_count</bpmn:outgoing></bpmn:exclusiveGateway>'
               '<bpmn:scriptTask id="hostile" name="计数"><bpmn:incoming>flow_to_count</bpmn:incoming>'
               '<bpmn:outgoing>flow_to_loop</bpmn:outgoing><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>'
               '<bpmn:exclusiveGateway id="loop" name="是否循环" default="flow_to_accept_and_decide">'
               '<bpmn:incoming>flow_to_loop</bpmn:incoming><bpmn:outgoing>flow_back</bpmn:outgoing>'
               '<bpmn:outgoing>flow_to_accept_and_decide</bpmn:outgoing></bpmn:exclusiveGateway>'
               '<bpmn:sequenceFlow id="flow_to_count" sourceRef="again" targetRef="hostile" />'
               '<bpmn:sequenceFlow id="flow_to_loop" sourceRef="hostile" targetRef="loop" />'
               '<bpmn:sequenceFlow id="flow_back" sourceRef="loop" targetRef="again">'
               '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">n &gt; 0</bpmn:conditionExpression>'
               '</bpmn:sequenceFlow>'
               '<bpmn:sequenceFlow id="flow_to_accept_and_decide" sourceRef="loop" targetRef="accept_and_decide" />')
    xml = xml.replace('targetRef="hostile" />', 'targetRef="again" />', 1)
    return xml.replace("</bpmn:process>", f"{element}</bpmn:process>", 1).encode("utf-8")


# ---------------------------------------------------------------------- HTTP

class Client:
    def __init__(self, port: int, username: str | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Content-Type": "application/json"}
        if username is not None:
            status, body = self.request("POST", "/api/v1/auth/token", {"username": username, "password": PASSWORD})
            assert status == 200, body
            self.headers["Authorization"] = f"Bearer {body['token']}"

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None


class Probe(threading.Thread):
    """Asks for a cheap page again and again, noting when it asked and how long it took."""

    def __init__(self, port: int, path: str, username: str | None) -> None:
        super().__init__(daemon=True)
        self.client = Client(port, username)
        self.path = path
        self.samples: list[tuple[float, float]] = []  # (started at, milliseconds)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            status, _ = self.client.request("GET", self.path)
            assert status == 200, (self.path, status)
            self.samples.append((started, (time.perf_counter() - started) * 1000))
            time.sleep(0.005)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in self.samples if start <= at <= end]


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# ---------------------------------------------------------------------- the run

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="registrations per text")
    parser.add_argument("--baseline-seconds", type=float, default=3.0)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="oneseal-guard-"))
    settings = settings_for(folder)
    Database(settings.database_url).create_schema()
    deployer = create_app(settings, warm=False)  # this process deploys; the server process serves
    ext = deployer.extensions["oneseal"]
    with ext.db.unit_of_work() as session:
        deploy_shipped(session, ext.runtime, SYSTEM)
        load_demo(session, ext.runtime, PASSWORD, with_cases=False)

    server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        return run(args, ext, server.pid, port)
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(args: argparse.Namespace, ext: Any, pid: int, port: int) -> int:
    window = Client(port, "window")
    normal = []
    for _ in range(args.repeat):  # the shipped diagram: what a registration costs without hostility
        started = time.perf_counter()
        status, body = window.request("POST", "/api/v1/cases", APPLICATION)
        assert status == 201, body
        normal.append((time.perf_counter() - started) * 1000)
    probes = [Probe(port, "/api/v1/health", None), Probe(port, "/api/v1/tasks", "reviewer_market")]
    for probe in probes:
        probe.start()
    time.sleep(args.baseline_seconds)
    baseline_end = time.perf_counter()
    rss_before, _ = rss_mb(pid)
    print(f"registration with the shipped diagram: median {statistics.median(normal):.1f} ms")
    print(f"server resident memory before the corpus: {rss_before:.0f} MB")
    print(f"{'text':34} {'outcome':60} {'stop median':>12} {'max':>8}")

    failures = 0
    marks = [baseline_end]
    for hostile in [*HOSTILE, LOOP]:
        if hostile is LOOP:
            marks.append(time.perf_counter())  # the end of the corpus, the start of the loop
        failures += not try_text(ext, window, hostile, args.repeat)
    marks.append(time.perf_counter())
    time.sleep(0.2)
    for probe in probes:
        probe.stopping.set()
    for probe in probes:
        probe.join()
    rss_now, peak = rss_mb(pid)

    worst_added = 0.0
    for probe in probes:
        before = probe.between(0, baseline_end)
        usual = statistics.median(before)
        print(f"GET {probe.path}: {describe('before the corpus', before)}")
        for phase, start, end in (("during the corpus", marks[0], marks[1]), ("during the loop", marks[1], marks[2])):
            during = probe.between(start, end)
            print(f"    {describe(phase, during)}, {max(during) - usual:.0f} ms above the usual median")
        worst_added = max(worst_added, max(probe.between(marks[0], marks[1])) - usual)
    print(f"server resident memory after the corpus: {rss_now:.0f} MB, peak {peak:.0f} MB")
    print(f"worst latency the corpus added to another request: {worst_added:.0f} ms (target at most {TARGET_MS} ms)")
    if failures:
        print(f"{failures} texts were NOT stopped")
    print(f"corpus={len(HOSTILE)} worst_added_latency_ms={worst_added:.0f} peak_rss_mb={peak:.0f}")
    return 1 if failures else 0


def try_text(ext: Any, window: Client, hostile: Hostile, repeat: int) -> bool:
    """Deploy the text and register ``repeat`` cases on it; False if any registration went through."""
    try:
        with ext.db.unit_of_work() as session:
            deploy(session, ext.runtime, SYSTEM, filename="immediate.bpmn", content=hostile_diagram(hostile),
                   process_id="immediate")
    except OneSealError as err:  # the allow-list holds at deployment, whoever deploys
        print(f"{hostile.name:34} {'refused at deployment: ' + err.code:60} {'-':>12} {'-':>8}")
        return True
    times, codes = [], set()
    for _ in range(repeat):
        started = time.perf_counter()
        status, body = window.request("POST", "/api/v1/cases", APPLICATION)
        times.append((time.perf_counter() - started) * 1000)
        codes.add(f"{status} {body.get('code')} {body.get('details', {}).get('limit', '')}".strip())
    stopped = all(code.startswith("422") for code in codes)
    outcome = ("stopped: " if stopped else "NOT STOPPED: ") + ", ".join(sorted(codes))
    print(f"{hostile.name:34} {outcome[:60]:60} {statistics.median(times):9.1f} ms {max(times):5.1f} ms")
    return stopped


def describe(phase: str, latencies: list[float]) -> str:
    return (f"{phase} {len(latencies)} requests, median {statistics.median(latencies):.1f} ms, "
            f"p99 {quantile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
