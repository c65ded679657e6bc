"""The figures' roll-ups (效能统计), the audit trail written at commit and the case numbers taken
last, attacked from outside over HTTP, on real processes, with SIGKILL.

Starts ``oneseal serve --workers 2 --server gunicorn`` and ``oneseal worker --interval 1`` (the
in-process worker, no broker) on a fresh database (``--database-url``: a PostgreSQL server, a new
database is made on it and dropped afterwards; ``sqlite``: a SQLite file). Then, for ``--minutes``:

- **writers** (client processes, ``scripts/live/traffic.py`` with every write under an
  ``Idempotency-Key``, sent again with the same key when no answer came): registrations (XK-0001
  mostly, XK-0002 at the window), acceptances, returns for supplement and the resubmissions,
  refusals, completions to the end; each registration answered 201 is counted in shared memory;
- **readers** (client processes) as ``efficiency``, ``auditor`` and ``admin``:
  ``GET /api/v1/statistics`` (today, this month so far, the whole month and the whole year — the
  monthly roll-ups —, the market department, the item XK-0001), ``/api/v1/statistics.xlsx``, the
  ``/statistics`` page signed in with a browser session, ``GET /api/v1/audit/events``; after every
  answer the figure ``received`` must be at least what it was before the run plus the
  registrations the writers had been told succeeded *before the request was sent*
  (``stale_reads`` otherwise), and never less than the reader's previous answer to the same
  question; ``oneseal stats --format json`` is read the same way now and then;
- **hostile values** to the statistics endpoints (dates missing, reversed, out of range, not dates,
  NUL, lone surrogates, Arabic and full-width digits, very long, arrays, unknown department, item,
  reviewer, figure and page); every 5xx is counted, and every 4xx of ``/api/`` without a JSON body
  holding a ``code`` and a Chinese ``message`` is a ``bad_error``;
- **a race on the first certificate or refusal of the year** of each immediate item: two window
  decisions sent at the same instant (the loser's certificate counter insert fails in a savepoint);
- **a revocation**: a 告知承诺 case (XK-0019) approved on the spot, its commitment found untrue
  at the check afterwards, the licence revoked by the follow-up case (撤销): the parent's result
  changes long after it was concluded, which the roll-ups must follow like any other change;
- **kills**: SIGKILL to one gunicorn worker process, to the whole server, or to the worker, at
  random moments (``--kill-every`` seconds on average, at least 8 in 3 minutes), each restarted.

Afterwards the worker is waited for (``figure_refreshes`` empty), then stopped; one registration
is made and read back (its mark must be gone after the read); ``oneseal audit verify``,
``oneseal check cases``, ``oneseal db check``; ``GET /api/v1/statistics`` for the whole period and
the roll-up tables before and after ``oneseal stats rebuild --from <first day> --to <today>`` (every
figure and every row equal: ``rebuild_mismatch``); the case numbers unique, consecutive per year
from 1, none provisional (``~…``) in any row of any table nor in any answer; every case with one
``case_registered`` event, every completed step with one ``task_completed`` event; every
registration and completion a client was told of exists exactly once (``scripts/live/verdict.py``).

    .venv/bin/python scripts/attack_statistics.py [--minutes 3] [--database-url URL|sqlite]
        [--writers 4] [--readers 3] [--kill-every S] [--keep]

Last line: ``requests=<n> 5xx=<n> bad_errors=<n> stale_reads=<n> rebuild_mismatch=<n>
audit=ok|broken numbers=ok|bad lost=<n> double=<n> kills=<n>``; exit status 1 on any defect.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from scripts.live import traffic as traffic_module  # noqa: E402
from scripts.live.client import Answer, Client  # noqa: E402
from scripts.live.database import PASSWORD, environment, oneseal, run_command, seed, throwaway_database  # noqa: E402
from scripts.live.processes import Child, Servers, answers, worker  # noqa: E402
from scripts.live.traffic import MARKER, Plan, Traffic, read_records  # noqa: E402
from scripts.live.verdict import judge  # noqa: E402

BEIJING = ZoneInfo("Asia/Shanghai")
CJK = re.compile("[\u4e00-\u9fff]")
#: a provisional case number (``app/services/stepping/opening.py`` ``_provisional_number``)
PROVISIONAL = re.compile(r"~[0-9a-f]{14}")
#: what the writers register
WRITE_ITEMS = {"XK-0001": 0.85, "XK-0002": 0.15}
#: immediate items decided at the window: the first licence / refusal of the year of each, raced
RACE_ITEMS = ("XK-0002", "XK-0006", "XK-0010", "XK-0021", "XK-0026")
TRACKED = ("XK-0001", "XK-0002", "XK-0006", "XK-0010", "XK-0021", "XK-0026")
READER_USERS = ("efficiency", "auditor", "admin")
GIVE_UP_S = 120


# --------------------------------------------------------------------------- tallies

@dataclass
class Tally:
    """What one process saw: requests sent, 5xx, bad refusals, provisional numbers, stale reads."""

    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    bad_errors: list[str] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    infra: list[str] = field(default_factory=list)
    reads: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def saw(self, method: str, path: str, status: int, body: Any, *, json_api: bool | None = None) -> None:
        where = f"{method} {path[:160]}"
        with self.lock:
            if status >= 500:
                self.server_errors.append(f"{where} → {status} {str(body)[:300]}")
            elif 400 <= status < 500 and (path.startswith("/api/") if json_api is None else json_api):
                ok = isinstance(body, dict) and isinstance(body.get("code"), str) and body["code"] \
                    and CJK.search(str(body.get("message", "")))
                if not ok:
                    self.bad_errors.append(f"{where} → {status} {str(body)[:300]}")
            if status and body is not None:
                text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
                found = PROVISIONAL.search(text)
                if found:
                    self.provisional.append(f"{where} → {status}: {found.group(0)}")

    def note(self, kind: str, text: str) -> None:
        with self.lock:
            getattr(self, kind).append(text)
        if kind in ("stale", "server_errors", "bad_errors", "provisional"):
            print(f"!! {kind}: {text}", flush=True)

    def dump(self, kind: str = "") -> dict[str, Any]:
        return {"kind": kind, "sent": self.sent, "server_errors": self.server_errors, "bad_errors": self.bad_errors,
                "provisional": self.provisional, "stale": self.stale, "unexpected": self.unexpected,
                "infra": self.infra, "reads": self.reads}


class CountingClient(Client):
    """The keep-alive client of ``scripts/live``, every answer shown to a tally."""

    def __init__(self, port: int, tally: Tally) -> None:
        super().__init__(port)
        self.tally = tally

    def once(self, method: str, path: str, body: Any = None, *, token: str | None = None,
             key: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        before = self.sent
        answer = super().once(method, path, body, token=token, key=key, headers=headers)
        with self.tally.lock:
            self.tally.sent += self.sent - before
        if answer.status:
            self.tally.saw(method, path, answer.status, answer.body)
        return answer


def raw(port: int, method: str, path: str, headers: dict[str, str] | None = None,
        body: bytes | None = None, timeout: float = 120) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own: status (0: no answer), headers, body bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except (OSError, http.client.HTTPException):
        return 0, {}, b""
    finally:
        connection.close()


def parsed(headers: dict[str, str], data: bytes) -> Any:
    if "json" in headers.get("content-type", ""):
        try:
            return json.loads(data)
        except ValueError:
            return data.decode("utf-8", "replace")
    if "spreadsheetml" in headers.get("content-type", ""):
        return None
    return data.decode("utf-8", "replace")


def send(tally: Tally, port: int, method: str, path: str, headers: dict[str, str] | None = None, *,
         until: float | None = None, json_api: bool | None = None) -> tuple[int, dict[str, str], bytes]:
    """A read sent until an answer comes (the server may be down for a restart), every answer tallied."""
    give_up = (until or time.time()) + GIVE_UP_S
    while True:
        with tally.lock:
            tally.sent += 1
        status, answer_headers, data = raw(port, method, path, headers)
        if status:
            tally.saw(method, path, status, parsed(answer_headers, data), json_api=json_api)
            return status, answer_headers, data
        if time.time() > give_up:
            return 0, {}, b""
        time.sleep(0.2)


def login(port: int, user: str) -> str:
    client = Client(port)
    answer = client.call("POST", "/api/v1/auth/token", {"username": user, "password": PASSWORD}, retry=True)
    client.close()
    if answer.status != 200:
        raise RuntimeError(f"login {user}: {answer.status} {answer.body}")
    return str(answer.body["token"])


class Browser:
    """A signed-in browser: the session cookie, kept across server restarts (sessions are rows)."""

    def __init__(self, port: int, user: str, tally: Tally) -> None:
        self.port, self.user, self.tally = port, user, tally
        self.cookies: dict[str, str] = {}
        self.sign_in()

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep(self, raw_headers: list[tuple[str, str]]) -> None:
        for name, value in raw_headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()

    def request(self, method: str, path: str, body: bytes | None = None,
                extra: dict[str, str] | None = None) -> tuple[int, str]:
        give_up = time.time() + GIVE_UP_S
        while True:
            with self.tally.lock:
                self.tally.sent += 1
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                connection.request(method, path, body=body, headers={**self._cookie_header(), **(extra or {})})
                response = connection.getresponse()
                data = response.read().decode("utf-8", "replace")
                self._keep(response.getheaders())
                self.tally.saw(method, path, response.status, None, json_api=False)
                return response.status, data
            except (OSError, http.client.HTTPException):
                if time.time() > give_up:
                    return 0, ""
                time.sleep(0.2)
            finally:
                connection.close()

    def sign_in(self) -> None:
        self.cookies.clear()
        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no csrf token on /login")
        form = f"csrf_token={token.group(1)}&username={self.user}&password={PASSWORD}".encode()
        status, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status not in (302, 303):
            raise RuntimeError(f"browser sign-in of {self.user}: {status}")


# --------------------------------------------------------------------------- what is read

@dataclass(frozen=True)
class Question:
    name: str
    query: str
    #: whose registrations it counts: "all", a department ("dept:market") or an item code
    scope: str


def questions(today: date) -> list[Question]:
    month_first = today.replace(day=1)
    month_last = (month_first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return [
        Question("today", f"from={today}&to={today}", "all"),
        Question("today-market", f"from={today}&to={today}&department=market", "dept:market"),
        Question("today-XK-0001", f"from={today}&to={today}&item=XK-0001", "XK-0001"),
        Question("month-so-far", f"from={month_first}&to={today}", "all"),
        Question("whole-month", f"from={month_first}&to={month_last}", "all"),  # the monthly rows
        Question("whole-year", f"from={today.replace(month=1, day=1)}&to={today.replace(month=12, day=31)}", "all"),
        Question("month-market-XK-0002", f"from={month_first}&to={month_last}&department=market&item=XK-0002",
                 "XK-0002"),
    ]


def told(counts: Any, scope: str, departments: dict[str, str]) -> int:
    """Registrations the writers had been told succeeded, in the scope of a question."""
    with counts.get_lock():
        snapshot = list(counts)
    if scope == "all":
        return sum(snapshot)
    if scope.startswith("dept:"):
        wanted = scope.removeprefix("dept:")
        return sum(n for code, n in zip(TRACKED, snapshot) if departments.get(code) == wanted)
    return snapshot[TRACKED.index(scope)]


def xlsx_received(data: bytes) -> int | None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    for row in book["总体"].iter_rows(values_only=True):
        if row and row[0] == "收件数" and isinstance(row[1], (int, float)):
            return int(row[1])
    return None


PAGE_RECEIVED = re.compile(r'data-figure="received" href="[^"]*">(\d+)</a>')


# --------------------------------------------------------------------------- writers

class WriterTraffic(Traffic):
    """The bureau's mixed traffic, with returns for supplement, resubmissions and refusals, every
    answer tallied, and each registration answered 201 counted where the readers see it."""

    def __init__(self, plan: Plan, counts: Any) -> None:
        super().__init__(plan)
        self.tally = Tally()
        self.client = CountingClient(self.port, self.tally)
        self.racer = CountingClient(self.port, self.tally)
        self.counts = counts

    items = WRITE_ITEMS

    def registration_headers(self) -> dict[str, str] | None:
        return {"Prefer": "return=minimal"} if self.rng.random() < 0.5 else None

    def registered_as(self, item: str, answer: Answer) -> None:
        if answer.status == 201:  # counted where the readers see it
            with self.counts.get_lock():
                self.counts[TRACKED.index(item)] += 1

    def complete(self, client: Client, task: dict[str, Any], user: str) -> Answer:
        element, roll = task["element_id"], self.rng.random()
        first = self.materials["XK-0001"][0]
        body: dict[str, Any] | None = None
        if element == "review_application" and roll < 0.15:
            body = {"decision": "return", "opinion": "材料需补正",
                    "notice": [{"material": first, "reason": "复印件不清晰，请提交原件"}]}
        elif element == "review_application" and roll < 0.2:
            body = {"decision": "reject", "opinion": "不符合许可条件"}
        elif element == "accept_application" and roll < 0.05:
            body = {"decision": "reject", "opinion": "不属于本机关职权范围"}
        elif element == "decide_application" and roll < 0.08:
            body = {"decision": "reject", "opinion": "经营场所不符合要求"}
        elif element == "accept_and_decide" and roll < 0.1:
            body = {"decision": "reject", "opinion": "原证未遗失"}
        elif element == "supplement_materials":
            body = {"opinion": "已补正", "materials": [first]}
        elif element == "issue_result" and roll < 0.3:
            body = {"data": {"delivery": self.rng.choice(["邮寄送达", "电子送达"])}}
        if body is None:
            return super().complete(client, task, user)
        answer = self.request(client, "POST", f"/api/v1/tasks/{task['id']}/complete", body, user=user, write=True)
        self.note("complete", answer, task=task["id"], user=user)
        return answer

    def run(self) -> None:
        try:
            super().run()
        finally:
            path = self.plan.folder / f"attack-writer-{self.plan.index}.json"
            path.write_text(json.dumps(self.tally.dump("writer"), ensure_ascii=False), encoding="utf-8")


def run_writer(plan: Plan, counts: Any) -> None:
    traffic_module.ANSWERS.setdefault("supplement_materials", {})  # worked by WriterTraffic.complete
    WriterTraffic(plan, counts).run()


# --------------------------------------------------------------------------- readers

@dataclass(frozen=True)
class ReaderPlan:
    index: int
    port: int
    deadline: float
    folder: Path
    user: str
    today: str
    base: dict[str, int]
    departments: dict[str, str]


def run_reader(plan: ReaderPlan, counts: Any) -> None:
    tally = Tally()
    try:
        _read(plan, counts, tally)
    except BaseException:  # noqa: BLE001 - the run goes on; the error is reported
        tally.unexpected.append("reader crashed: " + traceback.format_exc()[-1500:])
    finally:
        (plan.folder / f"attack-reader-{plan.index}.json").write_text(
            json.dumps(tally.dump(), ensure_ascii=False), encoding="utf-8")


def _read(plan: ReaderPlan, counts: Any, tally: Tally) -> None:
    rng = random.Random(plan.index * 104729 + int(time.time()))
    token = login(plan.port, plan.user)
    bearer = {"Authorization": f"Bearer {token}"}
    browser = Browser(plan.port, plan.user, tally) if plan.user == "admin" else None
    asked = questions(date.fromisoformat(plan.today))
    last: dict[str, int] = {}

    def check(kind: str, question: Question, need: int, got: int | None) -> None:
        tally.reads += 1
        label = f"{kind} {question.name}"
        if got is None:
            tally.note("unexpected", f"{label}: no 收件 figure in the answer")
            return
        if got < need:
            tally.note("stale", f"{label}: received={got} < {need} (before the run {plan.base[question.name]} "
                                f"+ registrations answered 201 before the request was sent)")
        previous = last.get(label)
        if previous is not None and got < previous:
            tally.note("stale", f"{label}: received went back from {previous} to {got}")
        last[label] = max(got, previous or 0)

    while time.time() < plan.deadline:
        roll = rng.random()
        question = rng.choice(asked)
        need = plan.base[question.name] + told(counts, question.scope, plan.departments)
        if plan.user == "auditor" and roll < 0.5:
            query = rng.choice(["page_size=50", "action=case_registered&page_size=20",
                                "action=task_completed&page_size=100", f"from={plan.today}&to={plan.today}"])
            send(tally, plan.port, "GET", f"/api/v1/audit/events?{query}", bearer, until=plan.deadline)
        elif plan.user == "efficiency" and roll < 0.3:
            status, headers, data = send(tally, plan.port, "GET", f"/api/v1/statistics.xlsx?{question.query}",
                                         bearer, until=plan.deadline)
            if status == 200:
                check("xlsx", question, need, xlsx_received(data))
        elif browser is not None and roll < 0.35:
            status, page = browser.request("GET", f"/statistics?{question.query}")
            if status in (302, 303):  # the session was lost: sign in again
                browser.sign_in()
            elif status == 200:
                found = PAGE_RECEIVED.search(page)
                check("page", question, need, int(found.group(1)) if found else None)
        elif browser is not None and roll < 0.45:
            send(tally, plan.port, "GET", "/api/v1/audit/events?page_size=50", bearer, until=plan.deadline)
        else:
            status, headers, data = send(tally, plan.port, "GET", f"/api/v1/statistics?{question.query}",
                                         bearer, until=plan.deadline)
            if status == 200:
                check("api", question, need, json.loads(data).get("received"))
        time.sleep(rng.uniform(0.0, 0.06))


# --------------------------------------------------------------------------- hostile values

def hostile_requests(today: date) -> list[tuple[str, str, set[int] | None, str | None]]:
    """(who, path, statuses expected or None, code expected or None)."""
    bad_dates = {
        "x": "x", "month 13": "2026-13-01", "30 Feb": "2026-02-30", "year 0": "0000-01-01",
        "9999": "9999-12-31", "1999": "1999-12-31", "2101": "2101-01-01", "5-digit year": "99999-01-01",
        "short": "2026-1-1", "compact": "20261201", "slashes": "2026%2F12%2F01", "leading space": "%202026-12-01",
        "trailing space": "2026-12-01%20", "with time": "2026-12-01T00%3A00", "negative": "-2026-12-01",
        "NUL": "%00", "NUL after": "2026-12-01%00", "lone surrogate": "%ED%A0%80",
        "surrogate after": "2026-12-01%ED%A0%80", "noncharacter": "%EF%BF%BF", "bad UTF-8": "%FF%FE",
        "overlong": "%C0%AF", "Arabic digits": "%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A1%D9%A2-%D9%A0%D9%A1",
        "full-width digits": "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-%EF%BC%91%EF%BC%92-%EF%BC%90%EF%BC%91",
        "very long": "9" * 3800, "NaN": "NaN", "null": "null", "JSON array": "%5B%22x%22%5D",
        "injection": "%27%20OR%201%3D1--", "newline": "2026-12-01%0A", "CR LF": "%0D%0A", "offset": "2026-12-01%2B08",
        "day 0": "2026-00-00", "day 32": "2026-12-32", "not leap": "2026-02-29", "bidi": "%E2%80%AE2026-12-01",
    }
    t = today.isoformat()
    out: list[tuple[str, str, set[int] | None, str | None]] = []
    for base in ("/api/v1/statistics", "/api/v1/statistics.xlsx"):
        for value in bad_dates.values():
            out.append(("efficiency", f"{base}?from={value}", {400}, None))
            out.append(("efficiency", f"{base}?from=2026-01-01&to={value}", {400}, None))
        out += [
            ("efficiency", base, {200}, None),
            ("efficiency", f"{base}?from=&to=", {200}, None),
            ("efficiency", f"{base}?from={t}&to=2026-01-01", {400}, "invalid_date_range"),
            ("efficiency", f"{base}?from=2000-01-01&to=2100-12-31", {400}, "date_range_too_long"),
            ("efficiency", f"{base}?from=2000-01-01&to=2010-01-07", {200}, None),  # 3,660 days: the most
            ("efficiency", f"{base}?from=2000-01-01&to=2010-01-08", {400}, "date_range_too_long"),
            ("efficiency", f"{base}?from=2091-01-06&to=2100-12-31", {200}, None),  # far future
            ("efficiency", f"{base}?from=2100-12-31&to=2100-12-31", {200}, None),
            ("efficiency", f"{base}?to=2100-12-31", {400}, "date_range_too_long"),
            ("efficiency", f"{base}?from=2000-01-01", {400}, "date_range_too_long"),
            ("efficiency", f"{base}?from=2024-02-29&to=2024-02-29", {200}, None),
            ("efficiency", f"{base}?from=2026-12-01&from=2026-12-05&to={t}", {200}, None),
            ("efficiency", f"{base}?from[]=2026-12-01&to[]={t}", {200}, None),
            ("efficiency", f"{base}?from[0]=x", {200}, None),
            ("efficiency", f"{base}?department=nowhere", {400}, "unknown_department"),
            ("efficiency", f"{base}?department=MARKET", {400}, "unknown_department"),
            ("efficiency", f"{base}?department=market%00", {400}, None),
            ("efficiency", f"{base}?department=%ED%A0%80", {400}, None),
            ("efficiency", f"{base}?department=" + "x" * 64, {400}, "unknown_department"),
            ("efficiency", f"{base}?department=" + "x" * 65, {400}, "invalid_query"),
            ("efficiency", f"{base}?department=..%2Fmarket", {400}, "invalid_query"),
            ("efficiency", f"{base}?department=window", None, None),
            ("efficiency", f"{base}?department=market&department=health", {200}, None),
            ("efficiency", f"{base}?item=XK-9999", {400}, "unknown_item"),
            ("efficiency", f"{base}?item=xk-0001", {400}, "unknown_item"),
            ("efficiency", f"{base}?item=XK-0001%00", {400}, None),
            ("efficiency", f"{base}?item=" + "X" * 3800, {400}, "invalid_query"),
            ("efficiency", f"{base}?item=YJS-0001", None, None),
            ("efficiency", f"{base}?item=GCXM-ZF", None, None),
            ("efficiency", f"{base}?item=XK-0001&department=health", {200}, None),
            ("efficiency", f"{base}?reviewer=nobody", {200}, None),
            ("efficiency", f"{base}?reviewer=reviewer_market&from=2000-01-01&to=2010-01-07", {200}, None),
            ("efficiency", f"{base}?reviewer=%ED%A0%80", {400}, None),
            ("efficiency", f"{base}?reviewer=" + "r" * 65, {400}, "invalid_query"),
            ("efficiency", f"{base}?foo=bar&&&=&%ZZ=1", None, None),
            ("efficiency", f"{base}?from=%", {400}, None),
            ("efficiency", f"{base}?from=2026-12-01;to={t}", {400}, None),
            ("window", base, {403}, "statistics_not_for_role"),
            ("reviewer_market", f"{base}?department=health", {403}, "department_not_yours"),
            ("reviewer_market", base, {200}, None),
            ("", base, {401}, None),
            ("bad-token", base, {401}, None),
        ]
    cases = "/api/v1/statistics/cases"
    for figure in ("received", "completed", "on_time", "overdue_open", "nope", "", "%00", "%ED%A0%80",
                   "x" * 3000, "received%27--"):
        out.append(("efficiency", f"{cases}?figure={figure}", {200} if figure in ("received", "completed", "on_time",
                                                                                "overdue_open") else {400}, None))
    for page in ("0", "-1", "x", "1e3", "99999999999999999999", "1.5", "%00", "100000"):
        out.append(("efficiency", f"{cases}?figure=received&page={page}", None, None))
    out.append(("efficiency", f"{cases}?figure=received&from=2000-01-01&to=2010-01-07", {200}, None))
    return out


def hostile(port: int, tokens: dict[str, str], browser: Browser, today: date, deadline: float, tally: Tally) -> None:
    """The hostile values, round after round until the deadline (killed servers included)."""
    cases = hostile_requests(today)
    rounds = 0
    while time.time() < deadline:
        rounds += 1
        for who, path, statuses, code in cases:
            if time.time() >= deadline and rounds > 1:
                return
            headers = {}
            if who == "bad-token":
                headers["Authorization"] = "Bearer " + "A" * 43
            elif who:
                headers["Authorization"] = f"Bearer {tokens[who]}"
            status, answer_headers, data = send(tally, port, "GET", path, headers, until=deadline)
            body = parsed(answer_headers, data)
            if status and statuses is not None and status not in statuses:
                tally.note("unexpected", f"GET {path[:120]} as {who or 'nobody'}: {status} (wanted {sorted(statuses)}) "
                                         f"{str(body)[:200]}")
            elif status and code is not None and isinstance(body, dict) and body.get("code") != code:
                tally.note("unexpected", f"GET {path[:120]}: code {body.get('code')} (wanted {code})")
            if path.startswith("/api/v1/statistics?") and who == "efficiency" and rounds == 1:
                page_status, _ = browser.request("GET", "/statistics?" + path.split("?", 1)[1])
                if page_status in (302, 303):
                    browser.sign_in()
            time.sleep(0.01)
        # beyond gunicorn's request line (4094): refused by gunicorn itself, before the app
        status, answer_headers, data = raw(port, "GET", "/api/v1/statistics?from=" + "9" * 9000,
                                           {"Authorization": f"Bearer {tokens['efficiency']}"})
        with tally.lock:
            tally.sent += 1
        if status >= 500:
            tally.saw("GET", "/api/v1/statistics?from=<9000 chars>", status, data[:200])
        elif status and rounds == 1:
            tally.infra.append(f"a 9,000-character query: {status} {answer_headers.get('content-type')} from gunicorn")
        time.sleep(0.5)


# --------------------------------------------------------------------------- the race on first numbers

def race_first_numbers(port: int, tokens: dict[str, str], materials: dict[str, list[str]], db: sa.Engine,
                       counts: Any, tally: Tally, records: list[dict[str, Any]], today: date) -> int:
    """Two window decisions at the same instant for the first licence or refusal of the year of an
    item: both find no counter row, both insert it in a savepoint, one fails there."""
    pairs = 0
    with db.connect() as conn:
        existing = {(row[0], row[1]) for row in conn.execute(sa.text(
            "SELECT item_code, kind FROM certificate_counters WHERE year = :y"), {"y": today.year})}
    clients = [CountingClient(port, tally), CountingClient(port, tally)]
    for item in RACE_ITEMS:
        if item not in materials:
            continue
        for decision, kind in (("reject", "refusal"), ("approve", "certificate")):
            if (item, kind) in existing:
                continue
            tasks = []
            for n in range(2):
                marker = f"{MARKER}race-{item}-{decision}-{n}"
                answer = clients[0].call("POST", "/api/v1/cases", {
                    "item_code": item, "applicant": {"name": marker, "contact": "0910-7654321"},
                    "materials": materials[item], "facts": {}}, token=tokens["window"], key=uuid.uuid4().hex, retry=True)
                records.append({"op": "register", "status": answer.status, "ms": answer.ms, "attempts": answer.attempts,
                                "replayed": answer.replayed, "marker": marker, "item": item,
                                "number": answer.body.get("number") if isinstance(answer.body, dict) else None})
                if answer.status != 201:
                    tally.note("unexpected", f"race registration {item}: {answer.status} {str(answer.body)[:200]}")
                    break
                with counts.get_lock():
                    counts[TRACKED.index(item)] += 1
                tasks.append(answer.body["tasks"][0]["id"])
            if len(tasks) != 2:
                continue
            barrier = threading.Barrier(2)
            results: list[Answer | None] = [None, None]
            body = {"decision": decision, "opinion": "当场办结" if decision == "approve" else "不符合条件"}

            def go(i: int) -> None:
                barrier.wait()
                results[i] = clients[i].call("POST", f"/api/v1/tasks/{tasks[i]}/complete", body,
                                             token=tokens["window"], key=uuid.uuid4().hex, retry=True,
                                             headers={"Prefer": "return=minimal"})
            threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for i, answer in enumerate(results):
                assert answer is not None
                records.append({"op": "complete", "status": answer.status, "ms": answer.ms,
                                "attempts": answer.attempts, "replayed": answer.replayed, "task": tasks[i],
                                "user": "window", "race": f"{item}/{kind}"})
            pairs += 1
    for client in clients:
        client.close()
    return pairs


#: 告知承诺 (XK-0019) approved on the spot, the commitment found untrue, the licence revoked: the
#: revocation case's decision changes the result of its parent, a case concluded earlier
REVOCATION_STEPS = {
    "accept_with_commitment": {"decision": "approve", "opinion": "当场准予",
                               "data": {"commitment_signed": True, "scope": "兽药经营"}},
    "issue_result": {"data": {"delivery": "窗口领取"}},
    "verify_commitment": {"decision": "fail", "opinion": "承诺不实"},
    "review_revocation": {"decision": "revoke", "opinion": "建议撤销"},
    "decide_revocation": {"decision": "revoke", "opinion": "撤销许可"},
    "serve_decision": {"data": {"delivery": "窗口领取"}},
}


def revoke_after_commitment(port: int, tokens: dict[str, str], materials: dict[str, list[str]], db: sa.Engine,
                            tally: Tally, records: list[dict[str, Any]], today: date) -> str:
    """One 告知承诺 case worked to its revocation; what became of it."""
    client = CountingClient(port, tally)
    marker = "告知承诺撤销测试"  # not the traffic's marker: the revocation case bears the same applicant
    answer = client.call("POST", "/api/v1/cases", {"item_code": "XK-0019", "applicant": {"name": marker},
                                                   "materials": materials["XK-0019"], "facts": {}},
                         token=tokens["window"], key=uuid.uuid4().hex, retry=True)
    records.append({"op": "register_commitment", "status": answer.status, "ms": answer.ms,
                    "attempts": answer.attempts, "replayed": answer.replayed, "marker": marker, "item": "XK-0019",
                    "number": answer.body.get("number") if isinstance(answer.body, dict) else None})
    if answer.status != 201:
        return f"registration {answer.status}"
    parent = int(answer.body["id"])
    for _round in range(10):
        with db.connect() as conn:
            children = [row[0] for row in conn.execute(sa.text("SELECT id FROM cases WHERE parent_case_id = :p"),
                                                       {"p": parent})]
        moved = False
        for case_id in (parent, *children):
            case = client.call("GET", f"/api/v1/cases/{case_id}", token=tokens["admin"], retry=True).body
            for task in case.get("tasks", []):
                body = REVOCATION_STEPS.get(task["element_id"])
                user = (task.get("candidates") or ["window"])[0]
                if body is None or task.get("status") not in (None, "ready", "claimed"):
                    continue
                if user not in tokens:
                    tokens[user] = login(port, user)
                done = client.call("POST", f"/api/v1/tasks/{task['id']}/complete", body, token=tokens[user],
                                   key=uuid.uuid4().hex, retry=True)
                records.append({"op": "complete", "status": done.status, "ms": done.ms, "attempts": done.attempts,
                                "replayed": done.replayed, "task": task["id"], "user": user})
                moved = moved or done.status == 200
                # a read after each step: the figures are computed again between the parent's
                # conclusion and the revocation's decision
                client.call("GET", "/api/v1/statistics", token=tokens["efficiency"], retry=True)
        if not moved:
            break
    with db.connect() as conn:
        status, result = conn.execute(sa.text("SELECT status, result FROM cases WHERE id = :p"), {"p": parent}).one()
        granted = conn.execute(sa.text("SELECT count(*) FROM cases WHERE item_code = 'XK-0019' AND kind <> 'revocation' "
                                       "AND result = 'approved' AND completed_at IS NOT NULL")).scalar_one()
    # every XK-0019 case is this run's, concluded today: the figure must follow the revocation
    answer = client.call("GET", f"/api/v1/statistics?from={today}&to={today}&item=XK-0019",
                         token=tokens["efficiency"], retry=True)
    if answer.status == 200 and answer.body["granted"] != granted:
        tally.note("stale", f"XK-0019 today after the revocation: granted={answer.body['granted']}, "
                            f"the cases say {granted} (parent {status}/{result})")
    client.close()
    return f"case #{parent} {status}/{result}"


# --------------------------------------------------------------------------- the killer

def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


class Killer(threading.Thread):
    """SIGKILL to one gunicorn worker (its master starts another), to the whole server (started
    again here) or to the worker (started again), at random moments."""

    def __init__(self, server: Child, background: Child, every: float, until: float) -> None:
        super().__init__(daemon=True)
        self.server, self.background, self.every, self.until = server, background, every, until
        self.rng = random.Random()
        self.kills: Counter[str] = Counter()
        self.error: str | None = None

    def run(self) -> None:
        plan = ["process", "worker", "server"]  # each kind at least once, then at random
        try:
            while True:
                time.sleep(self.rng.uniform(0.4, 1.6) * self.every)
                if time.time() >= self.until:
                    return
                kind = plan.pop(0) if plan else self.rng.choices(["process", "server", "worker"], [4, 3, 3])[0]
                if kind == "process":
                    assert self.server.process is not None
                    pids = children_of(self.server.process.pid)
                    if pids:
                        os.kill(self.rng.choice(pids), 9)
                        self.kills["process"] += 1
                        continue
                    kind = "server"
                if kind == "server":
                    self.server.kill()
                    self.kills["server"] += 1
                    self.server.start(wait=True)
                else:
                    self.background.kill()
                    self.kills["worker"] += 1
                    self.background.start(wait=False)
        except BaseException:  # noqa: BLE001 - reported by the main thread
            self.error = traceback.format_exc()


# --------------------------------------------------------------------------- the checks afterwards

def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from leaves(value[key], f"{prefix}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def rollup_rows(db: sa.Engine) -> dict[tuple[str, ...], dict[str, Any]]:
    """The roll-up tables' rows that hold something (a refresh keeps rows of zeros; a rebuild does not)."""
    keys = {"daily_figures": ("day", "department", "item_code"), "monthly_figures": ("month", "department", "item_code"),
            "daily_durations": ("day", "department", "item_code", "days"),
            "monthly_durations": ("month", "department", "item_code", "days")}
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    with db.connect() as conn:
        for table, key in keys.items():
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")).mappings():
                values = {k: int(v) for k, v in row.items() if k not in key}
                if any(values.values()):
                    rows[(table, *(str(row[k]) for k in key))] = values
    return rows


