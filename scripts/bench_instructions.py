"""Instructions a request costs the application, counted by valgrind: a figure that does not drift.

This 2-core machine's speed drifts by a fifth within an hour, and the same code has timed 2.4 ms
and 3.5 ms a completion on the same afternoon; a change worth a few per cent cannot be seen in
wall-clock time. callgrind counts the instructions executed instead: the same count, run after
run (to a few tenths of a per cent), whatever else the machine is doing.

For each kind of request a process of its own builds the application as ``oneseal serve`` does
(the same settings, start-up frozen out of the collector), on a copy of one filled SQLite
database, sends the requests the measured ones need (registrations, claims) and a few of the
measured kind to warm the path, then sends ``--requests`` of them straight through WSGI — no
server, no socket: the application's own work — with callgrind counting only meanwhile:

- ``completion``: ``POST /api/v1/tasks/{id}/complete`` of a claimed 受理 (approve, ``Prefer: return=minimal``);
- ``registration``: ``POST /api/v1/cases`` (食品经营许可, every material, ``Prefer: return=minimal``);
- ``claim``: ``POST /api/v1/tasks/{id}/claim``;
- ``case_view``: ``GET /api/v1/cases/{id}``;
- ``floor``: ``GET /api/v1/health``.

With ``--base REV`` the same runs are made with that revision's code (a temporary git worktree)
and each kind gets ``head ÷ base``. Needs valgrind (Debian: ``apt install valgrind``); some 20 s
a kind and revision.

    .venv/bin/python scripts/bench_instructions.py [--base REV] [--requests 60] [--kinds completion,claim]

The last line reads ``completion_instructions=<n> …`` (thousands of instructions a request), then
``…_ratio=<n>`` for each kind with ``--base``.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.live.database import environment, seed  # noqa: E402  (no import of app: see --measure)

KINDS = ("completion", "registration", "claim", "case_view", "floor")
ITEM = "XK-0001"  # 食品经营许可, as bench_http.py
WARM = 20
MINIMAL = {"HTTP_PREFER": "return=minimal"}


# --------------------------------------------------------------------------- the measuring process

class _Wsgi:
    """Requests straight to the WSGI application, as a server would hand them over."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.token = ""

    def call(self, method: str, path: str, body: Any = None, extra: dict[str, str] | None = None) -> Any:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            **({"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}), **(extra or {}),
        }
        status: list[str] = []
        answer = b"".join(self.app(environ, lambda line, _headers, _info=None: status.append(line)))
        code = int(status[0].split()[0])
        if code >= 300:
            raise RuntimeError(f"{method} {path}: {code} {answer[:300]!r}")
        return json.loads(answer) if answer else None


def _counting(on: bool) -> None:
    """callgrind counts from here (or stops); nothing happens when not run under it."""
    try:
        subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                       capture_output=True, check=False)
    except FileNotFoundError:
        pass


