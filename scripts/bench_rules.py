"""Measure rules-engine throughput: validated facts → durable_rules session → RuleDecision.

Usage: python scripts/bench_rules.py [--decisions N] [--threads T] [--rules DIR]
Every decision goes through the engine (no cache). The last line is ``decisions_per_s=<n>``.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.rules_engine import load_rules_engine

KEYS = ("requires_site_inspection", "departments_involved", "parallel_approval", "risk_level",
        "technical", "bureau_qualified")


def fact_mix() -> list[dict]:
    """Every combination of the inspection facts' boundary values (192 fact sets)."""
    combos = itertools.product([False, True], [1, 2, 7], [False, True], ["low", "medium", "high"],
                               [False, True], [False, True])
    return [dict(zip(KEYS, combo)) for combo in combos]


def run(engine, facts: list[dict], count: int) -> None:
    for i in range(count):
        engine.evaluate("inspection", facts[i % len(facts)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    args = parser.parse_args()

    engine = load_rules_engine(args.rules)
    facts = fact_mix()
    run(engine, facts, 2_000)  # warm-up
    per_thread = args.decisions // args.threads
    workers = [threading.Thread(target=run, args=(engine, facts, per_thread))
               for _ in range(args.threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    total = per_thread * args.threads
    rate = int(total / elapsed)
    print(f"{total} decisions in {elapsed:.2f} s on {args.threads} thread(s), "
          f"ruleset {engine.version_of('inspection')}")
    print(f"decisions_per_s={rate}")


if __name__ == "__main__":
    main()