def provisional_rows(db: sa.Engine) -> list[str]:
    """Every text or JSON cell of every table holding a provisional case number."""
    found: list[str] = []
    inspector = sa.inspect(db)
    with db.connect() as conn:
        for table in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(table)
                       if isinstance(c["type"], (sa.String, sa.Text, sa.JSON)) or "JSON" in str(c["type"]).upper()]
            for column in columns:
                statement = sa.text(f'SELECT CAST("{column}" AS TEXT) FROM "{table}" '
                                    f'WHERE CAST("{column}" AS TEXT) LIKE :p')
                for (value,) in conn.execute(statement, {"p": "%~%"}):
                    match = PROVISIONAL.search(value or "")
                    if match:
                        found.append(f"{table}.{column}: {match.group(0)} in {value[:160]!r}")
    return found


def number_problems(db: sa.Engine) -> list[str]:
    problems: list[str] = []
    with db.connect() as conn:
        numbers = [row[0] for row in conn.execute(sa.text("SELECT number FROM cases ORDER BY id"))]
        counters = dict(conn.execute(sa.text("SELECT year, last FROM case_number_counters")).all())
    for number, count in Counter(numbers).items():
        if count > 1:
            problems.append(f"number {number} on {count} cases")
    by_year: dict[int, list[int]] = {}
    for number in numbers:
        found = re.fullmatch(r"(\d{4})-(\d{6})", number or "")
        if not found:
            problems.append(f"case number {number!r} is not YYYY-NNNNNN")
            continue
        by_year.setdefault(int(found.group(1)), []).append(int(found.group(2)))
    for year, sequence in by_year.items():
        ordered = sorted(sequence)
        if ordered != list(range(1, len(ordered) + 1)):
            missing = sorted(set(range(1, max(ordered) + 1)) - set(ordered))
            problems.append(f"{year}: {len(ordered)} numbers up to {max(ordered)}, missing {missing[:20]}")
        if counters.get(year) != max(ordered):
            problems.append(f"{year}: the counter says {counters.get(year)}, the last number is {max(ordered)}")
    return problems


