"""Two versions of the code side by side on the real server: which one completes faster.

A shared 2-core machine drifts by 5–10 % within an hour, more than a change worth making; two
runs of ``bench_http.py`` taken minutes apart cannot tell such a change from the drift. Here the
base revision (served from a temporary git worktree) and the present checkout run as two
servers at once, each on its own copy of the same database, and one client sends their
completions alternately, A then B, B then A: whatever the machine does meanwhile, both pay it.

    .venv/bin/python scripts/bench_http_ab.py --base HEAD~3 [--runs 300] [--rounds 2] [--template PATH]

Each round registers and claims ``--runs`` cases on each server (not timed), then completes them
alternately (``Prefer: return=minimal``, as ``bench_http.py --minimal``); the first round warms
both up and is not counted. The floor (``GET /api/v1/health``) is timed the same way. The last
line reads ``base_p50_ms=<n> head_p50_ms=<n> ratio=<n>`` (head ÷ base: under 1 is faster).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_http import ITEM, fill  # noqa: E402
from scripts.live.client import Client  # noqa: E402
from scripts.live.database import PASSWORD, environment, seed  # noqa: E402
from scripts.live.processes import Servers, interpreter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = {"Prefer": "return=minimal"}


@dataclass
class Side:
    """One version: its server, its client and what it has timed."""

    label: str
    servers: Servers
    client: Client
    token: str
    application: dict[str, Any]
    completions: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, label: str, tree: Path, template: Path, folder: Path) -> Side:
        folder.mkdir()
        shutil.copyfile(template, folder / "oneseal.db")
        # the tree's own code: PYTHONPATH comes before the installed (editable) checkout
        env = environment(f"sqlite:///{folder / 'oneseal.db'}", folder, PYTHONPATH=str(tree))
        servers = Servers.build(1, env, folder, None)
        servers.start()
        client = Client(servers.ports[0])
        token = client.call("POST", "/api/v1/auth/token", {"username": "window", "password": PASSWORD}).body["token"]
        items = client.call("GET", "/api/v1/items", token=token).body["items"]
        materials = [m["code"] for m in next(i for i in items if i["code"] == ITEM)["materials"]]
        application = {"item_code": ITEM, "applicant": {"name": "张三餐饮店", "contact": "0910-1234567"},
                       "materials": materials, "facts": {}}
        return cls(label, servers, client, token, application)

    def claimed_steps(self, count: int) -> list[str]:
        steps = []
        for _ in range(count):
            case = self.client.once("POST", "/api/v1/cases", self.application, token=self.token, headers=MINIMAL)
            steps.append(case.body["tasks"][0]["id"])
        for step in steps:
            self.client.once("POST", f"/api/v1/tasks/{step}/claim", token=self.token)
        return steps

    def complete(self, step: str) -> float:
        answer = self.client.once("POST", f"/api/v1/tasks/{step}/complete",
                                  {"decision": "approve", "opinion": "材料齐全，予以受理"},
                                  token=self.token, headers=MINIMAL)
        if answer.status != 200:
            raise RuntimeError(f"{self.label}: completion answered {answer.status} {answer.body}")
        return answer.ms

    def stop(self) -> None:
        self.client.close()
        self.servers.stop()


def worktree(revision: str, folder: Path) -> Path:
    path = folder / f"{folder.name}-base"  # git names the worktree after it: unique
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), revision],
                   check=True, capture_output=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare the checkout with")
    parser.add_argument("--runs", type=int, default=300, help="completions a server a round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds (the first warms up, not counted)")
    parser.add_argument("--open-tasks", type=int, default=10_000)
    parser.add_argument("--template", type=Path, default=None,
                        help="a filled database to copy (made there first if missing), as bench_http.py's")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="oneseal-bench-ab-"))
    sides: list[Side] = []
    base = None
    try:
        template = args.template or folder / "template.db"
        if not template.exists():
            url = f"sqlite:///{template}"
            seed(environment(url, folder))
            fill(url, folder, args.open_tasks)
        base = worktree(args.base, folder)
        sides = [Side.start("base", base, template, folder / "a"), Side.start("head", ROOT, template, folder / "b")]
        for number in range(max(1, args.rounds)):
            steps = [side.claimed_steps(args.runs) for side in sides]
            counted = number > 0 or args.rounds == 1
            for i in range(args.runs):
                for s in (0, 1) if i % 2 == 0 else (1, 0):
                    ms = sides[s].complete(steps[s][i])
                    if counted:
                        sides[s].completions.append(ms)
        for i in range(args.runs):
            for s in (0, 1) if i % 2 == 0 else (1, 0):
                sides[s].floor.append(sides[s].client.once("GET", "/api/v1/health").ms)
    finally:
        for side in sides:
            side.stop()
        if base is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"base {args.base} against the checkout; {args.runs} completions a server a round; {interpreter()}")
    for side in sides:
        done, floor = sorted(side.completions), sorted(side.floor)
        print(f"  {side.label:<5} completion p50 {statistics.median(done):6.3f} ms  p25 {done[len(done) // 4]:6.3f}"
              f"  p75 {done[3 * len(done) // 4]:6.3f}   floor p50 {statistics.median(floor):6.3f} ms")
    a, b = (statistics.median(side.completions) for side in sides)
    print(f"base_p50_ms={a:.3f} head_p50_ms={b:.3f} ratio={b / a:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
