"""Hostile values in every field of every route, sent to the real server over HTTP.

Starts ``oneseal serve`` on the database of ``ONESEAL_DATABASE_URL`` (after ``oneseal init-db
--demo``) and sends, as the role each route is for: every JSON field of every API operation
replaced by each hostile value (huge, deep, NUL, lone surrogates, wrong types, huge and
negative numbers, SQL/HTML/JS injection, path traversal); the same in every query parameter
and path segment; every form field of the pages (signed in, with the CSRF token); hostile
BPMN uploads (DTD, entities, deep, huge, expression bombs, odd names); odd headers, methods
and content types. Each answer must be below 500; an API refusal must be JSON with a machine
``code`` and a Chinese ``message``. Last line: ``requests=<n> 5xx=<n> bad_errors=<n>``.

    ONESEAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python scripts/attack_input.py
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
ONESEAL = str(Path(sys.executable).with_name("oneseal"))
PASSWORD = os.environ.get("ONESEAL_DEMO_PASSWORD", "oneseal-demo")
CJK = re.compile("[\u4e00-\u9fff]")

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 600 + "1" + "}" * 600

#: JSON texts substituted for a field's value (raw, so NaN, 1e999 and lone surrogates go as sent)
HOSTILE_JSON = [
    '""', '" "', '"a\\u0000b"', '"\\ud800"', '"x\\udfffy"', '"\\ud83d\\ude00"', '"\\u202e\\u200b\\ufeff"',
    '"\\uffff\\uFFFE"', json.dumps("x" * 100_000), json.dumps("中" * 40_000),
    DEEP, DEEP_OBJECT, "[" * 33 + "]" * 33, "[[[[[[[[[[1]]]]]]]]]]",
    "0", "-1", "2147483648", "-2147483649", "9223372036854775808", "18446744073709551616",
    "1" * 5000, "1e308", "-1e308", "1e999", "NaN", "Infinity", "-0.0", "0.5", "true", "false", "null",
    "[]", "{}", "[1,2,3]", '{"$ne":1}', '{"__proto__":{"x":1}}', '{"_x":1,"typename":"BpmnWorkflow"}',
    '["M01","M01","M01"]', json.dumps(["M01"] * 5000),
    json.dumps("' OR 1=1 --"), json.dumps("'; DROP TABLE cases; --"), json.dumps("\" OR \"\"=\""),
    json.dumps("<script>alert(1)</script>"), json.dumps("<img src=x onerror=alert(1)>"),
    json.dumps("{{7*7}}{% print 1 %}${7*7}"), json.dumps("%s%s%n%x"), json.dumps("../../../../etc/passwd"),
    json.dumps("..\\..\\..\\windows\\win.ini"), json.dumps("\r\nSet-Cookie: pwn=1"), json.dumps("%00%"),
    json.dumps("_%\\"), json.dumps("__import__('os').system('id')"),
    json.dumps({"a": "b" * 100}), json.dumps({str(i): i for i in range(3000)}),
]
#: plain strings for query parameters, form fields and path segments
HOSTILE_TEXT = [
    "", " ", "a\x00b", "%", "_", "\\", "'", '"', "' OR 1=1 --", "'; DROP TABLE cases; --",
    "<script>alert(1)</script>", "{{7*7}}", "../../../../etc/passwd", "..%2f..%2fetc%2fpasswd",
    "x" * 100_000, "中" * 5000, "\u202e\u200b\ufeff", "😀", "-1", "0", "2147483648", "9223372036854775808",
    "1" * 5000, "1e999", "NaN", "１２", "²", "true", "null", "[]", "{}", "\r\nX-Injected: 1",
    "2026-02-30", "9999-12-31", "0000-00-00", "2026-13-01", "\udc80",
]


def qt(value: str, safe: str = "/") -> str:
    """Percent-encoded as UTF-8; a lone surrogate as the bytes it would be (not valid UTF-8)."""
    return quote(value, safe=safe, errors="surrogatepass")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Attack:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[str] = []
        self.bad_errors: list[str] = []
        self.sent = 0

    # ------------------------------------------------------------------ sending
    def send(self, method: str, path: str, *, user: str | None = None, data: bytes | str | None = None,
             headers: dict[str, str] | None = None, http: requests.Session | None = None,
             form: Any = None, files: Any = None, expect_json: bool | None = None) -> requests.Response:
        sent = dict(headers or {})
        if user is not None:
            sent.setdefault("Authorization", f"Bearer {self.token(user)}")
        if isinstance(form, dict):  # encoded here: a lone surrogate goes as its (invalid) bytes
            data = "&".join(f"{qt(k, '')}={qt(v, '')}" for k, v in form.items())
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            form = None
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        try:
            answer = (http or self.http).request(method, self.base + path, data=form if form is not None else data,
                                                 files=files, headers=sent, timeout=120, allow_redirects=False)
        except requests.exceptions.InvalidHeader:
            raise  # the client would not send it
        except requests.RequestException as err:
            self.server_errors.append(f"{method} {path[:120]}: no answer ({err!r})")
            raise
        self.sent += 1
        self.statuses[answer.status_code] += 1
        where = f"{method} {path[:150]} {(data or b'')[:80]!r}"
        if answer.status_code >= 500:
            self.server_errors.append(f"{where} → {answer.status_code} {answer.text[:200]}")
        elif answer.status_code >= 400 and method != "HEAD" and "(generated by OneSeal)" not in answer.text and (expect_json if expect_json is not None else path.startswith(("/api/", "/modeler/api/"))):
            try:
                body = answer.json()
                if not (isinstance(body.get("code"), str) and CJK.search(body.get("message", ""))):
                    self.bad_errors.append(f"{where} → {answer.status_code} {answer.text[:200]}")
            except ValueError:
                self.bad_errors.append(f"{where} → {answer.status_code} not JSON: {answer.text[:120]!r}")
        return answer

    def token(self, user: str) -> str:
        if user not in self.tokens:
            answer = self.http.post(f"{self.base}/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            self.tokens[user] = answer.json()["token"]
        return self.tokens[user]

    def post_json(self, path: str, user: str | None, raw: str, **kw: Any) -> requests.Response:
        return self.send("POST", path, user=user, data=raw, headers={"Content-Type": "application/json"}, **kw)

    # ------------------------------------------------------------------ fixtures
    def new_case(self, item: str = "XK-0001", materials: list[str] | None = None) -> dict[str, Any]:
        body = {"item_code": item, "applicant": {"name": "攻击测试"}, "materials": materials or
                ["M01", "M02", "M03", "M04", "M05"]}
        answer = self.http.post(f"{self.base}/api/v1/cases", json=body,
                                headers={"Authorization": f"Bearer {self.token('window')}"})
        assert answer.status_code == 201, answer.text
        return answer.json()


def substitute(template: Any, path: tuple[Any, ...], marker: str) -> Any:
    body = copy.deepcopy(template)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return body


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a JSON template (objects and list items), the containers included."""
    paths: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += leaf_paths(item, (*prefix, index))
    return paths


