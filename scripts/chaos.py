"""The load of ``scripts/load.py`` while the server and the worker are killed with SIGKILL at
random moments and restarted.

The server (``oneseal serve``) and the worker (``oneseal worker --interval 1``) run as child
processes on a fresh database (SQLite, or a new PostgreSQL database with ``--database-url``).
While the clients work, a killer sends SIGKILL every ``--kill-every`` seconds on average (a
random moment: mid-request, between commit and answer, while idle), to the server three times
in four and to the worker otherwise, and starts the victim again. The clients send every write
with an ``Idempotency-Key`` and, when no answer comes (connection refused or reset) or the answer
is 503, send it again with the same key until one does.

Afterwards: every case is exactly before or after each step (``oneseal check cases``), the audit
chain verifies (``oneseal audit verify``), every completion a client was told of is in the trail
exactly once and no task was completed twice, every registration made exactly one case — the
retried ones included (``scripts/live/verdict.py``).

    .venv/bin/python scripts/chaos.py [--minutes 3] [--clients 6] [--kill-every 5] [--database-url URL]

The last line reads ``kills=<n> lost=<n> double=<n> audit=ok`` (then ``cases_check`` and how many
requests were retried); the exit status is 1 when anything was lost or doubled or a check failed.
"""
from __future__ import annotations

import random
import shlex
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.live.database import PASSWORD, environment, seed, throwaway_database  # noqa: E402
from scripts.live.processes import Child, Servers, worker  # noqa: E402
from scripts.live.traffic import Plan, read_records  # noqa: E402
from scripts.live.verdict import judge  # noqa: E402
from scripts.load import arguments, drive, report  # noqa: E402


class Killer(threading.Thread):
    """SIGKILL to the server or the worker at random moments, each restarted at once."""

    def __init__(self, servers: Servers, background: Child, every: float, until: float) -> None:
        super().__init__(daemon=True)
        self.servers, self.background = servers, background
        self.every, self.until = every, until
        self.rng = random.Random()
        self.kills = {"server": 0, "worker": 0}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                time.sleep(self.rng.uniform(0.2, 1.8) * self.every)
                if time.time() >= self.until:
                    return
                if self.rng.random() < 0.75:
                    victim = self.rng.choice(self.servers.children)
                    victim.kill()
                    self.kills["server"] += 1
                    victim.start(wait=True)
                else:
                    self.background.kill()
                    self.kills["worker"] += 1
                    self.background.start(wait=False)
        except BaseException as err:  # reported by the main thread
            self.error = err


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--kill-every", type=float, default=5.0, help="mean seconds between two kills")
    parser.set_defaults(minutes=3.0, clients=6)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="oneseal-chaos-"))
    with throwaway_database(args.database_url, folder, keep=args.keep) as url:
        env = environment(url, folder)
        seed(env)
        command = shlex.split(args.serve_command) if args.serve_command else None
        servers = Servers.build(args.processes[-1], env, folder, command)
        background = worker(env, folder)
        servers.start()
        background.start(wait=False)
        print(f"server ports {servers.ports}, worker; {args.clients} clients for {args.minutes} min, "
              f"a kill every ~{args.kill_every} s, on {url.split('://')[0]}", flush=True)
        deadline = time.time() + args.minutes * 60
        killer = Killer(servers, background, args.kill_every, deadline)
        try:
            killer.start()
            seconds = drive(lambda i: Plan(i, servers.ports, deadline, folder, PASSWORD, retry=True,
                                           minimal=args.minimal), args.clients)
            killer.join()
        finally:
            servers.stop()
            background.stop()
        if killer.error is not None:
            raise killer.error
        records, sent, no_answer = read_records(folder)
        report(records, seconds)
        verdict = judge(url, env, records, audit=True)
    retried = [r for r in records if r["attempts"] > 1]
    unanswered = sum(1 for r in records if r["status"] == 0)
    for note in verdict.notes[:20]:
        print("  !", note)
    kills = killer.kills["server"] + killer.kills["worker"]
    print(f"kills: server {killer.kills['server']}, worker {killer.kills['worker']}; requests sent {sent}, "
          f"of which {no_answer} got no answer and were sent again; {len(retried)} requests needed a retry "
          f"({sum(1 for r in retried if 200 <= r['status'] < 300)} of them then succeeded, "
          f"{sum(1 for r in retried if r['replayed'])} answered by the replay of a first attempt that had "
          f"committed before its answer was lost); "
          f"{unanswered} never answered; completions {verdict.completed_ok}, registrations {verdict.registered_ok}; "
          f"folder {folder}")
    audit = "ok" if verdict.audit else "broken"
    print(f"kills={kills} lost={verdict.lost} double={verdict.double} audit={audit} "
          f"cases_check={'ok' if verdict.cases_check else 'failed'} retried={len(retried)}")
    bad = verdict.lost or verdict.double or not verdict.audit or not verdict.cases_check
    if not bad and not args.keep:
        shutil.rmtree(folder, ignore_errors=True)  # the logs stay when something went wrong
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
