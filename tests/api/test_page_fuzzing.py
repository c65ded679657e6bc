"""The pages under generated input: no query string, form or path segment makes a page answer 5xx.

Hypothesis draws, for every page of the site, odd query strings and form values (empty, long,
control characters, NUL, huge numbers, other scripts) and ids in the path, and sends them as a
signed-in window clerk, reviewer and auditor. A short run; the refusals themselves are checked
in ``test_hostile_input.py``.
"""
from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.support.cases import register, work
from tests.support.pages import signed_in

USERS = ("window", "reviewer_market", "auditor")
#: the names the pages read from query strings and forms
NAMES = ("q", "page", "page_size", "tab", "sort", "deadline", "item_code", "next", "version", "process",
         "case", "actor", "action", "from", "to", "download", "number", "code", "username", "password",
         "applicant_name", "applicant_id_number", "applicant_contact", "materials", "commitment_signed",
         "decision", "opinion", "to", "reason", "notice_material", "supplement_material", "field_finding")
EXAMPLES = 150

_HOSTILE = st.sampled_from(["", "0", "-1", "2147483648", "9223372036854775808", "576460752303423489", "²",
                            "a\x00b", "\x00", "x" * 5000, "%00", "\u200b", "\U0001f600", "\r\n", "<script>"])
_TYPICAL = st.sampled_from(["approve", "reject", "return", "XK-0001", "YJS-0001", "M01", "2026-03-02", "true",
                            "mine", "department", "done", "warning", "overdue", "arrived", "1", "2", "/", "//x"])
_values = st.one_of(_HOSTILE, _HOSTILE, _TYPICAL, st.integers().map(str),
                    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
_params = st.dictionaries(st.sampled_from(NAMES), _values, min_size=1, max_size=6)
_ids = st.one_of(st.integers(min_value=0, max_value=2**70).map(str), st.sampled_from(["1", "abc", "%00", "-1"]))


def _page_rules(app: Any) -> list[tuple[str, str]]:
    """(rule, method) of every page: the site, not the API, static files or downloads of the viewer."""
    skip = re.compile(r"^/(api|static|assets|vendor|modeler/vendor|modeler/static|audit/static|modeler/api)/")
    return sorted((rule.rule, method) for rule in app.url_map.iter_rules()
                  if not skip.match(rule.rule) and rule.rule != "/logout"  # stays signed in
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def test_no_page_answers_generated_input_with_a_server_error(app, api):
    case = work(api, register(api), "window", "approve")
    task_id = case["tasks"][0]["id"]
    clients = {user: signed_in(app, user) for user in USERS}
    rules = _page_rules(app)
    failures: list[str] = []

    @seed(0)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck))
    @given(rule=st.sampled_from(rules), user=st.sampled_from(USERS), params=_params, form=_params,
           some_id=st.one_of(st.just(str(case["id"])), _ids), real_task=st.booleans())
    def visit(rule: tuple[str, str], user: str, params: dict[str, str], form: dict[str, str], some_id: str,
              real_task: bool) -> None:
        path, method = rule
        path = re.sub(r"<int:\w+>", some_id, path)
        path = path.replace("<task_id>", task_id if real_task else some_id)
        path = re.sub(r"<any\(([^,)]*)[^>]*>", r"\1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        client, token = clients[user]
        if method == "GET":
            response = client.get(path, query_string=params)
        else:
            response = client.post(path, query_string=params, data={**form, "csrf_token": token})
        if response.status_code >= 500:
            failures.append(f"{method} {path} {params} {form} as {user} → {response.status_code}")

    visit()
    assert not failures, "\n".join(failures[:10])
