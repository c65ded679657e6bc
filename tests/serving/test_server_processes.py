"""``oneseal serve`` as operators run it: gunicorn with several processes serving a real request
flow, metrics counted across the processes, and a graceful stop that answers the request in
flight; the default single process (waitress) still serves ``make run``. Real server processes,
on the suite's database (SQLite or PostgreSQL)."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.api import PASSWORD
from tests.support.server import running_server, server_env

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="gunicorn runs on Linux/Unix only")


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the scrape (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:{{(.*)}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def _register(server, token: str) -> dict:
    body = {"item_code": "XK-0001", "applicant": {"name": "张三餐饮店"}, "materials": ["M01", "M02", "M03"],
            "facts": {}}
    answer = server.request("POST", "/api/v1/cases", body, token=token)
    assert answer.status == 201, answer.body
    return answer.json()


def test_two_gunicorn_processes_serve_a_case_from_window_to_decision_and_count_together(app, database_url,
                                                                                      tmp_path: Path):
    metrics_dir = tmp_path / "metrics"
    env = server_env(database_url, tmp_path / "instance", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                     ONESEAL_LOG_FORMAT="json")
    with running_server(env, tmp_path / "server.log", "--workers", "2", "--threads", "2") as server:
        window = server.token("window")
        case = _register(server, window)
        assert case["tasks"][0]["name"] == "受理"
        answer = server.request("POST", f"/api/v1/tasks/{case['tasks'][0]['id']}/complete",
                                {"decision": "approve", "opinion": "材料齐全", "data": {}}, token=window)
        assert answer.status == 200, answer.body
        after = answer.json()["case"]
        assert after["status"] == "in_review" and after["tasks"][0]["name"] == "审查"

        # many requests at once, each on its own connection, until both processes have answered
        def read(_: int) -> int:
            return server.request("GET", f"/api/v1/cases/{case['id']}", token=window).status

        served = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(10):
                statuses = list(pool.map(read, range(40)))
                served += len(statuses)
                assert set(statuses) == {200}
                if len(list(metrics_dir.glob("counter_*.db"))) >= 2:
                    break
        assert len(list(metrics_dir.glob("counter_*.db"))) >= 2, "one process answered every request"

        scrape = server.request("GET", "/metrics")
        assert scrape.status == 200
        text = scrape.body.decode()
        # every process's requests, whichever process answered the scrape
        assert _metric(text, "oneseal_http_requests_total", endpoint="api.get_case", method="GET",
                       status="200") == served
        assert _metric(text, "oneseal_task_completions_total", decision="approve") == 1
        assert _metric(text, "oneseal_http_requests_total", endpoint="api.create_case", method="POST",
                       status="201") == 1
        assert _metric(text, "oneseal_db_pool_size", pool="write" if "sqlite" in database_url else "main") > 0
    assert "Shutting down: Master" in server.output()
    assert not list(metrics_dir.glob("gauge_livesum_*.db")), "a dead worker's live gauges were left behind"
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "oneseal.access"]
    assert {line["endpoint"] for line in access} >= {"api.create_case", "api.complete", "metrics.metrics_page"}


def test_sigterm_lets_the_request_in_flight_finish_and_answer(app, database_url, tmp_path: Path):
    """A client sends half its login, the server gets SIGTERM, the client sends the rest: it
    still gets its token; the server then exits cleanly and takes no new connection."""
    env = server_env(database_url, tmp_path / "instance")
    with running_server(env, tmp_path / "server.log", "--workers", "2", "--graceful-timeout", "20") as server:
        body = json.dumps({"username": "window", "password": PASSWORD}).encode()
        conn = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        conn.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:10])
        time.sleep(1.0)  # the worker is reading the body: the request is in flight
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.5)  # the stop is under way: the workers no longer accept
        assert server.process.poll() is None, "the server stopped with a request in flight"
        conn.sendall(body[10:])
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        conn.close()
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), answer[:300]
        assert json.loads(payload)["token"]
        assert server.stop(timeout=30) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_the_default_is_one_waitress_process_as_make_run_starts_it(app, database_url, tmp_path: Path):
    env = server_env(database_url, tmp_path / "instance")
    with running_server(env, tmp_path / "server.log") as server:
        assert server.request("GET", "/api/v1/items").headers["server"] == "OneSeal"  # waitress, ident="OneSeal"
        window = server.token("window")
        _register(server, window)
        scrape = server.request("GET", "/metrics").body.decode()
        assert _metric(scrape, "oneseal_http_requests_total", endpoint="api.create_case", method="POST",
                       status="201") == 1


def test_the_workers_job_counts_are_added_to_the_servers_metrics(app, database_url, tmp_path: Path):
    """``oneseal worker`` processes on the host count in their own directory
    (``PROMETHEUS_MULTIPROC_DIR``); the server's scrape adds their counters
    (``ONESEAL_METRICS_WORKER_DIRS``)."""
    worker_dir = tmp_path / "worker-metrics"
    worker_dir.mkdir()
    count = ("from app.observability import metrics\n"
             "metrics.job_finished('timer', True); metrics.job_finished('timer', True)\n"
             "metrics.job_finished('deadline', False)\n")
    for _ in range(2):  # two worker processes
        subprocess.run([sys.executable, "-c", count], check=True, env={**os.environ,
                       "PROMETHEUS_MULTIPROC_DIR": str(worker_dir)})
    env = server_env(database_url, tmp_path / "instance", ONESEAL_METRICS_WORKER_DIRS=str(worker_dir))
    with running_server(env, tmp_path / "server.log", "--workers", "2") as server:
        text = server.request("GET", "/metrics").body.decode()
    assert _metric(text, "oneseal_jobs_total", job="timer", outcome="ok") == 4
    assert _metric(text, "oneseal_jobs_total", job="deadline", outcome="failed") == 2
    assert text.count("# TYPE oneseal_jobs_total counter") == 1


def _raw(port: int, request: bytes) -> tuple[bytes, bytes]:
    """One request sent as given; the answer's head and body."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(request)
    answer = b""
    while chunk := conn.recv(65536):
        answer += chunk
    conn.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_requests_gunicorn_cannot_parse_get_a_chinese_answer_with_a_code(app, database_url, tmp_path: Path):
    """A URL over gunicorn's limit, a malformed request line or header: gunicorn refuses them
    before the application sees them, in the service's own format (found by the outside attack:
    an English HTML page without a code)."""
    env = server_env(database_url, tmp_path / "instance")
    with running_server(env, tmp_path / "server.log", "--workers", "2") as server:
        cases = [
            (b"GET /api/v1/public/certificates/" + b"A" * 5000 + b"?code=x HTTP/1.1\r\nHost: t\r\n\r\n",
             b"414", "request_line_too_long"),
            ("GET /verify?number=证照 HTTP/1.1\r\nHost: t\r\n\r\n".encode(), b"400", "invalid_http_request"),
            (b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", b"400", "invalid_http_request"),
            (b"GET /api/v1/health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
             b"431", "request_headers_too_large"),
            # SCRIPT_NAME, trusted from the proxy's address, that the path does not start with
            (b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nSCRIPT_NAME: /zzz\r\nConnection: close\r\n\r\n",
             b"400", "invalid_http_request"),
            # a malformed chunked body: gunicorn finds it only when the application reads the body
            (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
             b"400", "invalid_http_request"),
        ]
        for request, status, code in cases:
            head, body = _raw(server.port, request)
            assert head.startswith(b"HTTP/1.1 " + status), head
            assert b"content-type: application/json" in head.lower(), head  # the server's or the app's
            answer = json.loads(body)
            assert answer["code"] == code and re.search(r"[\u4e00-\u9fff]", answer["message"]), answer
        assert server.request("GET", "/api/v1/health").status == 200  # the workers serve on
        assert "unexpected error" not in server.output() and "Traceback" not in server.output()


def test_requests_waitress_cannot_parse_get_a_chinese_answer_with_a_code(app, database_url, tmp_path: Path):
    """The same under the one waitress process of ``make run``: its own refusals in the service's format."""
    env = server_env(database_url, tmp_path / "instance")
    with running_server(env, tmp_path / "server.log") as server:
        cases = [
            (b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", b"400", "invalid_http_request"),
            (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
             b"501", "unsupported_transfer_coding"),
        ]
        for request, status, code in cases:
            head, body = _raw(server.port, request)
            assert re.match(rb"HTTP/1\.[01] " + status, head), head  # waitress: 1.0 when the version was unread
            assert b"content-type: application/json; charset=utf-8" in head.lower(), head
            answer = json.loads(body)
            assert answer["code"] == code and re.search(r"[\u4e00-\u9fff]", answer["message"]), answer
        assert server.request("GET", "/api/v1/health").status == 200


def test_each_kind_of_waitress_refusal_has_its_own_code():
    from waitress.utilities import (BadRequest, InternalServerError, RequestEntityTooLarge,
                                    RequestHeaderFieldsTooLarge, ServerNotImplemented)

    from app.waitress_server import refusal_code

    codes = {kind.__name__: refusal_code(kind("x")) for kind in (
        BadRequest, RequestHeaderFieldsTooLarge, RequestEntityTooLarge, ServerNotImplemented, InternalServerError)}
    assert codes == {"BadRequest": "invalid_http_request", "RequestHeaderFieldsTooLarge": "request_headers_too_large",
                     "RequestEntityTooLarge": "request_body_too_large",
                     "ServerNotImplemented": "unsupported_transfer_coding", "InternalServerError": "server_error"}


def test_every_server_refusal_has_a_chinese_message_and_each_gunicorn_kind_is_known():
    from gunicorn.http import errors

    from app.gunicorn_worker import refusal
    from app.server_refusals import MESSAGES, refusal_body

    for code in MESSAGES:
        body = json.loads(refusal_body(code))
        assert body["code"] == code and re.search(r"[\u4e00-\u9fff]", body["message"]), body
    assert refusal(errors.LimitRequestLine(5000, 4094))[:2] == (414, "URI Too Long")
    assert refusal(ValueError("an application error")) is None  # left to gunicorn (a 500)


def test_every_listening_socket_of_waitress_answers_refusals_in_the_services_format():
    from app.waitress_server import _Channel, server

    def app(environ, start_response):  # never reached by a refused request
        start_response("200 OK", [])
        return [b""]

    for listen in ("127.0.0.1:0", "127.0.0.1:0 127.0.0.1:0"):  # one socket, and two (a multi-socket server)
        built = server(app, listen=listen, _start=False)
        sockets = [built] if hasattr(built, "channel_class") else \
            [s for s in built.map.values() if hasattr(s, "channel_class")]
        assert len(sockets) == len(listen.split()) and all(s.channel_class is _Channel for s in sockets)
        built.close()
