"""Mixed traffic from many clients through HTTP against the real server, then the proof.

Starts the real server (``oneseal serve``; with ``--processes N`` either one server of N
processes when ``serve`` takes ``--workers``, or N single-process servers on N ports that the
clients share out) on a fresh database seeded by ``oneseal init-db --demo`` — a SQLite file, or
a new PostgreSQL database on the server of ``--database-url`` (dropped afterwards). Then
``--clients`` client processes (each with two connections) register cases, read inboxes, claim
and complete steps and race on purpose on the same task (see ``scripts/live/traffic.py``) for
``--minutes``, each pausing ``--think-ms`` on average between two actions (0: none, every
client sends its next request as soon as it has the answer). Afterwards every 2xx completion
must be in the audit trail exactly once with its task completed, no task completed twice, every
2xx registration made exactly one case, and ``oneseal check cases`` must be clean
(``scripts/live/verdict.py``).

``--processes 1,2`` runs the whole of it once per count, one after the other in the same run
(each on a fresh database, with the same clients and minutes), prints each one's line and then
the last line with ``scaling=<n>``: the last count's completions a second over the first's.

    .venv/bin/python scripts/load.py [--processes 1[,2]] [--minutes 1] [--clients 8] [--think-ms 0]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/any] [--serve-command "…{port}…"]

The last line reads ``requests=<n> errors_5xx=<n> lost=<n> double=<n> completions_per_s=<n>
p99_ms=<n> cases_check=ok`` (of the last count, and `` scaling=<n>`` when several were run); the
exit status is 1 when anything was lost, doubled or inconsistent, or a request got a 5xx.
"""
from __future__ import annotations

import argparse
import multiprocessing
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.live.database import PASSWORD, environment, seed, throwaway_database  # noqa: E402
from scripts.live.processes import Servers, interpreter  # noqa: E402
from scripts.live.traffic import Plan, read_records, run_client  # noqa: E402
from scripts.live.verdict import judge, quantile  # noqa: E402


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--processes", type=_counts, default=[1],
                        help="server processes; several (1,2) run one after the other in the same run")
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (a new database is made on it); default: a SQLite file")
    parser.add_argument("--serve-command", default=None,
                        help="the server command, {port} and {processes} filled in (default: oneseal serve)")
    parser.add_argument("--minimal", action="store_true", help="completions ask for Prefer: return=minimal")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="a client's mean pause between two actions (exponential); 0: none")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder and database")
    return parser


def _counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("server processes: 1, or several such as 1,2")
    return counts


def drive(plan_for: Callable[[int], Plan], clients: int) -> float:
    """Run the client processes to their deadline; the seconds it took."""
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    processes = [context.Process(target=run_client, args=(plan_for(i),)) for i in range(clients)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} client processes failed: exit {failed}")
    return time.perf_counter() - started


def report(records: list[dict], seconds: float) -> tuple[int, int, float, float]:
    statuses = Counter((r["op"], r["status"]) for r in records)
    for (op, status), count in sorted(statuses.items()):
        print(f"  {op:<9} {status}: {count}")
    errors_5xx = sum(1 for r in records if r["status"] >= 500)
    completions = sum(1 for r in records if r["op"] == "complete" and 200 <= r["status"] < 300)
    timed = [r["ms"] for r in records if r["op"] not in ("login", "items") and r["status"]]
    for op in ("register", "inbox", "claim", "complete"):
        ms = [r["ms"] for r in records if r["op"] == op and r["status"]]
        if ms:
            print(f"  {op:<9} p50 {quantile(ms, 0.5):.1f} ms  p99 {quantile(ms, 0.99):.1f} ms  (n={len(ms)})")
    return errors_5xx, completions, completions / seconds, quantile(timed, 0.99)


def run_once(args: argparse.Namespace, processes: int) -> tuple[str, float, bool]:
    """One load run with ``processes`` server processes: its last line, its completions a
    second, and whether anything went wrong."""
    folder = Path(tempfile.mkdtemp(prefix="oneseal-load-"))
    with throwaway_database(args.database_url, folder, keep=args.keep) as url:
        env = environment(url, folder)
        seed(env)
        command = shlex.split(args.serve_command) if args.serve_command else None
        servers = Servers.build(processes, env, folder, command)
        servers.start()
        print(f"{len(servers.children)} server(s), {processes} process(es) in all, ports {servers.ports}; "
              f"{args.clients} clients for {args.minutes} min on {url.split('://')[0]}"
              + (f", {args.think_ms:g} ms between actions" if args.think_ms else "") + f"; {interpreter()}",
              flush=True)
        try:
            deadline = time.time() + args.minutes * 60
            seconds = drive(lambda i: Plan(i, servers.ports, deadline, folder, PASSWORD, minimal=args.minimal,
                                           think_ms=args.think_ms), args.clients)
        finally:
            servers.stop()
        records, sent, no_answer = read_records(folder)
        errors_5xx, completions, per_second, p99 = report(records, seconds)
        verdict = judge(url, env, records)
    for note in verdict.notes[:20]:
        print("  !", note)
    print(f"completions {completions} in {seconds:.1f} s; registrations {verdict.registered_ok}; "
          f"no answer {no_answer}; folder {folder}")
    line = (f"requests={sent} errors_5xx={errors_5xx} lost={verdict.lost} double={verdict.double} "
            f"completions_per_s={per_second:.1f} p99_ms={p99:.1f} cases_check={'ok' if verdict.cases_check else 'failed'}")
    bad = bool(errors_5xx or verdict.lost or verdict.double or not verdict.cases_check or no_answer)
    if not bad and not args.keep:
        shutil.rmtree(folder, ignore_errors=True)  # the logs stay when something went wrong
    return line, per_second, bad


def main() -> int:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    results = []
    for processes in args.processes:
        line, per_second, bad = run_once(args, processes)
        results.append((processes, line, per_second, bad))
        if len(args.processes) > 1:
            print(f"processes={processes} {line}", flush=True)
    last_line = results[-1][1]
    if len(results) > 1:
        first, last = results[0][2], results[-1][2]
        last_line += f" scaling={last / first if first else 0:.2f}"
    print(last_line)
    return 1 if any(bad for *_, bad in results) else 0


if __name__ == "__main__":
    sys.exit(main())