def event_problems(db: sa.Engine) -> tuple[set[str], set[str], list[str]]:
    """Every case has one case_registered event, every completed step one task_completed event:
    the cases and steps without theirs, those with more than one, and what was wrong."""
    from app.persistence.models import AuditEvent, Case, TaskRecord

    notes: list[str] = []
    missing: set[str] = set()
    double: set[str] = set()
    with db.connect() as conn:
        registered = Counter(case_id for (case_id,) in conn.execute(
            sa.select(AuditEvent.case_id).where(AuditEvent.action == "case_registered")))
        cases = [row for row in conn.execute(sa.select(Case.id, Case.number))]
        completed = Counter(after.get("task_id") for (after,) in conn.execute(
            sa.select(AuditEvent.after).where(AuditEvent.action == "task_completed")))
        tasks = [row for row in conn.execute(sa.select(TaskRecord.id, TaskRecord.case_id, TaskRecord.element_id)
                                             .where(TaskRecord.status == "completed", TaskRecord.kind == "workflow"))]
    for case_id, number in cases:
        if registered[case_id] != 1:
            (missing if registered[case_id] == 0 else double).add(f"case:{case_id}")
            notes.append(f"case {number} (#{case_id}): {registered[case_id]} case_registered events")
    for task_id, case_id, element in tasks:
        if completed[task_id] != 1:
            (missing if completed[task_id] == 0 else double).add(f"task:{task_id}")
            notes.append(f"task {task_id} ({element} of case #{case_id}) completed: "
                         f"{completed[task_id]} task_completed events")
    return missing, double, notes


