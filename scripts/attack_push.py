"""The approval–supervision push attacked from outside, over HTTP, on real processes.

Starts two ``oneseal serve`` processes and ``oneseal worker`` (the in-process runner) on the
database of ``ONESEAL_DATABASE_URL`` (after ``oneseal init-db --demo``), and a receiver in this
process (a threaded HTTP server that checks every signature and records every event id it gets,
by department), with ``ONESEAL_SUPERVISION_ALLOWED_HOSTS=127.0.0.1:<receiver port>`` only. Then:

1. findings (``POST /api/v1/supervision/findings``, as ``supervisor_market`` and signed by the
   department): one Idempotency-Key sent to both servers at once (one finding, one case, the same
   answer); different keys for one licence at once (one 201, the rest 409 ``finding_pending``);
   findings racing the window's 变更/注销 application for the licence (never two open cases about
   it); hostile values in every field; signature attacks (stale, future, tampered, no ``t``,
   ``t=²``, several bad ``v1``, another department's secret, a huge header: 401 ``bad_signature``);
   a server killed with SIGKILL mid-request and the request retried with the same key (one case);
2. endpoints (``PUT /api/v1/supervision/endpoints/{department}``): SSRF bypasses (numeric and
   IPv6 forms of loopback, 0.0.0.0, metadata, CGNAT, userinfo, trailing dots, upper case, this
   server, non-http schemes, CR/LF, very long), hostile department names, secrets with control
   characters; a receiver that answers 302 to loopback (not followed: a failed attempt);
3. delivery under chaos: licences issued on the spot (XK-0002 at the window), changed (变更: a
   new number superseding the old) or cancelled (注销) while the worker is SIGKILLed at random moments and the receiver answers 500 or times
   out now and then; at the end every delivery is delivered and received (lost=0), in order per
   licence, the same id and body on a duplicate; then two workers at once with a healthy
   receiver, and with a slow one: no event sent twice.

Every API refusal must be 4xx JSON with a machine ``code`` and a Chinese ``message``; a 5xx is
counted. Last line: ``requests=<n> 5xx=<n> bad_errors=<n> lost=<n> double_cases=<n> ssrf_accepted=<n>``.

    ONESEAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<fresh db> \\
        .venv/bin/python scripts/attack_push.py
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from app.domain.licences.supervision_push import BadSignature, check_signature, signature  # noqa: E402
from attack_input import HOSTILE_JSON  # noqa: E402
from scripts.live.processes import free_port  # noqa: E402

ONESEAL = str(Path(sys.executable).with_name("oneseal"))
PASSWORD = os.environ.get("ONESEAL_DEMO_PASSWORD", "oneseal-demo")
CJK = re.compile("[\u4e00-\u9fff]")
ITEM = "XK-0002"  # 食品经营许可证补办: decided at the window, a licence on the spot
SECRETS = {"market": "market-secret-0123456789abcdef", "health": "health-secret-0123456789abcdef"}


@dataclass
class Tally:
    requests: int = 0
    server_errors: int = 0
    bad_errors: int = 0
    lost: int = 0
    double_cases: int = 0
    ssrf_accepted: int = 0
    duplicates: int = 0
    normal_duplicates: int = 0
    out_of_order: int = 0
    kills: int = 0
    server_kills: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, text: str) -> None:
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            self.problems.append(f"{kind}: {text}")
        print(f"!! {kind}: {text}", flush=True)


TALLY = Tally()


# --------------------------------------------------------------------------- the receiver

@dataclass
class Receipt:
    department: str
    event_id: str
    licence: str
    type: str
    body: bytes
    at: float


class Receiver:
    """``/d/<department>``: checks the signature, records the event, answers 200 — or, while
    ``chaos`` is set, 500 or a timeout (received, but not known to be) now and then; while
    ``slow`` is set, late but within the sender's timeout. ``/redirect`` answers 302 to
    ``/followed`` (which must never be hit)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.receipts: list[Receipt] = []
        self.bad_signatures = 0
        self.followed = 0
        self.redirected = 0
        self.chaos = 0.0
        self.slow = 0.0
        self.port = free_port()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.startswith("/redirect"):
                    with receiver.lock:
                        receiver.redirected += 1
                    self.answer(302, {"Location": f"http://127.0.0.1:{receiver.port}/followed"})
                    return
                if self.path.startswith("/followed"):
                    with receiver.lock:
                        receiver.followed += 1
                    self.answer(200)
                    return
                department = self.path.rsplit("/", 1)[-1]
                try:
                    check_signature(self.headers.get("OneSeal-Signature"), SECRETS.get(department, "?" * 16),
                                    body, int(time.time()))
                except BadSignature:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.answer(401)
                    return
                roll = random.random()
                if roll < receiver.chaos / 2:
                    self.answer(500)  # refused before it is recorded: not delivered
                    return
                event = json.loads(body)
                with receiver.lock:
                    receiver.receipts.append(Receipt(department, self.headers["OneSeal-Event-Id"],
                                                     event["licence"]["number"], event["type"], body, time.time()))
                if roll < receiver.chaos:
                    time.sleep(3.5)  # past the sender's timeout: received, but not known to be
                elif random.random() < receiver.slow:
                    time.sleep(1.5)  # slow, but within the sender's timeout
                self.answer(200)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, department: str) -> str:
        return f"http://127.0.0.1:{self.port}/d/{department}"


