"""Mixed traffic of a bureau's users through HTTP, from one client process.

A client signs in as the window clerks and the market department's reviewers, leader and
inspectors, then, until its time is up, registers cases (食品经营许可 through the standard
flow, its 补办 through the immediate one) and works the open steps it finds in the department
inboxes: it reads an inbox, picks a task (often the first one, which the other clients see
too), sometimes claims it first, and completes it with the answer its step expects. Now and
then it races on purpose: two connections complete the same task at once, or two colleagues
claim it at once. Every write carries an ``Idempotency-Key``.

Each request's outcome is written to ``client-<n>.jsonl`` in the run's folder: what it was
(register, claim, complete, inbox, login), the task or the applicant's marker, the status, the
latency. :mod:`scripts.live.verdict` checks them against the database afterwards.
"""
from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scripts.live.client import Answer, Client

WINDOW = ["window", "window2"]
#: who works the steps, as often as the flows give them steps (a standard case: the window
#: accepts and issues, a reviewer reviews and makes the certificate, the leader decides)
WORKERS = {"window": 3, "window2": 3, "reviewer_market": 2, "reviewer2_market": 2, "leader_market": 1.5,
           "inspector_site_survey": 0.2, "inspector_market": 0.2}
COLLEAGUE = {"window": "window2", "window2": "window", "reviewer_market": "reviewer2_market",
             "reviewer2_market": "reviewer_market"}
ITEMS = {"XK-0001": 0.7, "XK-0002": 0.3}  # 食品经营许可 (承诺件) and its 补办 (即办件)
INSPECTION = {"opinion": "经营场所与申报一致", "data": {"finding": "合格"}}
ANSWERS: dict[str, dict[str, Any]] = {
    "accept_application": {"decision": "approve", "opinion": "材料齐全，予以受理"},
    "accept_and_decide": {"decision": "approve", "opinion": "当场办结"},
    "review_application": {"decision": "approve", "opinion": "符合条件"},
    "decide_application": {"decision": "approve", "opinion": "准予"},
    # 制证 signs the licence in the step's own transaction: the scope is what it certifies
    "make_certificate": {"opinion": "制证", "data": {"scope": "预包装食品销售（含冷藏冷冻食品）"}},
    "issue_result": {"data": {"delivery": "窗口领取"}},
    "inspect_independently": INSPECTION, "inspect_on_commission": INSPECTION,
    "inspect_jointly": INSPECTION, "conclude_joint_inspection": INSPECTION,
}
MARKER = "负载测试"
#: the inspection steps done on site: their form also asks for the day and the second inspector
ON_SITE = frozenset({"inspect_independently", "inspect_on_commission", "inspect_jointly"})


def answer_for(element_id: str, user: str) -> dict[str, Any]:
    """What ``user`` completes the step ``element_id`` with: its answer in :data:`ANSWERS`, and on
    site the day and the second inspector (核查须两人)."""
    body = dict(ANSWERS[element_id])
    if element_id in ON_SITE:
        second = user.replace("inspector2_", "inspector_", 1) if user.startswith("inspector2_") \
            else user.replace("inspector_", "inspector2_", 1)
        body["data"] = {**body["data"], "second_inspector": second,
                        "inspected_on": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()}
    return body


@dataclass(frozen=True)
class Plan:
    index: int
    ports: list[int]
    deadline: float  # time.time()
    folder: Path
    password: str
    retry: bool = False  # chaos: resend with the same key until an answer comes
    register_share: float = 0.2
    race_share: float = 0.1
    minimal: bool = False  # ask completions for the short answer (Prefer: return=minimal)
    think_ms: float = 0.0  # a user's mean pause between two actions (exponential); 0: none


