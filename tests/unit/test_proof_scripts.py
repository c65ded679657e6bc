"""The proof under load and crashes: ``scripts/load.py`` and ``scripts/chaos.py`` run briefly
against the real server, and their verdict catches what it is there to catch.

Figures (completions a second, p99) are read from the scripts' output, never asserted here.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.live.database import environment
from scripts.live.verdict import judge
from tests.support.cases import register, work
from tests.support.database import BASE_URL, ON_POSTGRES

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _run(script: str, *args: str) -> str:
    extra = ["--database-url", BASE_URL] if ON_POSTGRES else []
    done = subprocess.run([sys.executable, str(SCRIPTS / script), *args, *extra], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_load_through_http_loses_and_doubles_nothing():
    last = _run("load.py", "--minutes", "0.15", "--clients", "3")
    assert re.fullmatch(r"requests=\d+ errors_5xx=0 lost=0 double=0 completions_per_s=[\d.]+ p99_ms=[\d.]+ "
                        r"cases_check=ok", last), last


def test_chaos_kills_and_every_retried_request_lands_once():
    last = _run("chaos.py", "--minutes", "0.3", "--clients", "2", "--kill-every", "2")
    found = re.fullmatch(r"kills=(\d+) lost=0 double=0 audit=ok cases_check=ok retried=\d+", last)
    assert found and int(found.group(1)) >= 1, last


def test_the_verdict_finds_a_lost_and_a_doubled_completion(api, settings, tmp_path):
    case = register(api)
    done_id = case["tasks"][0]["id"]
    after = work(api, case, "window", "approve")
    open_id = after["tasks"][0]["id"]
    env = environment(settings.database_url, tmp_path)
    told_ok = {"op": "complete", "status": 200, "task": done_id}
    assert judge(settings.database_url, env, [told_ok]).lost == 0
    verdict = judge(settings.database_url, env, [told_ok, {"op": "complete", "status": 200, "task": open_id}])
    assert verdict.lost == 1 and verdict.double == 0  # told it completed, but the task is still open
    verdict = judge(settings.database_url, env, [told_ok, dict(told_ok)])
    assert verdict.double == 1 and verdict.lost == 0  # two requests told they completed one task
    assert verdict.cases_check


def test_the_http_benchmark_fills_its_queue_and_ends_with_its_figures():
    extra = ["--database-url", BASE_URL] if ON_POSTGRES else []  # on the suite's database
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_http.py"), "--runs", "5", "--open-tasks", "40",
                           "--days", "4", *extra], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert f"database: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}; " in done.stdout, done.stdout
    queued = re.search(r"queue of window2: (\d+) open steps, 20 rows a page; load average", done.stdout)
    assert queued and int(queued.group(1)) >= 40, done.stdout  # the 40 filled, besides the demo's
    # the figures name the interpreter the server ran on (its build changes them)
    assert f"Python {platform.python_version()} ({sys.base_prefix})" in done.stdout, done.stdout
    assert re.fullmatch(r"completion_p50_ms=[\d.]+ registration_p50_ms=[\d.]+ case_view_p50_ms=[\d.]+ "
                        r"claim_p50_ms=[\d.]+ tasks_list_p50_ms=[\d.]+ floor_p50_ms=[\d.]+", lines[-1]), lines[-1]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only, whatever the suite's database: run once")
def test_the_side_by_side_benchmark_serves_both_versions_and_says_which_is_faster():
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_http_ab.py"), "--base", "HEAD", "--runs", "4",
                           "--rounds", "1", "--open-tasks", "20"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"base_p50_ms=[\d.]+ head_p50_ms=[\d.]+ ratio=[\d.]+", last), last


@pytest.mark.skipif(ON_POSTGRES or shutil.which("valgrind") is None,
                    reason="SQLite only, whatever the suite's database; needs valgrind")
def test_the_instruction_count_measures_each_kind_under_callgrind_and_compares_with_a_base():
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_instructions.py"), "--kinds", "floor,claim",
                           "--requests", "3", "--open-tasks", "5", "--base", "HEAD"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    figures = re.fullmatch(r"floor_instructions=(\d+) claim_instructions=(\d+) floor_ratio=([\d.]+) "
                           r"claim_ratio=([\d.]+)", last)
    assert figures, last
    floor, claim = int(figures.group(1)), int(figures.group(2))
    assert 0 < floor < claim  # thousands a request: a claim does more than the health probe
    assert 0.9 < float(figures.group(3)) < 1.1  # the same revision on both sides


def test_the_instruction_count_refuses_a_kind_it_does_not_know():
    done = subprocess.run([sys.executable, str(SCRIPTS / "bench_instructions.py"), "--kinds", "floor,lunch"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "lunch" in done.stderr


def test_load_runs_one_and_two_processes_in_the_same_run_and_says_how_they_scale():
    last = _run("load.py", "--processes", "1,2", "--minutes", "0.1", "--clients", "2", "--think-ms", "20")
    assert re.fullmatch(r"requests=\d+ errors_5xx=0 lost=0 double=0 completions_per_s=[\d.]+ p99_ms=[\d.]+ "
                        r"cases_check=ok scaling=[\d.]+", last), last


def test_the_load_client_sends_again_what_found_its_idle_connection_closed():
    """gunicorn closes a kept-alive connection left idle: the next request on it gets no answer
    although the server never saw it; the client sends it once more on a new connection."""
    import socket
    import threading

    from scripts.live.client import Client

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    def serve() -> None:
        for _ in range(2):  # each connection: one answer, then closed as if idle too long
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.sendall(answer)
            conn.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    client = Client(listener.getsockname()[1], timeout=5)
    try:
        assert client.once("GET", "/api/v1/health").status == 200
        again = client.once("GET", "/api/v1/health")  # its connection was closed meanwhile
        assert again.status == 200 and client.failures == 0 and client.sent == 3
        post = client.once("POST", "/api/v1/cases", {"x": 1})  # a write without a key is not sent again
        assert post.status == 0 and client.failures == 1
    finally:
        client.close()
        listener.close()
    server.join(5)


def test_make_builds_the_venv_from_the_distributions_python_when_it_can():
    """The distribution's interpreter is built with PGO and LTO (README, "Production"): the
    Makefile takes it when it is 3.11–3.13 and has venv with ensurepip, else python3 on the PATH."""
    alone = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHON")}
    chosen = subprocess.run(["make", "-s", "--no-print-directory", "print-python"], cwd=SCRIPTS.parent, env=alone,
                            capture_output=True, text=True, check=True).stdout.strip()
    system = Path("/usr/bin/python3")
    usable = system.exists() and subprocess.run(
        [str(system), "-c", "import sys, ensurepip, venv; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))"],
        capture_output=True).returncode == 0
    assert chosen == ("/usr/bin/python3" if usable else "python3")


def test_every_answer_of_the_load_traffic_is_one_its_step_accepts():
    """The traffic's answers follow the shipped diagrams: a field a step no longer declares
    would be refused (400) every time, and the load would never get past that step (制证 once
    asked for a certificate number: no licence was signed under load or kill -9)."""
    from app.workflow.definitions import Document
    from scripts.live.traffic import ANSWERS, answer_for
    from tests.support.project_flow import engine_for
    from tests.support.shipped_paths import DOCUMENTS, PROCESSES

    checked = set()
    for process_id, names in DOCUMENTS.items():
        _, definition, _ = engine_for([Document(f"{n}.bpmn", (PROCESSES / f"{n}.bpmn").read_bytes()) for n in names],
                                      process_id)
        for element_id in ANSWERS:
            answer = answer_for(element_id, "inspector_market")
            try:
                spec = definition.human_task(element_id)
            except (KeyError, LookupError):
                continue
            checked.add(element_id)
            declared = {f.name for f in spec.fields}
            assert set(answer.get("data", {})) <= declared, (process_id, element_id, declared)
            assert set(f.name for f in spec.fields if f.required) <= set(answer.get("data", {})), (process_id, element_id)
            if spec.decisions:
                assert answer.get("decision") in spec.decisions, (process_id, element_id)
            else:
                assert answer.get("decision") in (None, ""), (process_id, element_id)
    assert checked == set(ANSWERS), set(ANSWERS) - checked