# --------------------------------------------------------------------------- processes

class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log.open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([ONESEAL, *self.args], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, cwd=ROOT)

    def kill(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


class Server(Process):
    def __init__(self, env: dict[str, str], log_dir: Path, index: int, port: int) -> None:
        super().__init__(["serve", "--port", str(port)], env, log_dir / f"server-{index}.log")
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise SystemExit(f"server on {self.port} did not start")


# --------------------------------------------------------------------------- the client

class Api:
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
            answer = self._http().post(f"{self.servers[0].url}/api/v1/auth/token",
                                       json={"username": user, "password": PASSWORD}, timeout=60)
            assert answer.status_code == 200, answer.text
            self.tokens[user] = answer.json()["token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None = None, body: Any = None, *,
             raw: bytes | None = None, headers: dict[str, str] | None = None, server: int | None = None,
             timeout: float = 60, expect: tuple[int, ...] | None = None) -> requests.Response:
        target = self.servers[server if server is not None else random.randrange(len(self.servers))]
        sent = dict(headers or {})
        if user is not None:
            sent["Authorization"] = f"Bearer {self.token(user)}"
        if raw is None and body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
        if raw is not None:
            sent.setdefault("Content-Type", "application/json")
        response = self._http().request(method, target.url + path, data=raw, headers=sent, timeout=timeout,
                                        allow_redirects=False)
        with TALLY.lock:
            TALLY.requests += 1
        where = f"{method} {path[:100]} {(raw or b'')[:100]!r}"
        if response.status_code >= 500:
            TALLY.note("server_errors", f"{where} → {response.status_code} {response.text[:300]}")
        elif response.status_code >= 400 and path.startswith("/api/"):
            try:
                data = response.json()
                ok = isinstance(data.get("code"), str) and CJK.search(data.get("message", ""))
            except ValueError:
                ok = False
            if not ok:
                TALLY.note("bad_errors", f"{where} → {response.status_code} {response.text[:200]}")
        if expect is not None and response.status_code not in expect:
            TALLY.problems.append(f"{where} → {response.status_code} (wanted {expect}) {response.text[:200]}")
        return response


def race(api: Api, calls: list[dict[str, Any]]) -> list[requests.Response | Exception]:
    """Each call (``Api.call`` keywords) from its own thread, behind one barrier."""
    for call in calls:
        if call.get("user"):
            api.token(call["user"])
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | Exception] = [RuntimeError("no answer")] * len(calls)

    def fire(index: int, call: dict[str, Any]) -> None:
        barrier.wait()
        try:
            answers[index] = api.call(**call)
        except Exception as err:  # noqa: BLE001 - counted by the caller
            answers[index] = err

    threads = [threading.Thread(target=fire, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def code_of(answer: requests.Response | Exception) -> str:
    if isinstance(answer, Exception):
        return f"error:{type(answer).__name__}"
    try:
        return f"{answer.status_code}:{answer.json().get('code', '')}" if answer.status_code >= 400 \
            else str(answer.status_code)
    except ValueError:
        return str(answer.status_code)


# --------------------------------------------------------------------------- the bureau's side

class Bureau:
    def __init__(self, api: Api, db: sa.Engine) -> None:
        self.api, self.db = api, db
        items = api.call("GET", "/api/v1/items", "window").json()["items"]
        self.materials = [m["code"] for m in next(i for i in items if i["code"] == ITEM)["materials"]]

    def issue(self) -> str:
        """A 食品经营许可证 issued on the spot; its number."""
        body = {"item_code": ITEM, "applicant": {"name": f"攻击测试{uuid.uuid4().hex[:8]}餐饮店"},
                "materials": self.materials}
        case = self.api.call("POST", "/api/v1/cases", "window", body, expect=(201,)).json()
        done = self.api.call("POST", f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", "window",
                             {"decision": "approve", "opinion": "当场办结",
                              "data": {"scope": "预包装食品销售（含冷藏冷冻食品）"}}, expect=(200,)).json()["case"]
        return str(done["certificates"][0]["number"])

    def apply(self, number: str, action: str) -> None:
        """The holder's 注销 or 变更 (then 制证: a new number superseding the old), worked to the end."""
        body = {"action": "cancellation", "reason": "停止经营"} if action == "cancellation" else \
            {"action": "change", "scope": f"散装食品销售{uuid.uuid4().hex[:4]}"}
        answer = self.api.call("POST", f"/api/v1/certificates/{number}/applications", "window", body, expect=(201,))
        case = answer.json()
        case = case.get("case", case)
        for _step in range(8):
            if not case.get("tasks"):
                return
            task = case["tasks"][0]
            path = f"/api/v1/tasks/{task['id']}/complete"
            answer = self.api.call("POST", path, task["candidates"][0],
                                   {"decision": "approve", "opinion": "同意", "data": {}})
            if answer.status_code == 400:  # a step without a decision (制证, 送达)
                answer = self.api.call("POST", path, task["candidates"][0], {"opinion": "已办", "data": {}})
            if answer.status_code != 200:
                TALLY.problems.append(f"{action} {number} at {task['name']}: {answer.text[:200]}")
                return
            case = answer.json()["case"]
        TALLY.problems.append(f"{action} {number}: still open after 8 steps")

    def open_cases(self, number: str) -> int:
        """Open cases about the licence: its findings' and its holder's applications."""
        with self.db.connect() as conn:
            cid = conn.execute(sa.text("SELECT id FROM certificates WHERE number = :n"), {"n": number}).scalar_one()
            findings = conn.execute(sa.text(
                "SELECT count(*) FROM supervision_findings f JOIN cases c ON c.id = f.case_id "
                "WHERE f.certificate_id = :c AND c.completed_at IS NULL"), {"c": cid}).scalar_one()
            applications = conn.execute(sa.text(
                "SELECT count(*) FROM licence_applications a JOIN cases c ON c.id = a.case_id "
                "WHERE a.certificate_id = :c AND c.completed_at IS NULL "
                "AND a.case_id NOT IN (SELECT case_id FROM supervision_findings)"), {"c": cid}).scalar_one()
            return int(findings) + int(applications)

    def findings_of(self, number: str) -> int:
        with self.db.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM supervision_findings WHERE licence_number = :n"),
                                    {"n": number}).scalar_one())


