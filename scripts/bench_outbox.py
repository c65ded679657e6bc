"""The supervision push under load: events committed at a steady rate, delivered by a real
``oneseal worker`` process to a local receiver over HTTP.

    .venv/bin/python scripts/bench_outbox.py [--events 10000] [--rate 200] [--licences 2000]
                                             [--database-url URL] [--kills N]

A fresh database (SQLite in a temporary folder unless ``--database-url`` names an empty
PostgreSQL database) is migrated; the supervising department ``market`` gets an endpoint at a
receiver in this process (a threaded HTTP server that checks every signature). The producer
writes events in small transactions at ``--rate`` per second through the same persistence
function the services use (``push_queue.add_event``: the event and its delivery, one
transaction), ``--licences`` licences taking turns so that order per licence is exercised, and
notes each event's commit time. The worker (``oneseal worker``, the in-process runner, its push
loop polling every ``ONESEAL_DELIVERY_POLL_MS``) delivers them.

``--kills N`` kills the worker with SIGKILL N times at even intervals while events flow (at any
moment: mid-send, mid-record) and starts it again; the delivery lease is then 5 s, so what a
killed worker held is sent again soon (with the same event id: counted in duplicates).

Prints, last line: ``events_per_s=<n> p95_delivery_s=<n> lost=<n> duplicates=<n>`` — events_per_s
is the events delivered per second from the first commit to the last delivery, p95_delivery_s the
95th percentile of (first receipt − commit), lost the events never received, duplicates the extra
receipts of an event already received; before it, out_of_order (a licence's events received out
of their order) and the bad signatures (both must be 0).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.domain.licences.supervision_push import BadSignature, check_signature  # noqa: E402

SECRET = "bench-department-secret-0123456789"


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first_seen: dict[str, float] = {}
        self.order: dict[str, list[int]] = {}
        self.receipts = 0
        self.bad_signatures = 0


def start_receiver(sink: Sink) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            now = time.time()
            try:
                check_signature(self.headers.get("OneSeal-Signature"), SECRET, body, int(now))
            except BadSignature:
                with sink.lock:
                    sink.bad_signatures += 1
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            event_id = self.headers["OneSeal-Event-Id"]
            import json

            event = json.loads(body)
            with sink.lock:
                sink.receipts += 1
                if event_id not in sink.first_seen:
                    sink.first_seen[event_id] = now
                    sink.order.setdefault(event["licence"]["number"], []).append(event["sequence"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="events committed per second")
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the last delivery")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL the worker this many times mid-run")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="oneseal-outbox-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "ONESEAL_DATABASE_URL": url, "ONESEAL_INSTANCE_DIR": str(folder),
           "ONESEAL_SUPERVISION_ALLOWED_HOSTS": "127.0.0.1", "ONESEAL_WORKER_INTERVAL": "3600",
           **({"ONESEAL_DELIVERY_LEASE_S": "5"} if args.kills else {})}
    env.pop("ONESEAL_BROKER_URL", None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("ONESEAL_")})
    oneseal = str(Path(sys.executable).parent / "oneseal")
    subprocess.run([oneseal, "db", "upgrade"], env=env, check=True, capture_output=True)

    from app.config import Settings
    from app.persistence.background import push_queue
    from app.persistence.engine.db import Database
    from app.persistence.models import SupervisionEndpoint

    sink = Sink()
    server = start_receiver(sink)
    receiver_url = f"http://127.0.0.1:{server.server_address[1]}/events"
    db = Database(Settings.load().database_url)
    with db.unit_of_work() as session:
        session.add(SupervisionEndpoint(department="market", url=receiver_url, secret=SECRET, items=[],
                                        updated_at=datetime.now(UTC), updated_by="bench"))

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen([oneseal, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = start_worker()
    time.sleep(2.0)  # the worker's start-up (catalogue, rules, diagrams)
    kills = 0
    kill_every = args.events / (args.kills + 1) if args.kills else None
    committed: dict[str, float] = {}
    batch = max(1, int(args.rate / 20))  # twenty transactions a second
    started = time.time()
    written = 0
    try:
        while written < args.events:
            due = started + written / args.rate
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            with db.unit_of_work() as session:
                ids = []
                for _ in range(min(batch, args.events - written)):
                    licence = f"2026-XK-0001-Z{written % args.licences:05d}"
                    sequence = written // args.licences
                    now = datetime.now(UTC)
                    event = push_queue.add_event(
                        session, type="licence.granted", occurred_at=now, licence_number=licence, item_code="XK-0001",
                        case_id=None, departments=["market"],
                        body={"type": "licence.granted", "occurred_at": now.isoformat(), "sequence": sequence,
                              "licence": {"number": licence, "item_code": "XK-0001", "item_name": "食品经营许可",
                                          "holder": "张三餐饮店", "scope": "预包装食品销售", "status": "valid",
                                          "valid_until": "2031-03-01"},
                              "case": {"number": f"2026-{written:06d}", "decision": "approved",
                                       "decided_at": now.isoformat(), "department": "market"}})
                    ids.append(event.id)
                    written += 1
            moment = time.time()
            for event_id in ids:
                committed[event_id] = moment
            if kill_every and kills < args.kills and written >= kill_every * (kills + 1):
                worker.kill()  # SIGKILL: no clean-up, whatever it was doing
                worker.wait()
                kills += 1
                worker = start_worker()
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            with sink.lock:
                if len(sink.first_seen) >= len(committed):
                    break
            time.sleep(0.2)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.shutdown()
    with sink.lock:
        latencies = sorted(sink.first_seen[i] - committed[i] for i in committed if i in sink.first_seen)
        lost = sum(1 for i in committed if i not in sink.first_seen)
        duplicates = sink.receipts - len(sink.first_seen)
        out_of_order = sum(1 for seqs in sink.order.values() if seqs != sorted(seqs))
        last = max(sink.first_seen.values()) if sink.first_seen else started
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    rate = len(latencies) / max(last - started, 1e-9)
    print(f"database={url.split(':')[0]} events={len(committed)} rate_asked={args.rate:g}/s "
          f"p50_delivery_s={statistics.median(latencies) if latencies else float('nan'):.3f} "
          f"max_delivery_s={latencies[-1] if latencies else float('nan'):.3f}")
    print(f"out_of_order={out_of_order} bad_signatures={sink.bad_signatures} worker_kills={kills}")
    print(f"events_per_s={rate:.1f} p95_delivery_s={p95:.3f} lost={lost} duplicates={duplicates}")


if __name__ == "__main__":
    main()
