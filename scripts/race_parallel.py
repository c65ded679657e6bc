"""Simultaneous parallel completions and kill -9 retries against the real server, over HTTP.

Starts ``oneseal serve`` itself (``--servers`` processes on the database of
``ONESEAL_DATABASE_URL``, after ``oneseal init-db --demo``), then:

(a) races: each round registers one case of every parallel kind — 娱乐场所经营许可 (XK-0008,
    会签 of two departments), 户外广告 (XK-0015, 或签 of three), 河道 (XK-0023, 60 % of three),
    the 一件事 bundles YJS-0001 and YJS-0003, and every ``--project-every`` rounds an enterprise
    construction project (its stage's eight or more item branches) — and drives every case to its
    end, completing *all* its open tasks at the same instant (threads behind one barrier,
    requests spread over the servers) at every step. After each race: every 200 is a completed
    task with one ``task_completed`` event (else *lost*, or *double* for two events or two 200s
    on one task), every refusal is a 409; a case that is not closed always has an open task
    (else *stuck*);
(b) the same task claimed, completed, released and transferred by several people at once, and
    returned for supplement (退回补正) by one reviewer while a colleague approves it: one wins,
    the rest 409;
(d) kill -9: a registration or a completion carrying an ``Idempotency-Key`` is sent, the server
    is killed at a random moment, restarted, and the request retried with the same key until
    it is answered: it must land exactly once (one case, one completion event).

Finally ``oneseal check cases`` and ``oneseal audit verify`` must pass. Any 5xx is counted.
Last line: ``rounds=<n> stuck=<n> lost=<n> double=<n>`` (plus requests, 5xx and kills).

    ONESEAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<fresh db> \\
        .venv/bin/python scripts/race_parallel.py --rounds 20 --kills 20
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.live.processes import free_port  # noqa: E402
ONESEAL = str(Path(sys.executable).with_name("oneseal"))
PASSWORD = os.environ.get("ONESEAL_DEMO_PASSWORD", "oneseal-demo")
PARALLEL_ITEMS = ("XK-0008", "XK-0015", "XK-0023")
BUNDLES = ("YJS-0001", "YJS-0003")
PROJECT = "GCXM-QY"
#: what a step's form takes: a decision, a site finding, or nothing but an opinion
APPROVE = {"decision": "approve", "opinion": "同意"}
FINDING = {"opinion": "合格", "data": {"finding": "合格"}}
DONE = {"opinion": "已办"}
FORMS = {"inspect_jointly": FINDING, "inspect_independently": FINDING, "inspect_on_commission": FINDING,
         "conclude_joint_inspection": FINDING, "reinspect_after_rectification": FINDING,
         "make_certificate": DONE, "make_item_certificate": DONE, "issue_result": DONE,
         "issue_results": DONE, "serve_decision": DONE, "supplement_materials": DONE}
#: tried in order for an element not listed, until one is accepted; then kept for the element
BODIES: tuple[dict[str, Any], ...] = (APPROVE, FINDING, DONE, {})
MAX_STEPS = 80


@dataclass
class Tally:
    rounds: int = 0
    requests: int = 0
    server_errors: int = 0
    stuck: int = 0
    lost: int = 0
    double: int = 0
    kills: int = 0
    #: kill -9 rounds whose first request had committed (the retry replayed it) / had not
    replayed: int = 0
    redone: int = 0
    cases: int = 0
    closed: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, text: str) -> None:
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            self.problems.append(f"{kind}: {text}")
        print(f"!! {kind}: {text}", flush=True)


TALLY = Tally()


class Server:
    """One ``oneseal serve`` process on a port of its own."""

    def __init__(self, env: dict[str, str], log_dir: Path, index: int) -> None:
        self.env, self.port = env, free_port()
        self.log = (log_dir / f"server-{index}.log").open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([ONESEAL, "serve", "--port", str(self.port)], env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise SystemExit(f"server on {self.port} did not start")

    def kill(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


class Api:
    """Bearer tokens per user; requests spread over the servers."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.tokens: dict[str, str] = {}
        self.local = threading.local()

    def _http(self) -> requests.Session:
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
        return self.local.http

    def token(self, user: str) -> str:
        if user not in self.tokens:
            answer = self.call("POST", "/api/v1/auth/token", None, {"username": user, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            self.tokens[user] = answer.json()["token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None, body: Any = None,
             headers: dict[str, str] | None = None, server: int | None = None,
             timeout: float = 120) -> requests.Response:
        target = self.servers[server if server is not None else random.randrange(len(self.servers))]
        sent = dict(headers or {})
        if user is not None:
            sent["Authorization"] = f"Bearer {self.token(user)}"
        response = self._http().request(method, target.url + path, json=body, headers=sent, timeout=timeout)
        with TALLY.lock:
            TALLY.requests += 1
        if response.status_code >= 500:
            TALLY.note("server_errors", f"{method} {path} → {response.status_code} {response.text[:300]}")
        return response

    def case(self, case_id: int) -> dict[str, Any]:
        answer = self.call("GET", f"/api/v1/cases/{case_id}", "admin")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def completions(self, number: str) -> Counter[str]:
        """task id → its ``task_completed`` events in the trail."""
        counts: Counter[str] = Counter()
        page = 1
        while True:
            answer = self.call("GET", f"/api/v1/audit/events?case={number}&action=task_completed"
                               f"&page_size=200&page={page}", "auditor")
            assert answer.status_code == 200, answer.text
            data = answer.json()
            counts.update(str(e["after"].get("task_id")) for e in data["items"])
            if page >= data["pages"]:
                return counts
            page += 1


def race(api: Api, calls: list[tuple[str, str, str, Any]]) -> list[requests.Response | Exception]:
    """Every ``(method, path, user, body)`` from its own thread, released by one barrier."""
    for _method, _path, user, _body in calls:
        api.token(user)
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | Exception] = [RuntimeError("no answer")] * len(calls)

    def fire(index: int, method: str, path: str, user: str, body: Any) -> None:
        barrier.wait()
        try:
            answers[index] = api.call(method, path, user, body, server=index % len(api.servers))
        except Exception as err:  # noqa: BLE001 - reported by the caller
            answers[index] = err

    threads = [threading.Thread(target=fire, args=(i, *c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# --------------------------------------------------------------------------- (a) parallel races

def register(api: Api, code: str, catalogue: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"applicant": {"name": f"并发测试{uuid.uuid4().hex[:8]}"}}
    if code in catalogue["bundles"]:
        body.update(bundle_code=code, materials=catalogue["bundles"][code])
    elif code in catalogue["projects"]:
        body.update(item_code=code, materials=catalogue["projects"][code],
                    project={"name": "并发测试项目", "location": "城南新区", "project_code": "2026-610000-47-01-000001"})
    else:
        body.update(item_code=code, materials=catalogue["items"][code])
    answer = api.call("POST", "/api/v1/cases", "window", body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def catalogue_of(api: Api) -> dict[str, Any]:
    items = api.call("GET", "/api/v1/items", "window").json()
    types = api.call("GET", "/api/v1/project-types", "window").json()["project_types"]
    return {"items": {i["code"]: [m["code"] for m in i["materials"]] for i in items["items"]},
            "bundles": {b["code"]: [m["code"] for m in b["materials"]] for b in items["bundles"]},
            "projects": {t["code"]: [m["code"] for s in t["stages"] for m in s["materials"]] for t in types}}


#: the steps done on site: their form also asks for the day and the second inspector (核查须两人)
ON_SITE = frozenset({"inspect_independently", "inspect_on_commission", "inspect_jointly",
                     "reinspect_after_rectification"})


def on_site(element: str, user: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with today's date and the user's colleague (``inspector2_<dept>``) for an on-site step."""
    if element not in ON_SITE:
        return body
    second = user.replace("inspector2_", "inspector_", 1) if user.startswith("inspector2_") \
        else user.replace("inspector_", "inspector2_", 1)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    return {**body, "data": {**body.get("data", {}), "inspected_on": today, "second_inspector": second}}


class Forms:
    """The body each element takes, learnt from the first refusal with 400."""

    def __init__(self) -> None:
        self.choice: dict[str, int] = {}
        self.lock = threading.Lock()

    def body(self, element: str) -> dict[str, Any]:
        return FORMS.get(element) or BODIES[self.choice.get(element, 0)]

    def refused(self, element: str, sent: dict[str, Any], answer: requests.Response) -> bool:
        """Try the next form for this element (once per refused form); False when none is left."""
        with self.lock:
            if element in FORMS or sent is not BODIES[self.choice.get(element, 0)]:
                return element not in FORMS  # listed forms are right; another thread moved on
            nxt = self.choice.get(element, 0) + 1
            if nxt >= len(BODIES):
                TALLY.problems.append(f"no form accepted for {element}: {answer.text[:200]}")
                return False
            self.choice[element] = nxt
            return True


def drive(api: Api, forms: Forms, case: dict[str, Any]) -> None:
    """Complete every open task of the case at once, step after step, until it closes."""
    for _step in range(MAX_STEPS):
        tasks = case["tasks"]
        if not tasks:
            with TALLY.lock:
                TALLY.cases += 1
                TALLY.closed += case["completed_at"] is not None
            if case["completed_at"] is None:
                TALLY.note("stuck", f"{case['number']} ({case['item_code']}) {case['status_label']}: no open task")
            return
        calls = [("POST", f"/api/v1/tasks/{t['id']}/complete", t["candidates"][0],
                  on_site(t["element_id"], t["candidates"][0], forms.body(t["element_id"]))) for t in tasks]
        answers = race(api, calls)
        before = api.completions(case["number"])
        case = api.case(case["id"])
        done = {o["id"] for o in case["opinions"]}
        for task, answer in zip(tasks, answers):
            if isinstance(answer, Exception):
                TALLY.note("server_errors", f"{case['number']} {task['name']}: {answer!r}")
                continue
            if answer.status_code == 200:
                if task["id"] not in done or before[task["id"]] == 0:
                    TALLY.note("lost", f"{case['number']} {task['name']} [{task['id']}] answered 200 "
                               f"but not completed (events {before[task['id']]})")
            elif answer.status_code == 400:
                if not forms.refused(task["element_id"], calls[tasks.index(task)][3], answer):
                    TALLY.problems.append(f"{case['number']} {task['name']}: {answer.text[:200]}")
                    return
            elif answer.status_code != 409:
                TALLY.problems.append(f"{case['number']} {task['name']}: {answer.status_code} {answer.text[:200]}")
            if before[task["id"]] > 1:
                TALLY.note("double", f"{case['number']} {task['name']} [{task['id']}] completed "
                           f"{before[task['id']]} times")
    TALLY.problems.append(f"{case['number']} still open after {MAX_STEPS} steps")


def parallel_round(api: Api, forms: Forms, catalogue: dict[str, Any], with_project: bool) -> None:
    codes = [*PARALLEL_ITEMS, *BUNDLES] + ([PROJECT] if with_project else [])
    cases = [register(api, code, catalogue) for code in codes]
    threads = [threading.Thread(target=drive, args=(api, forms, c)) for c in cases]
    for thread in threads:  # the cases of a round go on side by side, each racing its own tasks
        thread.start()
    for thread in threads:
        thread.join()


# --------------------------------------------------------------------------- (b) one task, many hands

def same_task_round(api: Api, catalogue: dict[str, Any]) -> None:
    """Two clerks claim, then complete, the same 受理 at once; then one transfers while the other
    completes; then release against complete. Exactly one of each pair wins."""
    case = register(api, "XK-0001", catalogue)
    task = case["tasks"][0]
    path = f"/api/v1/tasks/{task['id']}"
    answers = race(api, [("POST", f"{path}/claim", "window", None), ("POST", f"{path}/claim", "window2", None)])
    codes = sorted(a.status_code if isinstance(a, requests.Response) else 0 for a in answers)
    if codes != [200, 409]:
        TALLY.note("double", f"{case['number']} two claims answered {codes}")
    holder = "window" if isinstance(answers[0], requests.Response) and answers[0].status_code == 200 else "window2"
    other = "window2" if holder == "window" else "window"
    answers = race(api, [("POST", f"{path}/transfer", holder, {"to": other, "reason": "转办"}),
                         ("POST", f"{path}/complete", holder, {"decision": "approve", "opinion": "同意"})])
    codes = sorted(a.status_code if isinstance(a, requests.Response) else 0 for a in answers)
    if codes != [200, 409]:
        TALLY.note("double", f"{case['number']} transfer against completion answered {codes}")
    after = api.case(case["id"])
    events = api.completions(case["number"])
    if events[task["id"]] > 1:
        TALLY.note("double", f"{case['number']} 受理 completed {events[task['id']]} times")
    if not after["tasks"] and after["completed_at"] is None:
        TALLY.note("stuck", f"{case['number']} no open task after transfer/complete race")
    if after["tasks"] and after["tasks"][0]["element_id"] == "accept_application":
        # the transfer won: the colleague now holds it; they complete while the first releases
        holder = after["tasks"][0]["claimed_by"] or other
        answers = race(api, [("POST", f"{path}/complete", holder, {"decision": "approve", "opinion": "同意"}),
                             ("POST", f"{path}/release", holder, None),
                             ("POST", f"{path}/complete", holder, {"decision": "approve", "opinion": "同意"})])
        ok = [a for a in answers if isinstance(a, requests.Response) and a.status_code == 200]
        if api.completions(case["number"])[task["id"]] > 1:
            TALLY.note("double", f"{case['number']} 受理 completed twice after the transfer")
        if not ok:
            TALLY.problems.append(f"{case['number']} nobody won complete/release/complete")
    # 审查: one reviewer returns it for supplement (退回补正) while a colleague approves it
    case = api.case(case["id"])
    review = next((t for t in case["tasks"] if t["element_id"] == "review_application"), None)
    if review is None:
        return
    path = f"/api/v1/tasks/{review['id']}/complete"
    answers = race(api, [("POST", path, "reviewer_market", {"decision": "return", "opinion": "缺件",
                                                            "notice": [{"material": "M01", "reason": "不清晰"}]}),
                         ("POST", path, "reviewer2_market", {"decision": "approve", "opinion": "同意"})])
    codes = sorted(a.status_code if isinstance(a, requests.Response) else 0 for a in answers)
    events = api.completions(case["number"])[review["id"]]
    if codes != [200, 409] or events != 1:
        TALLY.note("double" if events > 1 or codes == [200, 200] else "lost",
                   f"{case['number']} return against approval answered {codes}, {events} completions")


# --------------------------------------------------------------------------- (d) kill -9 and retry

def retry_until_answered(api: Api, server: Server, method: str, path: str, user: str, body: Any,
                         key: str) -> requests.Response:
    for _attempt in range(60):
        try:
            answer = api.call(method, path, user, body, headers={"Idempotency-Key": key},
                              server=api.servers.index(server), timeout=30)
        except requests.RequestException:
            time.sleep(0.5)
            continue
        if answer.status_code == 409 and answer.json().get("code") == "request_in_progress":
            time.sleep(float(answer.headers.get("Retry-After", "1")))
            continue
        if answer.status_code == 503:
            time.sleep(0.5)
            continue
        return answer
    raise SystemExit(f"{path} never answered after the restart")


def kill_round(api: Api, server: Server, catalogue: dict[str, Any]) -> None:
    """Send, kill -9 at a random moment, restart, retry with the same key: it lands once."""
    TALLY.kills += 1
    key = f"kill-{uuid.uuid4()}"
    if random.random() < 0.5:  # a registration
        name = f"断电重试{uuid.uuid4().hex[:10]}"
        body = {"item_code": "XK-0008", "applicant": {"name": name}, "materials": catalogue["items"]["XK-0008"]}
        method, path, user = "POST", "/api/v1/cases", "window"
    else:  # the first parallel review of a fresh case
        case = register(api, "XK-0008", catalogue)
        case = api.call("POST", f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", "window",
                        {"decision": "approve", "opinion": "予以受理"}).json()["case"]
        task = case["tasks"][0]
        method, path, user = "POST", f"/api/v1/tasks/{task['id']}/complete", task["candidates"][0]
        body = {"decision": "approve", "opinion": "同意"}
    api.token(user)
    first: dict[str, Any] = {}

    def send() -> None:
        try:
            first["answer"] = api.call(method, path, user, body, headers={"Idempotency-Key": key},
                                       server=api.servers.index(server), timeout=30)
        except requests.RequestException as err:
            first["error"] = err

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(random.uniform(0, 0.35))
    server.kill()
    sender.join()
    server.start()
    answer = retry_until_answered(api, server, method, path, user, body, key)
    again = retry_until_answered(api, server, method, path, user, body, key)
    with TALLY.lock:
        if answer.headers.get("Idempotent-Replay") == "true":
            TALLY.replayed += 1
        else:
            TALLY.redone += 1
    if answer.status_code not in (200, 201) or again.text != answer.text:
        TALLY.problems.append(f"kill retry {path}: {answer.status_code} {answer.text[:200]} / {again.status_code}")
    if path == "/api/v1/cases":
        found = api.call("GET", f"/api/v1/tasks?tab=department&q={name}&page_size=100", "window").json()["total"]
        if found != 1:
            TALLY.note("lost" if found == 0 else "double", f"registration {name} landed {found} times")
    else:
        number = answer.json()["case"]["number"] if answer.status_code == 200 else case["number"]
        events = api.completions(number)[task["id"]]
        if events != 1:
            TALLY.note("lost" if events == 0 else "double", f"{number} completion landed {events} times")


# --------------------------------------------------------------------------- main

def command(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = subprocess.run([ONESEAL, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of parallel races")
    parser.add_argument("--project-every", type=int, default=3, help="a construction project every n rounds (0: none)")
    parser.add_argument("--same-task", type=int, default=10, help="rounds of same-task races")
    parser.add_argument("--kills", type=int, default=10, help="kill -9 rounds")
    parser.add_argument("--servers", type=int, default=2, help="server processes on the one database")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log-dir", default="reports/race_parallel")
    args = parser.parse_args()
    random.seed(args.seed)
    env = dict(os.environ)
    env.setdefault("ONESEAL_SECRET_KEY", uuid.uuid4().hex)
    print(f"database: {env.get('ONESEAL_DATABASE_URL', 'instance/oneseal.db (SQLite)')}", flush=True)
    code, out = command(env, "init-db", "--demo")
    if code:
        raise SystemExit(out)
    log_dir = ROOT / args.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = [Server(env, log_dir, i) for i in range(args.servers)]
    try:
        for server in servers:
            server.start()
        api = Api(servers)
        catalogue, forms = catalogue_of(api), Forms()
        started = time.monotonic()
        for number in range(1, args.rounds + 1):
            with_project = bool(args.project_every) and number % args.project_every == 1 % args.project_every
            parallel_round(api, forms, catalogue, with_project)
            TALLY.rounds += 1
            print(f"round {number}: requests={TALLY.requests} 5xx={TALLY.server_errors} stuck={TALLY.stuck} "
                  f"lost={TALLY.lost} double={TALLY.double} ({time.monotonic() - started:.0f} s)", flush=True)
        for _ in range(args.same_task):
            same_task_round(api, catalogue)
        print(f"same-task rounds: {args.same_task}", flush=True)
        for number in range(args.kills):
            kill_round(api, servers[number % len(servers)], catalogue)
        print(f"kill -9 rounds: {args.kills}", flush=True)
    finally:
        for server in servers:
            server.stop()
    check_code, check_out = command(env, "check", "cases")
    verify_code, verify_out = command(env, "audit", "verify")
    print(check_out.splitlines()[-1] if check_out else "", flush=True)
    print(verify_out.splitlines()[0] if verify_out else "", flush=True)
    if check_code:
        TALLY.stuck += max(1, sum("办件 " in line for line in check_out.splitlines()))
        print(check_out)
    if verify_code:
        TALLY.problems.append("audit verify: " + verify_out)
    for problem in TALLY.problems:
        print("problem:", problem)
    print(f"cases={TALLY.cases} closed={TALLY.closed} requests={TALLY.requests} 5xx={TALLY.server_errors} "
          f"kills={TALLY.kills} (committed before the kill: {TALLY.replayed}, redone on retry: {TALLY.redone}) "
          f"problems={len(TALLY.problems)}")
    print(f"rounds={TALLY.rounds} stuck={TALLY.stuck} lost={TALLY.lost} double={TALLY.double}")


if __name__ == "__main__":
    main()