def finding(number: str, action: str = "revoke") -> dict[str, Any]:
    return {"licence_number": number, "action": action, "reason": "以欺骗手段取得许可",
            "evidence": [{"name": "现场检查笔录", "description": "攻击测试"}]}


def signed_headers(body: bytes, secret: str, department: str = "market", at: int | None = None) -> dict[str, str]:
    return {"OneSeal-Department": department,
            "OneSeal-Signature": signature(secret, int(time.time()) if at is None else at, body),
            "Content-Type": "application/json"}


# --------------------------------------------------------------------------- 1. findings

def same_key_on_both_servers(api: Api, bureau: Bureau, rounds: int) -> None:
    for index in range(rounds):
        number = bureau.issue()
        key = f"same-{uuid.uuid4()}"
        signed = index % 2 == 1
        raw = json.dumps(finding(number), ensure_ascii=False).encode()
        call: dict[str, Any] = {"method": "POST", "path": "/api/v1/supervision/findings", "raw": raw}
        if signed:
            headers = {**signed_headers(raw, SECRETS["market"]), "Idempotency-Key": key}
        else:
            call["user"] = "supervisor_market"
            headers = {"Idempotency-Key": key}
        answers = race(api, [{**call, "headers": headers, "server": i % 2} for i in range(4)])
        final = []
        for i, answer in enumerate(answers):
            for _ in range(60):
                if isinstance(answer, requests.Response) and not (
                        answer.status_code == 409 and answer.json().get("code") == "request_in_progress"):
                    break
                time.sleep(0.3)
                answer = api.call(**call, headers=headers, server=i % 2)
            final.append(answer)
        texts = {a.text for a in final if isinstance(a, requests.Response)}
        codes = [code_of(a) for a in final]
        if len(texts) != 1 or codes[0] != "201":
            TALLY.problems.append(f"same key {number}: answers differ {codes} {[t[:80] for t in texts]}")
        found = bureau.findings_of(number)
        if found != 1 or bureau.open_cases(number) != 1:
            TALLY.note("double_cases", f"same key on both servers: {found} findings, "
                       f"{bureau.open_cases(number)} open cases for {number}")


def different_keys_one_licence(api: Api, bureau: Bureau, rounds: int) -> None:
    for _ in range(rounds):
        number = bureau.issue()
        raw = json.dumps(finding(number, random.choice(["revoke", "withdraw", "cancel", "change"])),
                         ensure_ascii=False).encode()
        calls = [{"method": "POST", "path": "/api/v1/supervision/findings", "user": "supervisor_market", "raw": raw,
                  "headers": {"Idempotency-Key": f"k-{uuid.uuid4()}"}, "server": i % 2} for i in range(6)]
        codes = Counter(code_of(a) for a in race(api, calls))
        if codes != Counter({"201": 1, "409:finding_pending": 5}):
            TALLY.problems.append(f"different keys for {number}: {dict(codes)}")
        if bureau.open_cases(number) != 1:
            TALLY.note("double_cases", f"different keys: {bureau.open_cases(number)} open cases for {number}")