def hostile_bodies(template: dict[str, Any]) -> list[str]:
    """The template with each field in turn set to each hostile JSON value; also extra fields."""
    marker = f"@@{uuid.uuid4().hex}@@"
    bodies = []
    for path in leaf_paths(template):
        text = json.dumps(substitute(template, path, marker), ensure_ascii=False)
        bodies += [text.replace(json.dumps(marker), value) for value in HOSTILE_JSON]
    extra = json.dumps({**template, "unexpected": marker}, ensure_ascii=False)
    bodies += [extra.replace(json.dumps(marker), value) for value in HOSTILE_JSON[:12]]
    bodies += ["", "null", "[]", '"x"', "1", "{", '{"a":1,}', "\ufeff{}", "{}" * 2, '{"a":1}{"b":2}']
    return bodies


# ---------------------------------------------------------------------- the API

def attack_api(attack: Attack) -> None:
    reviewer_case = attack.new_case()
    case_id = reviewer_case["id"]
    # the token route, not signed in
    for body in hostile_bodies({"username": "window", "password": PASSWORD}):
        attack.post_json("/api/v1/auth/token", None, body)
    # registration
    for body in hostile_bodies({"item_code": "XK-0001", "applicant": {"name": "甲", "contact": "1", "id_number": "1",
                                                                       "address": "城南"},
                                "materials": ["M01", "M02"], "facts": {"risk_level": "low"}}):
        attack.post_json("/api/v1/cases", "window", body)
    for body in hostile_bodies({"bundle_code": "YJS-0001", "applicant": {"name": "甲"}, "materials": []}):
        attack.post_json("/api/v1/cases", "window", body)
    for body in hostile_bodies({"item_code": "GCXM-QY", "applicant": {"name": "甲"}, "materials": [],
                                "project": {"name": "项目", "location": "城南", "project_code": "2026-1"}}):
        attack.post_json("/api/v1/cases", "window", body)
    # materials received
    gap_case = attack.new_case("XK-0001", ["M01", "M02", "M03"])
    for body in hostile_bodies({"materials": ["M04"]}):
        attack.post_json(f"/api/v1/cases/{gap_case['id']}/materials", "window", body)
    # rules
    for body in hostile_bodies({"facts": {"requires_site_inspection": True, "departments_involved": 2,
                                          "parallel_approval": False, "risk_level": "low", "technical": False,
                                          "bureau_qualified": True}}):
        attack.post_json("/api/v1/rules/inspection/evaluate", "reviewer_market", body)
    # the task actions: a fresh task whenever one got used up
    task = {"id": reviewer_case["tasks"][0]["id"]}

    def fresh() -> None:
        task["id"] = attack.new_case()["tasks"][0]["id"]

    templates = {
        "complete": {"decision": "approve", "opinion": "同意", "data": {"note": "x"}, "version": 1,
                     "notice": [{"material": "M01", "reason": "不清晰"}], "materials": ["M01"]},
        "transfer": {"to": "window2", "reason": "外出"},
        "claim": {}, "release": {},
    }
    for action, template in templates.items():
        for body in hostile_bodies(template) if template else HOSTILE_JSON + ["", "{}"]:
            answer = attack.post_json(f"/api/v1/tasks/{task['id']}/{action}", "window", body)
            if answer.status_code == 200 and action in ("complete", "transfer"):
                fresh()
    # hostile task ids, case ids and query strings
    for segment in HOSTILE_TEXT[:30] + ["..", ".", "%2e%2e", "00000000-0000-0000-0000-000000000000"]:
        quoted = qt(segment, safe="")
        for action in ("claim", "release", "transfer", "complete"):
            attack.post_json(f"/api/v1/tasks/{quoted}/{action}", "window", "{}")
        attack.send("GET", f"/api/v1/cases/{quoted}", user="window")
    for number in ("0", "-1", "2147483647", "2147483648", "9223372036854775808", "1" * 400, "01", "１"):
        attack.send("GET", f"/api/v1/cases/{qt(number)}", user="window")
        attack.send("GET", f"/api/v1/cases/{qt(number)}/diagram", user="designer")
        attack.post_json(f"/api/v1/cases/{qt(number)}/materials", "window", '{"materials":["M01"]}')
    queries = {
        "/api/v1/tasks": ("reviewer_market", ["tab", "q", "deadline", "sort", "page", "page_size"]),
        "/api/v1/audit/events": ("auditor", ["case", "actor", "action", "from", "to", "page", "page_size"]),
        "/api/v1/audit/events.csv": ("auditor", ["case", "actor", "action", "from", "to"]),
        "/api/v1/audit/events.json": ("auditor", ["case", "actor", "action", "from", "to"]),
        f"/api/v1/cases/{case_id}/diagram": ("designer", ["process"]),
        "/api/v1/process-models/1/diff": ("designer", ["from", "to"]),
        "/api/v1/process-models/1/versions/1/bpmn": ("designer", ["download"]),
    }
    for path, (user, names) in queries.items():
        for name in names:
            for value in HOSTILE_TEXT:
                attack.send("GET", f"{path}?{qt(name)}={qt(value, safe='')}", user=user)
        attack.send("GET", f"{path}?" + "&".join(f"{n}=1" for n in names * 50), user=user)