def count_marks(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM figure_refreshes")).scalar_one())


def first_day(db: sa.Engine) -> date:
    from app.persistence.models import Case

    with db.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(Case.created_at))).scalar_one()
    if isinstance(first, str):  # SQLite without the ORM's type: never with the model's column
        first = datetime.fromisoformat(first)
    if first.tzinfo is None:
        first = first.replace(tzinfo=ZoneInfo("UTC"))
    return first.astimezone(BEIJING).date()


# --------------------------------------------------------------------------- main

def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server (a throwaway database is made on it), or 'sqlite'")
    parser.add_argument("--writers", type=int, default=4, help="client processes registering and working steps")
    parser.add_argument("--readers", type=int, default=3, help="client processes reading figures and the trail")
    parser.add_argument("--kill-every", type=float, default=None,
                        help="mean seconds between two kills (default: some 16 over the run)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder and database")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    folder = Path(tempfile.mkdtemp(prefix="oneseal-attack-statistics-"))
    server_url = None if args.database_url.startswith("sqlite") else args.database_url
    with throwaway_database(server_url, folder, keep=args.keep) as url:
        env = environment(url, folder)
        seed(env)
        command = [oneseal(), "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", "{processes}",
                   "--server", "gunicorn"]
        servers = Servers.build(2, env, folder, command)
        server = servers.children[0]
        background = worker(env, folder, interval=1)
        db = sa.create_engine(url)
        servers.start()
        background.start(wait=False)
        print(f"server {server.port} (gunicorn, 2 processes), worker; {args.writers} writers, {args.readers} "
              f"readers for {args.minutes} min on {url.split('://')[0]}; folder {folder}", flush=True)
        try:
            bad = attack(args, url, env, folder, server, background, db)
        finally:
            servers.stop()
            background.stop()
            db.dispose()
    if not bad and not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if bad else 0