def finding_against_application(api: Api, bureau: Bureau, rounds: int) -> None:
    """The supervisor's finding and the window's 变更/注销 for one licence, at once — and one after
    the other, both ways round: never two open cases about the licence."""
    for index in range(rounds):
        number = bureau.issue()
        action = ["revoke", "withdraw", "cancel", "change"][index % 4]
        application = {"action": "change", "scope": "散装食品销售"} if index % 2 else \
            {"action": "cancellation", "reason": "停止经营"}
        calls = [{"method": "POST", "path": "/api/v1/supervision/findings", "user": "supervisor_market",
                  "body": finding(number, action), "headers": {"Idempotency-Key": f"r-{uuid.uuid4()}"}, "server": 0},
                 {"method": "POST", "path": f"/api/v1/certificates/{number}/applications", "user": "window",
                  "body": application, "server": 1}]
        if index % 3 == 2:  # sequential: the finding first, then the window's application
            answers = [api.call(**calls[0]), api.call(**calls[1])]
        elif index % 3 == 1:  # sequential: the application first
            answers = [api.call(**calls[1]), api.call(**calls[0])]
        else:
            answers = race(api, calls)
        codes = sorted(code_of(a) for a in answers)
        opened = bureau.open_cases(number)
        if opened != 1:
            TALLY.note("double_cases", f"finding {action} vs application {application['action']} on {number}: "
                       f"{codes}, {opened} open cases")


def hostile_findings(api: Api, bureau: Bureau) -> None:
    number = bureau.issue()
    base = finding(number)
    templates: dict[str, str] = {}
    for name in ("licence_number", "action", "reason", "evidence", "changes"):
        templates[name] = json.dumps({**base, name: "@@"}, ensure_ascii=False)
    templates["evidence.name"] = json.dumps({**base, "evidence": [{"name": "@@", "description": "x"}]},
                                            ensure_ascii=False)
    templates["evidence.description"] = json.dumps({**base, "evidence": [{"name": "x", "description": "@@"}]},
                                                   ensure_ascii=False)
    templates["changes.scope"] = json.dumps({**base, "action": "change", "changes": {"scope": "@@"}},
                                            ensure_ascii=False)
    templates["extra"] = json.dumps({**base, "@@x": 1}, ensure_ascii=False).replace('"@@x"', '"x"')
    templates["whole"] = "@@"
    for where, template in templates.items():
        for value in HOSTILE_JSON:
            raw = template.replace('"@@"', value).encode("utf-8", "surrogatepass")
            for signed in (False, True):
                headers = {"Idempotency-Key": f"h-{uuid.uuid4()}"}
                if signed:
                    headers.update(signed_headers(raw, SECRETS["market"]))
                answer = api.call("POST", "/api/v1/supervision/findings", None if signed else "supervisor_market",
                                  raw=raw, headers=headers)
                if answer.status_code == 201:  # a harmless value was accepted: a fresh licence for the rest
                    old, number = number, bureau.issue()
                    template = template.replace(json.dumps(old), json.dumps(number))
    # hostile Idempotency-Keys and headers
    for key in ("", "x" * 129, "x" * 5000, "\u00e9\u00e8", "a\tb", "a b"):
        api.call("POST", "/api/v1/supervision/findings", "supervisor_market", finding(number),
                 headers={"Idempotency-Key": key})


def signature_attacks(api: Api, bureau: Bureau) -> None:
    number = bureau.issue()
    raw = json.dumps(finding(number), ensure_ascii=False).encode()
    now = int(time.time())
    good = signature(SECRETS["market"], now, raw)
    v1 = good.partition("v1=")[2]
    attacks: dict[str, dict[str, str] | tuple[dict[str, str], bytes]] = {
        "stale": signed_headers(raw, SECRETS["market"], at=now - 400),
        "future": signed_headers(raw, SECRETS["market"], at=now + 400),
        "tampered": (signed_headers(raw, SECRETS["market"]), raw.replace("以欺骗".encode(), "以贿赂".encode())),
        "missing t": {"OneSeal-Department": "market", "OneSeal-Signature": f"v1={v1}"},
        "t twice": {"OneSeal-Department": "market", "OneSeal-Signature": f"t={now},t={now},v1={v1}"},
        "t superscript": {"OneSeal-Department": "market", "OneSeal-Signature": f"t=\u00b2,v1={v1}"},
        "t one-half": {"OneSeal-Department": "market", "OneSeal-Signature": f"t=\u00bd{now},v1={v1}"},
        "t negative": {"OneSeal-Department": "market", "OneSeal-Signature": f"t=-{now},v1={v1}"},
        "t huge": {"OneSeal-Department": "market", "OneSeal-Signature": f"t={'9' * 400},v1={v1}"},
        "v1 twice, both wrong": {"OneSeal-Department": "market",
                                 "OneSeal-Signature": f"t={now},v1={'0' * 64},v1={'f' * 64}"},
        "v1 empty": {"OneSeal-Department": "market", "OneSeal-Signature": f"t={now},v1="},
        "v1 non-hex": {"OneSeal-Department": "market", "OneSeal-Signature": f"t={now},v1=\u00e9\u00e9"},
        "other department's secret": signed_headers(raw, SECRETS["health"]),
        # rightly signed by health, but the licence is market's: 403
        "other department's name": signed_headers(raw, SECRETS["health"], department="health"),
        "unknown department": signed_headers(raw, SECRETS["market"], department="nobody"),
        "window department": signed_headers(raw, SECRETS["market"], department="window"),
        "no department": {"OneSeal-Signature": good},
        "empty signature": {"OneSeal-Department": "market", "OneSeal-Signature": ""},
        "huge header": {"OneSeal-Department": "market", "OneSeal-Signature": f"t={now}," + ",".join(
            f"v1={'0' * 64}" for _ in range(900))},
        "huge department": {"OneSeal-Department": "m" * 60_000, "OneSeal-Signature": good},
        "department with spaces": {"OneSeal-Department": "market\t ,", "OneSeal-Signature": f"t={now},v1={'0' * 64}"},
        "commas only": {"OneSeal-Department": "market", "OneSeal-Signature": ",,,,==,,"},
    }
    for name, attack in attacks.items():
        headers, body = attack if isinstance(attack, tuple) else (attack, raw)
        headers = {**headers, "Idempotency-Key": f"s-{uuid.uuid4()}", "Content-Type": "application/json"}
        try:
            answer = api.call("POST", "/api/v1/supervision/findings", raw=body, headers=headers)
        except requests.RequestException as err:
            TALLY.problems.append(f"signature attack {name}: no answer {err!r}")
            continue
        wanted = "403:licence_not_supervised" if name == "other department's name" else "401:bad_signature"
        if code_of(answer) != wanted:
            TALLY.problems.append(f"signature attack {name}: {answer.status_code} {answer.text[:160]}")
            if answer.status_code < 300:
                TALLY.note("double_cases" if bureau.findings_of(number) > 1 else "bad_errors",
                           f"signature attack {name} accepted")
    # a replay of a good signed request with the same key: the same answer, one finding
    headers = {**signed_headers(raw, SECRETS["market"]), "Idempotency-Key": f"replay-{uuid.uuid4()}"}
    first = api.call("POST", "/api/v1/supervision/findings", raw=raw, headers=headers)
    again = api.call("POST", "/api/v1/supervision/findings", raw=raw, headers=headers)
    if first.status_code != 201 or again.text != first.text or bureau.findings_of(number) != 1:
        TALLY.note("double_cases", f"signed replay: {first.status_code}/{again.status_code}, "
                   f"{bureau.findings_of(number)} findings")