def measure(kind: str, requests: int) -> None:
    """Send ``requests`` of ``kind`` (and what they need) to the app built from the settings in the
    environment, counting only those."""
    import gc

    from app.config import Settings
    from app.serving import _built

    client = _Wsgi(_built(Settings.load()))
    password = os.environ["ONESEAL_DEMO_PASSWORD"]  # the demo users' (scripts/live/database.py)
    client.token = client.call("POST", "/api/v1/auth/token", {"username": "window", "password": password})["token"]
    item = next(i for i in client.call("GET", "/api/v1/items")["items"] if i["code"] == ITEM)
    application = {"item_code": ITEM, "applicant": {"name": "张三餐饮店", "contact": "0910-1234567"},
                   "materials": [m["code"] for m in item["materials"]], "facts": {}}
    count = requests + WARM

    def timed(send: Any, items: list[Any]) -> None:
        for one in items[:WARM]:
            send(one)
        gc.collect()
        _counting(True)
        for one in items[WARM:]:
            send(one)
        _counting(False)

    if kind == "floor":
        timed(lambda _: client.call("GET", "/api/v1/health"), list(range(count)))
    elif kind == "registration":
        timed(lambda _: client.call("POST", "/api/v1/cases", application, MINIMAL), list(range(count)))
    else:
        steps = [client.call("POST", "/api/v1/cases", application, MINIMAL) for _ in range(count)]
        if kind == "case_view":
            timed(lambda case: client.call("GET", f"/api/v1/cases/{case['id']}"), steps)
        else:
            tasks = [case["tasks"][0]["id"] for case in steps]
            claim = lambda task: client.call("POST", f"/api/v1/tasks/{task}/claim", None, MINIMAL)  # noqa: E731
            if kind == "claim":
                timed(claim, tasks)
            else:
                for task in tasks:
                    claim(task)
                timed(lambda task: client.call("POST", f"/api/v1/tasks/{task}/complete",
                                               {"decision": "approve", "opinion": "材料齐全，予以受理"}, MINIMAL), tasks)
    print(f"measured {requests} {kind}", flush=True)


# --------------------------------------------------------------------------- the runs

def count(kind: str, tree: Path, template: Path, folder: Path, requests: int) -> int:
    """Instructions ``requests`` requests of ``kind`` took with ``tree``'s code."""
    run = folder / f"{tree.name}-{kind}"
    run.mkdir()
    shutil.copyfile(template, run / "oneseal.db")
    env = environment(f"sqlite:///{run / 'oneseal.db'}", run, PYTHONPATH=str(tree))
    done = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                           f"--callgrind-out-file={run / 'callgrind.out'}", sys.executable, str(Path(__file__).resolve()),
                           "--measure", kind, "--requests", str(requests)],
                          cwd=tree, env=env, capture_output=True, text=True)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or collected is None or f"measured {requests} {kind}" not in done.stdout:
        raise RuntimeError(f"{kind} with {tree}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return int(collected.group(1))


def filled_template(folder: Path, open_tasks: int) -> Path:
    """A database with the demo data and ``open_tasks`` open steps in the window's queue."""
    from scripts.bench_http import fill

    template = folder / "template.db"
    seed(environment(f"sqlite:///{template}", folder))
    fill(f"sqlite:///{template}", folder, open_tasks, days=10)
    return template


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=None, help="a git revision to count too, for head ÷ base")
    parser.add_argument("--requests", type=int, default=60, help="requests counted a kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"some of {','.join(KINDS)}")
    parser.add_argument("--open-tasks", type=int, default=2_000)
    parser.add_argument("--measure", choices=KINDS, help=argparse.SUPPRESS)  # the measuring process
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, os.getcwd())  # the tree's code (first on PYTHONPATH too), not this checkout's
        measure(args.measure, args.requests)
        return 0
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        parser.error(f"--kinds: {', '.join(unknown) or '(none)'} not among {', '.join(KINDS)}")
    if shutil.which("valgrind") is None:
        print("valgrind 未安装（Debian: apt install valgrind）", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="oneseal-instructions-"))
    base = None
    try:
        template = filled_template(folder, args.open_tasks)
        trees = [("head", ROOT)]
        if args.base:
            base = folder / f"{folder.name}-base"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
                           check=True, capture_output=True)
            trees.append(("base", base))
        figures: dict[str, dict[str, float]] = {}
        for kind in kinds:
            for label, tree in trees:
                per_request = count(kind, tree, template, folder, args.requests) / args.requests / 1000
                figures.setdefault(kind, {})[label] = per_request
                print(f"  {kind:<13} {label}  {per_request:9.1f} thousand instructions a request", flush=True)
        line = [f"{kind}_instructions={figures[kind]['head']:.0f}" for kind in kinds]
        if args.base:
            line += [f"{kind}_ratio={figures[kind]['head'] / figures[kind]['base']:.3f}" for kind in kinds]
        print(" ".join(line))
    finally:
        if base is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