# ---------------------------------------------------------------------- uploads

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="attack_process" name="攻击" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" default="f3"/>
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"><bpmn:conditionExpression>{cond}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""

BOMBS = [
    "len(sum([[1]*1700]*1700, [])) &gt; 0", "len(str([['x'*99999]*9999])) &gt; 0", "'%0200000000d' % 1 == ''",
    "9**9**9 &gt; 0", "2**100000000 &gt; 0", "len('x'*10**10) &gt; 0", "len(range(10**18)) &gt; 0",
    "[x for x in range(10**9)] == []", "max(range(10**12)) &gt; 0", "'a'.join(['b']*10**8) == ''",
    "(lambda: 1)() == 1", "().__class__.__base__.__subclasses__() == []", "__import__('os').system('id') == 0",
    "open('/etc/passwd').read() == ''", "'{0.__class__}'.format(1) == ''", "f'{1:{10**9}}' == ''",
    "'%*d' % (10**9, 1) == ''", "str(10**4300) == ''", "int('1'*5000) &gt; 0", "sorted(range(10**8))[0] == 0",
    "{i: i for i in range(10**8)} == {}", "sum(range(10**10)) &gt; 0", "len('x' * 10**7) == 0", "1/0 == 1",
]


def attack_uploads(attack: Attack) -> None:
    xml = {"Content-Type": "application/xml"}
    bodies = [MINIMAL.replace("{cond}", bomb) for bomb in BOMBS]
    bodies += [
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
        '<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:1/x.dtd"><d/>',
        '<?xml version="1.0"?><?xml-stylesheet href="http://127.0.0.1:1/x.xsl"?><d/>',
        '<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></x>',
        "<a>" * 5000 + "</a>" * 5000, "<a " + " ".join(f'a{i}="1"' for i in range(20000)) + "/>",
        "<a>" + "<b/>" * 300_000 + "</a>", "x" * 3_000_000, "", "   ", "\x00", "<a>\ud800</a>", "<?xml version='1.0' encoding='utf-16'?><a/>",
        MINIMAL.replace("{cond}", "x &gt; 1").replace('id="g"', 'id="../../../etc/passwd"'),
        MINIMAL.replace("{cond}", "x &gt; 1").replace('name="攻击"', 'name="' + "名" * 5000 + '"'),
        MINIMAL.replace("{cond}", "x &gt; 1").replace('attack_process', "<script>alert(1)</script>"),
        MINIMAL.replace("{cond}", "x &gt; 1").replace('<bpmn:endEvent id="e"/>',
                                                        '<bpmn:endEvent id="e"/><bpmn:timerEventDefinition/>'),
    ]
    for body in bodies:
        for path in ("/api/v1/process-models/validate", "/api/v1/process-models?name=%E6%94%BB%E5%87%BB"):
            attack.send("POST", path, user="designer", data=body, headers=xml)
    for name in HOSTILE_TEXT[:25] + ["../../x.bpmn", "/etc/passwd", "a/b\\c.bpmn", "CON", "x.bpmn\x00.exe"]:
        attack.send("POST", f"/api/v1/process-models?name={qt(name, safe='')}&comment={qt(name, safe='')}",
                    user="designer", data=MINIMAL.replace("{cond}", "x &gt; 1"), headers=xml)
    # a model that deploys, run on a case would be the step budget's test: deploy attempts of bombs
    answer = attack.send("POST", "/api/v1/process-models?name=bomb", user="designer",
                         data=MINIMAL.replace("{cond}", BOMBS[0]), headers=xml)
    if answer.status_code == 201:
        model = answer.json()["id"]
        attack.send("POST", f"/api/v1/process-models/{model}/versions/1/deploy", user="designer")
        for body in bodies[:5]:
            attack.send("POST", f"/api/v1/process-models/{model}/versions", user="designer", data=body, headers=xml)
    for ctype in ("text/plain", "application/json", "application/xml; charset=utf-16", "multipart/form-data"):
        attack.send("POST", "/api/v1/process-models/validate", user="designer", data="<a/>",
                    headers={"Content-Type": ctype})