def kill_rounds(api: Api, bureau: Bureau, rounds: int) -> None:
    for index in range(rounds):
        server = api.servers[index % 2]
        number = bureau.issue()
        key = f"kill-{uuid.uuid4()}"
        body = finding(number, random.choice(["revoke", "withdraw", "cancel"]))
        api.token("supervisor_market")
        sender = threading.Thread(target=lambda: _quiet(api.call, "POST", "/api/v1/supervision/findings",
                                                        "supervisor_market", body, headers={"Idempotency-Key": key},
                                                        server=index % 2, timeout=30))
        sender.start()
        time.sleep(random.uniform(0, 0.4))
        server.kill()
        TALLY.server_kills += 1
        sender.join()
        server.start()
        answers = []
        for _ in range(2):
            for _attempt in range(60):
                try:
                    answer = api.call("POST", "/api/v1/supervision/findings", "supervisor_market", body,
                                      headers={"Idempotency-Key": key}, server=index % 2, timeout=30)
                except requests.RequestException:
                    time.sleep(0.5)
                    continue
                if answer.status_code == 409 and answer.json().get("code") == "request_in_progress":
                    time.sleep(float(answer.headers.get("Retry-After", "1")))
                    continue
                break
            answers.append(answer)
        if answers[0].status_code != 201 or answers[0].text != answers[1].text:
            TALLY.problems.append(f"kill retry {number}: {answers[0].status_code} {answers[0].text[:160]}")
        if bureau.findings_of(number) != 1 or bureau.open_cases(number) != 1:
            TALLY.note("double_cases", f"kill retry {number}: {bureau.findings_of(number)} findings, "
                       f"{bureau.open_cases(number)} open cases")


def _quiet(fn: Any, *args: Any, **kw: Any) -> None:
    try:
        fn(*args, **kw)
    except requests.RequestException:
        pass


# --------------------------------------------------------------------------- 2. endpoints

