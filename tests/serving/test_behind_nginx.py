"""The sample nginx site (deploy/nginx/oneseal.conf) in front of gunicorn, as deployed: TLS,
static files from the checkout, /metrics closed, nginx's request id in the app's answer and
audit trail, and a client's forged X-Forwarded-For and X-Request-Id replaced at the proxy.
Skipped where nginx is not installed (``apt-get install nginx``)."""
from __future__ import annotations

import http.client
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.persistence.tables.access import FailedAttempt
from app.persistence.models import AuditEvent
from tests.support.server import free_port, running_server, server_env

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "oneseal.conf"

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                                reason="nginx and openssl (apt-get install nginx)")


def _site(app_port: int, https: int, http_port: int, work: Path) -> str:
    site = SITE.read_text(encoding="utf-8")
    for old, new in [("127.0.0.1:8000", f"127.0.0.1:{app_port}"), ("listen 443 ssl http2;", f"listen {https} ssl;"),
                     ("listen 80;", f"listen {http_port};"), ("/opt/oneseal", str(ROOT)),
                     ("/etc/ssl/oneseal", str(work)), ("/var/log/nginx", str(work)), ("/var/www/acme", str(work))]:
        assert old in site, old
        site = site.replace(old, new)
    return re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # the test machine may have no IPv6


@pytest.fixture
def nginx_in_front(app, database_url, tmp_path: Path):
    work = tmp_path / "nginx"
    work.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(work / "privkey.pem"), "-out", str(work / "fullchain.pem")],
                   check=True, capture_output=True)
    env = server_env(database_url, tmp_path / "instance", ONESEAL_TRUSTED_PROXIES="127.0.0.1")
    with running_server(env, tmp_path / "server.log", "--workers", "2") as server:
        https, http_port = free_port(), free_port()
        (work / "site.conf").write_text(_site(server.port, https, http_port, work), encoding="utf-8")
        (work / "nginx.conf").write_text(
            f"user root;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{}}\n"
            f"http {{ include /etc/nginx/mime.types; client_body_temp_path {work}/body; "
            f"proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; "
            f"scgi_temp_path {work}/scgi; include {work}/site.conf; }}\n", encoding="utf-8")
        nginx = subprocess.Popen(["nginx", "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", https), timeout=1).close()
                    break
                except OSError:
                    assert nginx.poll() is None, nginx.stderr.read().decode() if nginx.stderr else ""
                    time.sleep(0.1)
            yield server, https, http_port
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def _https(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    try:
        conn.request(method, path, body=body.encode() if body is not None else None, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_the_site_serves_static_files_itself_and_closes_the_metrics(nginx_in_front):
    server, https, http_port = nginx_in_front
    status, headers, body = _https(https, "GET", "/assets/oneseal.css")
    assert status == 200 and headers["server"].startswith("nginx") and "x-request-id" not in headers  # not the app
    assert body == (ROOT / "app" / "web" / "static" / "oneseal.css").read_bytes()
    assert _https(https, "GET", "/vendor/bpmn-js/dist/bpmn-navigated-viewer.production.min.js")[0] == 200
    assert _https(https, "GET", "/metrics")[0] == 404
    assert server.request("GET", "/metrics").status == 200  # the scraper on the host, directly
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    conn.request("GET", "/login")
    plain = conn.getresponse()
    assert plain.status == 301 and plain.getheader("Location", "").startswith("https://")
    conn.close()


def test_the_request_id_comes_from_nginx_into_the_audit_trail_and_forgeries_are_dropped(nginx_in_front, ext):
    server, https, _ = nginx_in_front
    token = server.token("window")
    body = '{"item_code": "XK-0001", "applicant": {"name": "张三餐饮店"}, "materials": ["M01", "M02", "M03"]}'
    status, headers, answer = _https(https, "POST", "/api/v1/cases", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {token}",
        "X-Request-Id": "forged-by-the-client", "X-Forwarded-For": "203.0.113.7"})
    assert status == 201, answer
    request_id = headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, not the client's
    with ext.db.session(write=False) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case_registered")).one()
    assert event.request_id == request_id


def test_a_forged_forwarded_address_does_not_move_the_public_pages_limit(nginx_in_front, ext):
    _, https, _ = nginx_in_front
    status, headers, page = _https(https, "GET", "/progress")
    assert status == 200
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    cookie = headers["set-cookie"].split(";", 1)[0]
    status, _, _ = _https(https, "POST", "/progress", f"csrf_token={token}&number=NOPE&code=000000", {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "X-Forwarded-For": "203.0.113.7"})
    assert status in (400, 404)
    with ext.db.session(write=False) as session:
        clients = list(session.scalars(select(FailedAttempt.client)))
    assert clients == ["127.0.0.1"]  # the address nginx saw, not the one the client wrote