# ---------------------------------------------------------------------- headers and methods

def attack_headers(attack: Attack) -> None:
    for header, value in [("Authorization", "Bearer " + "x" * 10000), ("Authorization", "Bearer a\x00b"),
                          ("Authorization", "Basic d2luZG93Om9uZXNlYWwtZGVtbw=="), ("Authorization", "Bearer"),
                          ("Authorization", "Bearer  ' OR 1=1 --"), ("Authorization", "bearer ä"),
                          ("Idempotency-Key", "x" * 129), ("Idempotency-Key", "é"), ("Idempotency-Key", " "),
                          ("Idempotency-Key", "a\x01b"), ("X-Forwarded-For", "1.1.1.1, ' OR 1=1"),
                          ("X-Forwarded-For", "x" * 10000), ("Cookie", "session=" + "x" * 5000),
                          ("Cookie", "session=.eJx"), ("Content-Type", "application/json; charset=utf-16"),
                          ("Content-Type", "application/vnd.x+json"), ("Accept-Language", "\u00ff" * 10),
                          ("Host", "evil.example"), ("Content-Length", "5")]:
        try:
            raw = value.encode("latin-1", "ignore")
            attack.send("POST", "/api/v1/cases", user=None if header == "Authorization" else "window",
                        data=b'{"item_code":"XK-0001","applicant":{"name":"h"},"materials":["M01","M02","M03","M04","M05"]}',
                        headers={"Content-Type": "application/json", header: raw})
        except requests.RequestException:
            continue
    for path in ("/api/v1/cases", "/api/v1/tasks", "/api/v1/auth/token", "/", "/login", "/window", "/progress",
                 "/api/v1/process-models", "/audit/", "/modeler/"):
        for method in ("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"):
            attack.send(method, path, user="admin")
    for path in ("/assets/..%2f..%2fapp%2fconfig.py", "/assets/../../app/config.py", "/static/..%2f..%2fcli.py",
                 "/vendor/bpmn-js/dist/..%2f..%2f..%2fpackage.json", "/modeler/vendor/bpmn-js/..%2f..%2fpackage.json",
                 "/modeler/vendor/%2e%2e/x", "/modeler/static/..%2f..%2fcli.py", "/audit/reports/..%2f..%2fpyproject.toml",
                 "/audit/reports/%00", "/audit/reports/" + "x" * 5000, "/audit/static/..%2f..%2fx",
                 "/" + "a" * 20000, "/tasks/" + "%ff" * 10, "/cases/%ff", "/%c0%ae%c0%ae/etc/passwd"):
        attack.send("GET", path, user="admin", expect_json=False)