def ssrf(api: Api, receiver: Receiver, bureau: Bureau, server_port: int) -> None:
    port = receiver.port
    urls = [
        "http://2130706433/", f"http://2130706433:{port}/", "http://0x7f.1/", "http://0x7f000001/",
        "http://0177.0.0.1/", "http://017700000001/", "http://127.1/", "http://127.0.0.1/", "http://127.000.000.001/",
        "http://[::ffff:127.0.0.1]/", f"http://[::ffff:127.0.0.1]:{port}/", "http://[::ffff:7f00:1]/",
        "http://[::1]/", f"http://[::1]:{port}/", "http://[0:0:0:0:0:0:0:1]/", "http://[::]/", "http://[fe80::1%25eth0]/",
        "http://[fc00::1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
        "http://0.0.0.0/", f"http://0.0.0.0:{port}/", "http://0/", "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/", "http://169.254.169.254.nip.io/", "http://100.64.0.1/",
        "http://100.127.255.254/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
        "http://192.0.0.1/", "http://198.18.0.1/", "http://224.0.0.1/", "http://255.255.255.255/",
        "http://240.0.0.1/", "http://example.com@127.0.0.1/", f"http://x:y@127.0.0.1:{port}/",
        f"http://127.0.0.1:{port}@example.com/", "http://127.0.0.1#@example.com/", "http://example.com#@127.0.0.1/",
        "http://localhost/", "http://localhost./", "http://LOCALHOST/", "http://LocalHost./", "http://foo.localhost/",
        "http://localhost.localdomain/", "http://ｌｏｃａｌｈｏｓｔ/", "http://127。0。0。1/", "http://①②⑦.0.0.1/",
        f"http://127.0.0.1:{server_port}/", f"http://127.0.0.1:{server_port}/api/v1/health", "http://127.0.0.1./",
        f"http://127.0.0.1.:{port}/", f"http://[::1]:{server_port}/", "file:///etc/passwd", "gopher://127.0.0.1:6379/_",
        "ftp://example.com/", "dict://127.0.0.1:11211/", "javascript:alert(1)", "data:text/plain,hi", "//127.0.0.1/",
        "127.0.0.1", "http:/127.0.0.1/", "http:\\\\127.0.0.1\\", "ht\ntp://127.0.0.1/", "http://127.0.0.1\r\n.example.com/",
        f"http://127.0.0.1:{port}/d/market\r\nX-Injected: 1", f"http://127.0.0.1:{port}/d/mar\nket",
        f"http://127.0.0.1:{port}/d/\tmarket", f"http://127.0.0.1:{port}/d/\x7fmarket",
        f"http://127.0.0.1:{port}\n/d/market", f"http://127.0.0.1:{port}/d/market\x0bx",
        "http://" + "a" * 70 + ".com/", "http://" + "a." * 1100 + "com/", f"http://127.0.0.1:{port}/" + "x" * 5000,
        f"http://127.0.0.1:{port}/" + "x" * 1990, "http://127.0.0.1:99999/", "http://127.0.0.1:-1/",
        "http://127.0.0.1:0/", "http:// /", "http://", "https://", "http://[/", "http://[::1/", "http://%00/",
        "http://%31%32%37.0.0.1/", "http://127.0.0.1%2f@example.com/",
    ]
    for url in urls:
        answer = api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
                          {"url": url, "secret": SECRETS["health"]})
        if answer.status_code < 300:
            TALLY.note("ssrf_accepted", f"endpoint {url!r} accepted")
    # hostile department names in the path
    for name in ("window", "../market", "..%2fmarket", "market%00", "market%0d%0a", "MARKET", "market ",
                 "%E5%B8%82%E5%9C%BA", "x" * 3000, "%ud800", "market;DROP TABLE x", "%3Cscript%3E", "__proto__"):
        for method in ("PUT", "DELETE"):
            api.call(method, f"/api/v1/supervision/endpoints/{name}", "admin",
                     {"url": receiver.url("market"), "secret": SECRETS["market"]} if method == "PUT" else None)
    # secrets with control characters, and odd bodies
    for secret in ("a" * 15, "\x01" * 20, "secret-with-nl\n0123456", "secret\u202e0123456789", "\u200b" * 20,
                   "s" * 257, " " * 20, 12345678901234567890, None, ["x" * 20], {"a": "b"}):
        api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
                 {"url": receiver.url("health"), "secret": secret})
    for raw in HOSTILE_JSON[::3]:
        api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
                 raw=f'{{"url": {raw}, "secret": "{SECRETS["health"]}"}}'.encode("utf-8", "surrogatepass"))
        api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
                 raw=f'{{"url": "{receiver.url("health")}", "secret": "{SECRETS["health"]}", "items": {raw}}}'
                 .encode("utf-8", "surrogatepass"))
    # a receiver that redirects to loopback: not followed, a failed attempt
    api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
             {"url": f"http://127.0.0.1:{port}/redirect", "secret": SECRETS["health"], "items": [ITEM]},
             expect=(200, 201))
    number = bureau.issue()
    deadline = time.monotonic() + 30
    while receiver.redirected == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(1)
    with bureau.db.connect() as conn:
        state = conn.execute(sa.text(
            "SELECT d.state, d.attempts FROM supervision_deliveries d WHERE d.department = 'health' "
            "AND d.licence_number = :n ORDER BY d.id LIMIT 1"), {"n": number}).one()
    if receiver.redirected == 0 or receiver.followed or state.state == "delivered":
        TALLY.note("ssrf_accepted", f"redirect: sent {receiver.redirected}, followed {receiver.followed}, "
                   f"delivery {state.state}")
    api.call("PUT", "/api/v1/supervision/endpoints/health", "admin",
             {"url": receiver.url("health"), "secret": SECRETS["health"], "items": [ITEM]}, expect=(200,))


