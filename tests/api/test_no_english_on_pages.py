"""No machine codes in front of people: the main pages, rendered as each role, show no English
words outside code, numbers and the few names people use as they are (BPMN, Excel, CSV …)."""
from __future__ import annotations

import pytest

from tests.support.cases import register, work
from tests.support.english import english_words
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.pages import signed_in, text


@pytest.fixture
def pages(app, api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    other = work(api, register(api), "window", "approve")
    return {"case": case, "review": other}


@pytest.mark.parametrize("user", ["window", "reviewer_market", "leader_market", "inspector_health", "auditor",
                                  "admin", "designer"])
def test_the_main_pages_show_no_english_words(app, api, pages, user):
    client, _ = signed_in(app, user)
    paths = ["/", "/?tab=department", "/?tab=done", "/account/password", "/progress"]
    if user != "designer":
        paths += ["/cases/search", f"/cases/{pages['case']['id']}", f"/cases/{pages['review']['id']}",
                  f"/tasks/{pages['review']['tasks'][0]['id']}"]
    if user in ("window", "admin"):
        paths += ["/window", "/window?item_code=XK-0001", f"/cases/{pages['review']['id']}/receipt"]
    if user in ("designer", "auditor", "admin"):
        paths += ["/modeler/"]
    if user == "inspector_health":  # the on-site inspection form, with its fields and photos
        task = next(t for t in pages["case"]["tasks"] if t["department"] == "health")
        assert api.post(f"/api/v1/tasks/{task['id']}/claim", as_user=user).status_code == 200
        paths += [f"/tasks/{task['id']}"]
    if user in ("auditor", "admin"):
        paths += ["/audit/", "/audit/verify", "/audit/steps", "/audit/scenarios"]
    found = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 403:  # a case this role may not see: not this test's subject
            continue
        assert response.status_code == 200, (path, response.status_code)
        words = english_words(text(response))
        if words:
            found[path] = sorted(words)
    assert found == {}, repr(found)[:3000]


def test_a_code_of_letters_alone_is_not_read_as_english(app, api, monkeypatch):
    """A query code or a check code is random and may be letters only (FEEFFE): the pages mark
    them as not to be translated, so neither a translator nor this check reads them as words."""
    import app.domain.licences.certificates as certificates
    import app.services.stepping.opening as opening
    from tests.support.certificates import issued

    monkeypatch.setattr(opening.secrets, "token_hex", lambda size: "feeffe")
    monkeypatch.setattr(certificates, "new_check_code", lambda: "ABCDEFGH")
    monkeypatch.setattr("app.services.certificates.issuing.new_check_code", lambda: "ABCDEFGH")
    case, certificate = issued(api)
    assert certificate["check_code"] == "ABCDEFGH"
    client, _ = signed_in(app, "window")
    for path, code in ((f"/cases/{case['id']}/receipt", "FEEFFE"), (f"/certificates/{certificate['number']}", "ABCDEFGH")):
        page = text(client.get(path))
        assert code in page and english_words(page) == set(), path


def test_the_check_reads_on_after_a_hidden_element_and_skips_what_is_marked_untranslated():
    page = ("<p>受理 <span hidden>Hidden <b>bold</b></span> Visible</p><input hidden value='x'><p>Later</p>"
            "<div translate='no'>FEEFFE <div>Inner</div></div><p>After</p>")
    assert english_words(page) == {"Visible", "Later", "After"}