# ---------------------------------------------------------------------- pages (forms)

def browser(attack: Attack, user: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{attack.base}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = http.post(f"{attack.base}/login", data={"csrf_token": token, "username": user, "password": PASSWORD},
                       allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:300]
    page = http.get(f"{attack.base}/window")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        page = http.get(f"{attack.base}/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
            r'<meta name="csrf-token" content="([^"]+)"', page.text)
    return http, token.group(1)


def attack_pages(attack: Attack) -> None:
    # login form, anonymous
    for value in HOSTILE_TEXT:
        http = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{attack.base}/login").text).group(1)
        for field in ("username", "password", "next"):
            form = {"csrf_token": token, "username": "window", "password": PASSWORD, "next": "/"}
            form[field] = value
            attack.send("POST", "/login", form=form, http=http, expect_json=False)
            http.cookies.clear()
            token = re.search(r'name="csrf_token" value="([^"]+)"', http.get(f"{attack.base}/login").text).group(1)
    window, token = browser(attack, "window")
    fields = {"csrf_token": token, "item_code": "XK-0001", "applicant_name": "甲", "applicant_id_number": "1",
              "applicant_contact": "1", "material": "M01", "action": "register"}
    for name in [f for f in fields if f != "csrf_token"]:
        for value in HOSTILE_TEXT:
            form = dict(fields)
            form[name] = value
            attack.send("POST", "/window?item_code=XK-0001", form=form, http=window, expect_json=False)
    for name in ("q", "item_code"):
        for value in HOSTILE_TEXT:
            attack.send("GET", f"/window?{name}={qt(value, safe='')}", http=window, expect_json=False)
    # the task page's forms
    for action in ("complete", "transfer", "claim", "release"):
        for name in ("decision", "opinion", "version", "to", "reason", "field_certificate_no", "notice_material",
                     "notice_reason_M01", "supplement_material", "unexpected", "next"):
            for value in HOSTILE_TEXT:
                task_id = attack.new_case()["tasks"][0]["id"]
                form = {"csrf_token": token, "decision": "approve", "opinion": "同意", name: value}
                attack.send("POST", f"/tasks/{task_id}/{action}", form=form, http=window, expect_json=False)
            if action in ("claim", "release"):
                break
    case_id = attack.new_case("XK-0001", ["M01", "M02", "M03"])["id"]
    for value in HOSTILE_TEXT:
        attack.send("POST", f"/cases/{case_id}/materials", form={"csrf_token": token, "material": value},
                    http=window, expect_json=False)
    auditor = browser(attack, "auditor")[0]
    for path, user_http in (("/", window), ("/audit/", auditor), ("/audit/events.csv", auditor)):
        for name in ("tab", "q", "deadline", "sort", "page", "case", "actor", "action", "from", "to"):
            for value in HOSTILE_TEXT:
                attack.send("GET", f"{path}?{name}={qt(value, safe='')}", http=user_http, expect_json=False)
    for value in HOSTILE_TEXT:
        attack.send("POST", "/progress", form={"number": value, "code": value}, expect_json=False)
        attack.send("POST", "/account/password", form={"csrf_token": token, "current": value, "new": value,
                                                        "confirm": value}, http=window, expect_json=False)
    # without the CSRF token, or with another session's
    for path in ("/window", f"/cases/{case_id}/materials", "/logout", "/account/password"):
        attack.send("POST", path, form={"item_code": "XK-0001"}, http=window, expect_json=False)


# ---------------------------------------------------------------------- who may do what

ROLES = ("window", "window2", "reviewer_market", "reviewer2_market", "leader_market", "reviewer_health",
         "inspector_health", "inspector_site_survey", "designer", "auditor", "admin")
#: may read a market case's applicant (its own department's people, the window, auditors, admin)
READERS = {"window", "window2", "reviewer_market", "reviewer2_market", "leader_market", "auditor", "admin"}


def attack_roles(attack: Attack) -> None:
    marker = f"秘密申请人{uuid.uuid4().hex[:6]}"
    answer = attack.http.post(f"{attack.base}/api/v1/cases", headers={"Authorization": f"Bearer {attack.token('window')}"},
                              json={"item_code": "XK-0001", "applicant": {"name": marker, "contact": "13800000000"},
                                    "materials": ["M01", "M02", "M03", "M04", "M05"]})
    case = answer.json()
    accept = case["tasks"][0]["id"]
    case = attack.http.post(f"{attack.base}/api/v1/tasks/{accept}/complete", json={"decision": "approve", "opinion": "受理"},
                            headers={"Authorization": f"Bearer {attack.token('window')}"}).json()["case"]
    task = case["tasks"][0]["id"]
    attack.http.post(f"{attack.base}/api/v1/tasks/{task}/claim", headers={"Authorization": f"Bearer {attack.token('reviewer_market')}"})
    violations = attack.bad_errors

    def leak(user: str, what: str, answer: requests.Response) -> None:
        if user not in READERS and marker in answer.text:
            violations.append(f"{user} read the applicant through {what} ({answer.status_code})")

    for user in ROLES:
        for path in (f"/api/v1/cases/{case['id']}", f"/api/v1/cases/{case['id']}/diagram",
                     f"/api/v1/tasks?tab=mine&q={case['number']}", f"/api/v1/tasks?tab=department&q={case['number']}",
                     f"/api/v1/tasks?tab=done&q={case['number']}", f"/api/v1/tasks?q={qt(marker)}",
                     f"/api/v1/audit/events?case={case['number']}", f"/api/v1/audit/events.csv?case={case['number']}",
                     "/api/v1/process-models"):
            answer = attack.send("GET", path, user=user)
            leak(user, path, answer)
            if "/audit/" in path and user not in ("auditor", "admin") and answer.status_code < 400:
                violations.append(f"{user} read the audit trail: {path} {answer.status_code}")
        if user in READERS - {"auditor", "admin"}:  # the market's own and the window: legitimately act
            continue
        writes = [("/api/v1/cases", {"item_code": "XK-0001", "applicant": {"name": "越权"},
                                     "materials": ["M01", "M02", "M03", "M04", "M05"]}, {"window", "window2", "admin"}),
                  (f"/api/v1/cases/{case['id']}/materials", {"materials": ["M01"]}, set()),
                  (f"/api/v1/tasks/{task}/release", {}, set()),
                  (f"/api/v1/tasks/{task}/transfer", {"to": "reviewer2_market"}, set()),
                  (f"/api/v1/tasks/{task}/complete", {"decision": "approve", "opinion": "越权"}, set()),
                  (f"/api/v1/tasks/{task}/claim", {}, {"reviewer_market"}),  # already holds it
                  ("/api/v1/process-models?name=x", None, {"designer", "admin"})]
        for path, body, allowed in writes:
            if body is None:
                answer = attack.send("POST", path, user=user, data=MINIMAL.replace("{cond}", "x &gt; 1"),
                                     headers={"Content-Type": "application/xml"})
            else:
                answer = attack.post_json(path, user, json.dumps(body, ensure_ascii=False))
            if answer.status_code < 400 and user not in allowed:
                violations.append(f"{user} may POST {path}: {answer.status_code} {answer.text[:120]}")
        http, token = browser(attack, user)
        if user in READERS - {"auditor", "admin"}:
            continue
        for path in (f"/cases/{case['id']}", f"/tasks/{task}", f"/cases/{case['id']}/receipt",
                     f"/cases/{case['id']}/diagram.json", f"/?q={case['number']}", f"/?tab=done&q={case['number']}",
                     f"/?tab=department&q={case['number']}",
                     f"/audit/?case={case['number']}", f"/audit/events.csv?case={case['number']}"):
            answer = attack.send("GET", path, http=http, expect_json=False)
            leak(user, path, answer)
        for path, form in ((f"/tasks/{task}/complete", {"decision": "approve", "opinion": "越权"}),
                           (f"/tasks/{task}/transfer", {"to": "reviewer2_market"}), (f"/tasks/{task}/release", {}),
                           (f"/cases/{case['id']}/materials", {"material": "M01"})):
            answer = attack.send("POST", path, form={"csrf_token": token, **form}, http=http, expect_json=False)
            if answer.status_code < 400 and answer.status_code != 302 or (
                    answer.status_code == 302 and "flash" in answer.headers.get("Location", "")):
                violations.append(f"{user} may POST page {path}: {answer.status_code}")
    still = attack.http.get(f"{attack.base}/api/v1/cases/{case['id']}",
                            headers={"Authorization": f"Bearer {attack.token('admin')}"}).json()
    held = [t for t in still["tasks"] if t["id"] == task]
    if not held or held[0]["claimed_by"] != "reviewer_market":
        violations.append(f"the task moved under the attack: {still['tasks']}")
    # sessions: a cookie copied before logout, a token of another session, a cookie planted before sign-in
    http, token = browser(attack, "reviewer_market")
    copied = requests.Session()
    copied.cookies.update(http.cookies)
    attack.send("POST", "/logout", form={"csrf_token": token}, http=http, expect_json=False)
    answer = attack.send("GET", "/", http=copied, expect_json=False)
    if answer.status_code == 200:
        violations.append("a cookie copied before logout still opens the inbox")
    first, first_token = browser(attack, "reviewer_market")
    second, _ = browser(attack, "reviewer2_market")
    answer = attack.send("POST", f"/tasks/{task}/release", form={"csrf_token": first_token}, http=second,
                         expect_json=False)
    if answer.status_code != 400:
        violations.append(f"another session's CSRF token was taken: {answer.status_code}")
    planted = requests.Session()
    planted.get(f"{attack.base}/login")
    before = dict(planted.cookies)
    token = re.search(r'name="csrf_token" value="([^"]+)"', planted.get(f"{attack.base}/login").text).group(1)
    planted.post(f"{attack.base}/login", data={"csrf_token": token, "username": "window", "password": PASSWORD})
    if before and dict(planted.cookies) == before:
        violations.append("the session cookie was not rotated at sign-in")
    attack.sent += 6
    # the public progress page: wrong codes from "different clients" named by a forged X-Forwarded-For
    public = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', public.get(f"{attack.base}/progress").text).group(1)
    statuses = [attack.send("POST", "/progress", form={"csrf_token": token, "number": case["number"],
                                                       "code": f"ZZZZ{i:02d}"},
                            headers={"X-Forwarded-For": f"10.0.{i}.1"}, http=public, expect_json=False).status_code
                for i in range(12)]
    if 429 not in statuses:
        violations.append(f"a forged X-Forwarded-For escaped the progress page's limit: {statuses}")


# ---------------------------------------------------------------------- expression bombs, deployed and run

def attack_bombs(attack: Attack) -> None:
    """A designer deploys 承诺件标准流程 with a bomb in its acceptance condition; the window then
    accepts a case. The step must be refused (4xx, a readable message) and the health check
    answered meanwhile; the shipped diagram is deployed again at the end."""
    xml = {"Content-Type": "application/xml"}
    models = attack.send("GET", "/api/v1/process-models", user="designer").json()["models"]
    model = next(m for m in models if m["process_id"] == "standard_promised")
    shipped = (ROOT / "processes" / "standard_promised.bpmn").read_text(encoding="utf-8")
    condition = 'decision == "approve"</bpmn:conditionExpression>'
    assert condition in shipped
    worst = 0.0
    for bomb in BOMBS:
        text = shipped.replace(condition, f'decision == "approve" and ({bomb})</bpmn:conditionExpression>', 1)
        answer = attack.send("POST", f"/api/v1/process-models/{model['id']}/versions?comment=bomb", user="designer",
                             data=text, headers=xml)
        if answer.status_code != 201 or not answer.json()["deployable"]:
            print(f"  bomb {bomb[:50]!r}: refused at upload ({answer.status_code})", flush=True)
            continue
        version = answer.json()["version"]
        attack.send("POST", f"/api/v1/process-models/{model['id']}/versions/{version}/deploy", user="designer")
        case = attack.new_case()
        latencies: list[float] = []
        stop = False

        def poll() -> None:
            while not stop:
                started = time.monotonic()
                requests.get(f"{attack.base}/api/v1/health", timeout=120)
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)

        import threading
        poller = threading.Thread(target=poll)
        poller.start()
        started = time.monotonic()
        answer = attack.post_json(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", "window",
                                  '{"decision":"approve","opinion":"受理"}')
        took = time.monotonic() - started
        stop = True
        poller.join()
        worst = max(worst, max(latencies, default=0.0))
        print(f"  bomb {bomb[:50]!r}: {answer.status_code} {answer.json().get('code')} in {took:.2f} s, "
              f"health worst {max(latencies, default=0) * 1000:.0f} ms", flush=True)
        if answer.status_code < 400:
            attack.bad_errors.append(f"bomb accepted and run: {bomb}")
    answer = attack.send("POST", f"/api/v1/process-models/{model['id']}/versions?comment=restore", user="designer",
                         data=shipped, headers=xml)
    attack.send("POST", f"/api/v1/process-models/{model['id']}/versions/{answer.json()['version']}/deploy",
                user="designer")
    print(f"  bombs: health check worst {worst * 1000:.0f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="attack a running server instead of starting one")
    parser.add_argument("--only", nargs="*", default=["api", "uploads", "headers", "pages", "roles", "bombs"])
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("ONESEAL_SECRET_KEY", uuid.uuid4().hex)
    server = None
    if args.url is None:
        done = subprocess.run([ONESEAL, "init-db", "--demo"], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stdout + done.stderr)
        port = free_port()
        log = (ROOT / "reports").joinpath("attack_input.log").open("ab")
        server = subprocess.Popen([ONESEAL, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
    else:
        base = args.url.rstrip("/")
    attack = Attack(base)
    started = time.monotonic()
    try:
        for part in args.only:
            {"api": attack_api, "uploads": attack_uploads, "headers": attack_headers, "pages": attack_pages,
             "roles": attack_roles, "bombs": attack_bombs}[part](attack)
            print(f"{part}: requests={attack.sent} 5xx={len(attack.server_errors)} bad_errors={len(attack.bad_errors)} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
    for line in attack.server_errors[:50]:
        print("5xx:", line)
    for line in attack.bad_errors[:50]:
        print("bad error:", line)
    print("statuses:", dict(sorted(attack.statuses.items())))
    print(f"requests={attack.sent} 5xx={len(attack.server_errors)} bad_errors={len(attack.bad_errors)}")


if __name__ == "__main__":
    main()