def desk_attacks(api: Api, db: sa.Engine) -> None:
    """The desk's lists and details: hostile query values and ids; a department sees only its own."""
    texts = ["", "'", "' OR 1=1 --", "x" * 65, "x" * 5000, "<script>", "%", "_", "\u202e", "１", "-1", "0",
             "99999999999999999999", "market", "health", "window", "pending", "licence.granted"]
    for path in ("/api/v1/supervision/events", "/api/v1/supervision/findings", "/api/v1/supervision/summary"):
        for name in ("department", "state", "type", "licence", "page", "page_size"):
            for value in texts:
                for user in ("admin", "supervisor_health"):
                    api.call("GET", f"{path}?{name}={requests.utils.quote(value)}", user)
    with db.connect() as conn:
        market = conn.execute(sa.text("SELECT min(id) FROM supervision_deliveries WHERE department = 'market'"))
        market_id = int(market.scalar_one() or 1)
    for value in ("0", "-1", "99999999999999999999", "1e3", "%00", "x", str(market_id)):
        api.call("GET", f"/api/v1/supervision/deliveries/{value}", "admin")
        api.call("POST", f"/api/v1/supervision/deliveries/{value}/redeliver", "admin")
    seen = api.call("GET", f"/api/v1/supervision/deliveries/{market_id}", "supervisor_health")
    if seen.status_code == 200:
        TALLY.note("bad_errors", "supervisor_health sees a delivery to market")
    listed = api.call("GET", "/api/v1/supervision/events?department=market&page_size=100", "supervisor_health")
    if listed.status_code == 200 and any(d["department"] != "health" for d in listed.json()["deliveries"]):
        TALLY.note("bad_errors", "supervisor_health lists the deliveries to market")
    if api.call("POST", f"/api/v1/supervision/deliveries/{market_id}/redeliver", "supervisor_market").status_code < 300:
        TALLY.note("bad_errors", "a supervisor redelivered")
    for user in ("supervisor_market", "window", "leader_market"):
        if api.call("PUT", "/api/v1/supervision/endpoints/market", user,
                    {"url": "http://93.184.216.34/", "secret": "s" * 20}).status_code < 300:
            TALLY.note("ssrf_accepted", f"{user} set an endpoint")


# --------------------------------------------------------------------------- 3. delivery under chaos

def all_delivered(db: sa.Engine) -> tuple[int, int]:
    with db.connect() as conn:
        open_ = conn.execute(sa.text("SELECT count(*) FROM supervision_deliveries WHERE state <> 'delivered'"))
        failed = conn.execute(sa.text("SELECT count(*) FROM supervision_deliveries WHERE state = 'failed'"))
        return int(open_.scalar_one()), int(failed.scalar_one())