class Traffic:
    #: the items registered, with their weights
    items: dict[str, float] = ITEMS

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.index * 7919 + int(time.time()))
        self.port = plan.ports[plan.index % len(plan.ports)]
        self.client = Client(self.port)
        self.racer = Client(self.port)
        self.tokens: dict[str, str] = {}
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.registered = 0
        self.materials: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ bookkeeping
    def note(self, op: str, answer: Answer, **what: Any) -> None:
        with self.lock:
            self.records.append({"op": op, "status": answer.status, "ms": round(answer.ms, 3),
                                 "attempts": answer.attempts, "replayed": answer.replayed, **what})

    def key(self) -> str:
        return uuid.uuid4().hex

    def request(self, client: Client, method: str, path: str, body: Any = None, *, user: str | None = None,
                write: bool = False, headers: dict[str, str] | None = None) -> Answer:
        token = self.tokens.get(user) if user else None
        return client.call(method, path, body, token=token, key=self.key() if write else None,
                           retry=self.plan.retry, headers=headers)

    # ------------------------------------------------------------------ set-up
    def sign_in(self) -> None:
        for user in sorted(set(WINDOW) | set(WORKERS)):
            answer = self.client.call("POST", "/api/v1/auth/token", {"username": user, "password": self.plan.password},
                                      retry=True)
            self.note("login", answer, user=user)
            if answer.status != 200:
                raise RuntimeError(f"login {user}: {answer.status} {answer.body}")
            self.tokens[user] = answer.body["token"]
        answer = self.client.call("GET", "/api/v1/items", token=self.tokens["window"], retry=True)
        self.note("items", answer)
        self.materials = {i["code"]: [m["code"] for m in i["materials"]] for i in answer.body["items"]}

    # ------------------------------------------------------------------ the actions
    def register(self) -> None:
        user = self.rng.choice(WINDOW)
        item = self.rng.choices(list(self.items), weights=list(self.items.values()))[0]
        self.registered += 1
        marker = f"{MARKER}{self.plan.index}-{self.registered}"
        body = {"item_code": item, "applicant": {"name": marker, "contact": "0910-1234567"},
                "materials": self.materials[item], "facts": {}}
        answer = self.request(self.client, "POST", "/api/v1/cases", body, user=user, write=True,
                              headers=self.registration_headers())
        number = answer.body.get("number") if answer.status == 201 and isinstance(answer.body, dict) else None
        self.registered_as(item, answer)
        self.note("register", answer, marker=marker, number=number, item=item)

    def registration_headers(self) -> dict[str, str] | None:
        """Extra headers of a registration (none here)."""
        return None

    def registered_as(self, item: str, answer: Answer) -> None:
        """Told of each registration's answer (a traffic that counts them overrides it)."""

    def inbox(self, user: str) -> list[dict[str, Any]]:
        tab = "mine" if self.rng.random() < 0.2 else "department"
        answer = self.request(self.client, "GET", f"/api/v1/tasks?tab={tab}&page_size=20", user=user)
        self.note("inbox", answer, user=user)
        if answer.status != 200:
            return []
        return [t for t in answer.body["items"] if t["element_id"] in ANSWERS
                and t["claimed_by"] in (None, user) and t["kind"] == "workflow"]

    def claim(self, client: Client, task: dict[str, Any], user: str) -> Answer:
        answer = self.request(client, "POST", f"/api/v1/tasks/{task['id']}/claim", user=user, write=True)
        self.note("claim", answer, task=task["id"], user=user)
        return answer

    def complete(self, client: Client, task: dict[str, Any], user: str) -> Answer:
        body = answer_for(task["element_id"], user)
        headers = {"Prefer": "return=minimal"} if self.plan.minimal else None
        answer = self.request(client, "POST", f"/api/v1/tasks/{task['id']}/complete", body, user=user,
                              write=True, headers=headers)
        self.note("complete", answer, task=task["id"], user=user, step=task["element_id"])
        return answer

    def race(self, action: str, task: dict[str, Any], users: tuple[str, str]) -> None:
        """Two connections send the same step at the same moment."""
        barrier = threading.Barrier(2)

        def go(client: Client, user: str) -> None:
            barrier.wait()
            (self.claim if action == "claim" else self.complete)(client, task, user)

        other = threading.Thread(target=go, args=(self.racer, users[1]))
        other.start()
        go(self.client, users[0])
        other.join()

    def work(self) -> bool:
        for _ in range(3):
            user = self.rng.choices(list(WORKERS), weights=list(WORKERS.values()))[0]
            tasks = self.inbox(user)
            if tasks:
                break
        else:
            return False
        task = tasks[0] if self.rng.random() < 0.3 else self.rng.choice(tasks)
        roll = self.rng.random()
        if roll < self.plan.race_share / 2:
            self.race("complete", task, (user, user))
        elif roll < self.plan.race_share and user in COLLEAGUE and task["claimed_by"] is None:
            self.race("claim", task, (user, COLLEAGUE[user]))
        else:
            if task["claimed_by"] is None and self.rng.random() < 0.5:
                if self.claim(self.client, task, user).status != 200:
                    return True
            self.complete(self.client, task, user)
        return True

    def run(self) -> None:
        self.sign_in()
        while time.time() < self.plan.deadline:
            if self.rng.random() < self.plan.register_share or not self.work():
                self.register()
            if self.plan.think_ms > 0:
                time.sleep(min(self.rng.expovariate(1000.0 / self.plan.think_ms), 20 * self.plan.think_ms / 1000))
        self.client.close()
        self.racer.close()
        sent = self.client.sent + self.racer.sent
        failures = self.client.failures + self.racer.failures
        path = self.plan.folder / f"client-{self.plan.index}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps({"op": "_totals", "sent": sent, "no_answer": failures}) + "\n")
            for record in self.records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_client(plan: Plan) -> None:
    """The body of one client process."""
    Traffic(plan).run()


def read_records(folder: Path) -> tuple[list[dict[str, Any]], int, int]:
    """Every client's records, the HTTP requests they sent (retries included) and how many got no answer."""
    records: list[dict[str, Any]] = []
    sent = failures = 0
    for path in sorted(folder.glob("client-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["op"] == "_totals":
                sent += record["sent"]
                failures += record["no_answer"]
            else:
                records.append(record)
    return records, sent, failures