def attack(args: argparse.Namespace, url: str, env: dict[str, str], folder: Path, server: Child,
           background: Child, db: sa.Engine) -> bool:
    assert server.port is not None
    port = server.port
    main_tally = Tally()
    client = CountingClient(port, main_tally)
    tokens = {user: login(port, user) for user in ("window", "efficiency", "admin", "auditor", "reviewer_market")}
    items = client.call("GET", "/api/v1/items", token=tokens["window"], retry=True).body["items"]
    materials = {i["code"]: [m["code"] for m in i["materials"]] for i in items}
    departments = {i["code"]: i["department"] for i in items}
    today = datetime.now(BEIJING).date()
    context = multiprocessing.get_context("spawn")
    counts = context.Array("q", len(TRACKED))

    # the figures before anyone registers (a read refreshes first)
    base: dict[str, int] = {}
    for question in questions(today):
        answer = client.call("GET", f"/api/v1/statistics?{question.query}", token=tokens["efficiency"], retry=True)
        base[question.name] = int(answer.body["received"])
    print(f"before the run: {base}", flush=True)

    # the race on the first licence and refusal of the year, before the chaos
    race_records: list[dict[str, Any]] = []
    pairs = race_first_numbers(port, tokens, materials, db, counts, main_tally, race_records, today)
    print(f"raced {pairs} first numbers of the year", flush=True)
    revoked = revoke_after_commitment(port, tokens, materials, db, main_tally, race_records, today)
    print(f"告知承诺 found untrue and revoked: {revoked}", flush=True)

    deadline = time.time() + args.minutes * 60
    every = args.kill_every or max(1.0, args.minutes * 60 / 16)
    killer = Killer(server, background, every, deadline)
    writers = [context.Process(target=run_writer, args=(Plan(i, [port], deadline, folder, PASSWORD, retry=True,
                                                              register_share=0.3), counts))
               for i in range(args.writers)]
    readers = [context.Process(target=run_reader, args=(ReaderPlan(
        i, port, deadline, folder, READER_USERS[i % len(READER_USERS)], today.isoformat(), base, departments),
        counts)) for i in range(args.readers)]
    for process in [*writers, *readers]:
        process.start()
    killer.start()
    browser = Browser(port, "admin", main_tally)
    hostile_thread = threading.Thread(target=hostile, args=(port, tokens, browser, today, deadline, main_tally),
                                      daemon=True)
    hostile_thread.start()
    cli_reads = 0
    while time.time() < deadline:  # ``oneseal stats`` as a reader too
        time.sleep(15)
        if time.time() >= deadline:
            break
        need = base["today"] + told(counts, "all", departments)
        code, output = run_command(env, "stats", "--from", today.isoformat(), "--to", today.isoformat(),
                                   "--format", "json")
        if code != 0:
            main_tally.note("unexpected", f"oneseal stats: exit {code}: {output[-300:]}")
            continue
        cli_reads += 1
        got = json.JSONDecoder().raw_decode(output[output.index("{"):])[0]["received"]
        if got < need:
            main_tally.note("stale", f"oneseal stats today: received={got} < {need}")
    for process in writers:
        process.join()
    for process in readers:
        process.join(timeout=GIVE_UP_S + 60)
    killer.join()
    hostile_thread.join(timeout=GIVE_UP_S + 60)
    if killer.error:
        print(f"!! killer: {killer.error}", flush=True)
    failed_clients = [p.exitcode for p in [*writers, *readers] if p.exitcode != 0]
    if failed_clients:
        main_tally.note("unexpected", f"client processes failed: exit {failed_clients}")

    # ---------------------------------------------------------------- afterwards
    if server.process is None or server.process.poll() is not None:
        server.start(wait=True)
    elif not answers(port):
        server.wait_ready()
    if background.process is None or background.process.poll() is not None:
        background.start(wait=False)
    waited = time.time()
    while count_marks(db) and time.time() - waited < 120:
        time.sleep(0.5)
    marks_left = count_marks(db)
    print(f"worker drained the marks in {time.time() - waited:.1f} s ({marks_left} left)", flush=True)
    background.stop()

    # one more registration, its mark, and a read that must show it and remove the mark
    marker = f"{MARKER}final-1"
    answer = client.call("POST", "/api/v1/cases", {"item_code": "XK-0001", "applicant": {"name": marker},
                                                   "materials": materials["XK-0001"], "facts": {}},
                         token=tokens["window"], key=uuid.uuid4().hex, retry=True)
    race_records.append({"op": "register", "status": answer.status, "ms": answer.ms, "attempts": answer.attempts,
                         "replayed": answer.replayed, "marker": marker, "item": "XK-0001",
                         "number": answer.body.get("number") if isinstance(answer.body, dict) else None})
    if answer.status == 201:
        with counts.get_lock():
            counts[TRACKED.index("XK-0001")] += 1
    marks_written = count_marks(db)
    need = base["today"] + told(counts, "all", departments)
    answer = client.call("GET", f"/api/v1/statistics?from={today}&to={today}", token=tokens["efficiency"], retry=True)
    marks_after_read = count_marks(db)
    if answer.status != 200 or answer.body["received"] < need:
        main_tally.note("stale", f"after the run: received={answer.body.get('received')} < {need}")
    refresh_problems = []
    if marks_written == 0:
        refresh_problems.append("a registration left no mark in figure_refreshes")
    if marks_after_read:
        refresh_problems.append(f"figure_refreshes holds {marks_after_read} marks after a read")
    if marks_left:
        refresh_problems.append(f"the worker left {marks_left} marks after 120 s")

    # the command line's checks
    cli = {name: run_command(env, *words) for name, words in
           (("audit verify", ("audit", "verify")), ("check cases", ("check", "cases")), ("db check", ("db", "check")))}
    for name, (code, output) in cli.items():
        print(f"oneseal {name}: exit {code}: {output.splitlines()[-1] if output else ''}", flush=True)

    # the figures and the rows against a rebuild from scratch
    first = first_day(db)
    final_questions = [("whole period", f"from={first}&to={today}"),
                       ("whole period, market", f"from={first}&to={today}&department=market"),
                       ("whole period, XK-0001", f"from={first}&to={today}&item=XK-0001"),
                       ("whole period, reviewer", f"from={first}&to={today}&reviewer=reviewer_market"),
                       *((q.name, q.query) for q in questions(today))]

    def figures() -> dict[str, dict[str, Any]]:
        out = {}
        for name, query in final_questions:
            got = client.call("GET", f"/api/v1/statistics?{query}", token=tokens["efficiency"], retry=True)
            out[name] = dict(leaves(got.body))
        return out

    figures_before, rows_before = figures(), rollup_rows(db)
    code, output = run_command(env, "stats", "rebuild", "--from", first.isoformat(), "--to", today.isoformat())
    if code != 0:
        main_tally.note("unexpected", f"oneseal stats rebuild: exit {code}: {output[-300:]}")
    figures_after, rows_after = figures(), rollup_rows(db)
    mismatches: list[str] = []
    for name in figures_before:
        for key in sorted(set(figures_before[name]) | set(figures_after[name])):
            if figures_before[name].get(key) != figures_after[name].get(key):
                mismatches.append(f"figures {name}{key}: {figures_before[name].get(key)} kept, "
                                  f"{figures_after[name].get(key)} rebuilt")
    for key in sorted(set(rows_before) | set(rows_after)):
        if rows_before.get(key) != rows_after.get(key):
            mismatches.append(f"row {key}: {rows_before.get(key)} kept, {rows_after.get(key)} rebuilt")

    # numbers, provisional numbers anywhere, the trail's events
    numbers = number_problems(db)
    provisional = provisional_rows(db)
    missing_events, double_events, event_notes = event_problems(db)

    # what the clients were told
    (folder / "client-main.jsonl").write_text("\n".join(
        [json.dumps({"op": "_totals", "sent": 0, "no_answer": 0})] + [json.dumps(r, ensure_ascii=False)
                                                                     for r in race_records]) + "\n", encoding="utf-8")
    records, sent, no_answer = read_records(folder)
    verdict = judge(url, env, records, audit=True)
    for record in records:
        if record["op"] == "register" and record.get("number") and PROVISIONAL.search(str(record["number"])):
            main_tally.note("provisional", f"registration answered with {record['number']}")

    tallies = [main_tally.dump()]
    for path in sorted(folder.glob("attack-*.json")):
        tallies.append(json.loads(path.read_text(encoding="utf-8")))
    total = {key: [x for t in tallies for x in t[key]] for key in
             ("server_errors", "bad_errors", "provisional", "stale", "unexpected", "infra")}
    requests = sent + sum(t["sent"] for t in tallies if t["kind"] != "writer")  # the writers' are in ``sent``
    reads = sum(t["reads"] for t in tallies) + cli_reads

    # ---------------------------------------------------------------- the report
    statuses = Counter((r["op"], r["status"]) for r in records)
    print("writes: " + ", ".join(f"{op} {status}: {n}" for (op, status), n in sorted(statuses.items())))
    print(f"figures read and checked: {reads} (oneseal stats: {cli_reads}); requests {requests}, "
          f"{no_answer} writes got no answer and were sent again; kills {dict(killer.kills)}; race pairs {pairs}")
    for title, lines in (("5xx", total["server_errors"]), ("bad errors", total["bad_errors"]),
                         ("stale reads", total["stale"]), ("provisional numbers in answers", total["provisional"]),
                         ("provisional numbers in rows", provisional), ("rebuild mismatches", mismatches),
                         ("case numbers", numbers), ("audit events", event_notes), ("verdict", verdict.notes),
                         ("figure_refreshes", refresh_problems), ("unexpected answers (not counted)", total["unexpected"]),
                         ("infrastructure (not counted)", total["infra"])):
        if lines:
            print(f"{title}: {len(lines)}")
            for line in lines[:15]:
                print(f"  ! {line}")
    audit_ok = cli["audit verify"][0] == 0 and verdict.audit and not missing_events and not double_events
    numbers_ok = not numbers and not provisional and not total["provisional"]
    # lost: a change told to a client and not found, or a committed change without its event (once each)
    told_lost = {f"task:{note.split()[3]}" for note in verdict.notes if note.startswith("lost completion: task ")}
    lost = verdict.lost - len(told_lost) + len(told_lost | missing_events)
    told_double = {f"task:{note.split()[1]}" for note in verdict.notes if note.endswith("times in the audit trail")}
    double = verdict.double + len(double_events - told_double)
    kills = sum(killer.kills.values())
    bad = bool(total["server_errors"] or total["bad_errors"] or total["stale"] or mismatches or not audit_ok
               or not numbers_ok or lost or double or refresh_problems or killer.error
               or any(code for code, _ in cli.values()) or not verdict.cases_check or failed_clients)
    print(f"requests={requests} 5xx={len(total['server_errors'])} bad_errors={len(total['bad_errors'])} "
          f"stale_reads={len(total['stale'])} rebuild_mismatch={len(mismatches)} "
          f"audit={'ok' if audit_ok else 'broken'} numbers={'ok' if numbers_ok else 'bad'} lost={lost} "
          f"double={double} kills={kills}", flush=True)
    return bad


if __name__ == "__main__":
    sys.exit(main())