def wait_delivered(api: Api, db: sa.Engine, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending, failed = all_delivered(db)
        if failed:  # an incident: the administrator redelivers (as on the desk)
            with db.connect() as conn:
                for (delivery_id,) in conn.execute(sa.text(
                        "SELECT id FROM supervision_deliveries WHERE state = 'failed'")):
                    api.call("POST", f"/api/v1/supervision/deliveries/{delivery_id}/redeliver", "admin")
        if not pending:
            return
        time.sleep(1)


def chaos(api: Api, bureau: Bureau, receiver: Receiver, workers: list[Process], licences: int) -> None:
    stop = threading.Event()

    def killer() -> None:
        while not stop.wait(random.uniform(0.5, 3.0)):
            worker = workers[0]
            worker.kill()
            TALLY.kills += 1
            time.sleep(random.uniform(0, 1.0))
            worker.start()

    receiver.chaos = 0.25
    thread = threading.Thread(target=killer)
    thread.start()
    issued: list[str] = []
    try:
        for index in range(licences):
            issued.append(bureau.issue())
            if index % 3 == 0:
                bureau.apply(issued[-1], "cancellation")
            elif index % 3 == 1:
                bureau.apply(issued[-1], "change")
    finally:
        stop.set()
        thread.join()
        receiver.chaos = 0.0
    print(f"chaos: {licences} licences, worker kills so far {TALLY.kills}", flush=True)


def check_receipts(db: sa.Engine, receiver: Receiver, after_id: int | None = None) -> None:
    """Every delivery delivered and received; in order per (department, licence); a duplicate
    has the same body. Deliveries after ``after_id`` (no kill meanwhile) must have come once."""
    with db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT d.id, d.event_id, d.department, d.licence_number, d.state "
            "FROM supervision_deliveries d JOIN supervision_endpoints p ON p.department = d.department ORDER BY d.id")).all()
    with receiver.lock:
        receipts = list(receiver.receipts)
    got: dict[tuple[str, str], list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        got[(receipt.department, receipt.event_id)].append(receipt)
    expected: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        if row.state != "delivered" or (row.department, row.event_id) not in got:
            TALLY.note("lost", f"delivery {row.id} ({row.department}, {row.licence_number}) {row.state}, "
                       f"received {(row.department, row.event_id) in got}")
        expected[(row.department, row.licence_number)].append(row.event_id)
        copies = got.get((row.department, row.event_id), [])
        if len({c.body for c in copies}) > 1:
            TALLY.problems.append(f"event {row.event_id} received with different bodies")
        if len(copies) > 1:
            TALLY.duplicates += len(copies) - 1
            if after_id is not None and row.id > after_id:
                TALLY.note("normal_duplicates", f"event {row.event_id} sent {len(copies)} times with no kill")
    line = {(row.department, row.event_id): row.licence_number for row in rows}  # the licence's first number
    first_seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for receipt in receipts:
        order = first_seen[(receipt.department, line.get((receipt.department, receipt.event_id), receipt.licence))]
        if receipt.event_id not in order:
            order.append(receipt.event_id)
    for key, ids in expected.items():
        seen = [i for i in first_seen.get(key, []) if i in ids]
        if seen != ids[:len(seen)]:
            TALLY.note("out_of_order", f"{key}: received {seen}, written {ids}")


# --------------------------------------------------------------------------- main

def command(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = subprocess.run([ONESEAL, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds of each finding race")
    parser.add_argument("--kills", type=int, default=6, help="servers SIGKILLed mid-finding")
    parser.add_argument("--licences", type=int, default=60, help="licences issued under chaos")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log-dir", default="reports/attack_push")
    args = parser.parse_args()
    random.seed(args.seed)
    receiver = Receiver()
    ports = [free_port(), free_port()]
    env = dict(os.environ)
    env.setdefault("ONESEAL_SECRET_KEY", uuid.uuid4().hex)
    env.update(ONESEAL_SUPERVISION_ALLOWED_HOSTS=f"127.0.0.1:{receiver.port}", ONESEAL_DELIVERY_BACKOFF_S="1",
               ONESEAL_DELIVERY_LEASE_S="5", ONESEAL_DELIVERY_TIMEOUT_S="2", ONESEAL_DELIVERY_POLL_MS="200",
               ONESEAL_PUBLIC_URL=f"http://127.0.0.1:{ports[0]}")
    database = env.get("ONESEAL_DATABASE_URL")
    if not database:
        raise SystemExit("ONESEAL_DATABASE_URL must name a database of your own")
    print(f"database: {database}", flush=True)
    code, out = command(env, "init-db", "--demo")
    if code:
        raise SystemExit(out)
    db = sa.create_engine(database)
    log_dir = ROOT / args.log_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = [Server(env, log_dir, i, ports[i]) for i in range(2)]
    workers = [Process(["worker"], env, log_dir / f"worker-{i}.log") for i in range(2)]
    started = time.monotonic()
    try:
        for server in servers:
            server.start()
        api = Api(servers)
        for department, secret in SECRETS.items():
            api.call("PUT", f"/api/v1/supervision/endpoints/{department}", "admin",
                     {"url": receiver.url(department), "secret": secret}, expect=(200, 201))
        workers[0].start()
        bureau = Bureau(api, db)
        same_key_on_both_servers(api, bureau, args.rounds)
        different_keys_one_licence(api, bureau, args.rounds)
        finding_against_application(api, bureau, args.rounds * 2)
        print(f"finding races done: requests={TALLY.requests} ({time.monotonic() - started:.0f} s)", flush=True)
        signature_attacks(api, bureau)
        hostile_findings(api, bureau)
        print(f"hostile findings done: requests={TALLY.requests} ({time.monotonic() - started:.0f} s)", flush=True)
        kill_rounds(api, bureau, args.kills)
        ssrf(api, receiver, bureau, ports[0])
        desk_attacks(api, db)
        print(f"findings and endpoints done: requests={TALLY.requests} ({time.monotonic() - started:.0f} s)",
              flush=True)
        chaos(api, bureau, receiver, workers, args.licences)
        wait_delivered(api, db, 240)
        check_receipts(db, receiver)
        # two workers, a healthy receiver, then a slow one: nothing sent twice without a kill
        workers[1].start()
        time.sleep(3)
        with db.connect() as conn:
            after_id = int(conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM supervision_deliveries"))
                           .scalar_one())
        for _ in range(args.licences // 2):
            bureau.issue()
        wait_delivered(api, db, 60)
        for worker in workers:  # a backlog, then both workers at once to a slow receiver
            worker.stop()
        for _ in range(args.licences):
            bureau.issue()
        receiver.slow = 1.0
        for worker in workers:
            worker.start()
        wait_delivered(api, db, 120)
        receiver.slow = 0.0
        wait_delivered(api, db, 240)
        check_receipts(db, receiver, after_id=after_id)
    finally:
        for process in [*workers, *servers]:
            process.stop()
    for problem in TALLY.problems:
        print("problem:", problem)
    print(f"receipts={len(receiver.receipts)} duplicates={TALLY.duplicates} normal_duplicates="
          f"{TALLY.normal_duplicates} out_of_order={TALLY.out_of_order} bad_signatures={receiver.bad_signatures} "
          f"worker_kills={TALLY.kills} server_kills={TALLY.server_kills} problems={len(TALLY.problems)} "
          f"({time.monotonic() - started:.0f} s)")
    print(f"requests={TALLY.requests} 5xx={TALLY.server_errors} bad_errors={TALLY.bad_errors} lost={TALLY.lost} "
          f"double_cases={TALLY.double_cases} ssrf_accepted={TALLY.ssrf_accepted}")


if __name__ == "__main__":
    main()
