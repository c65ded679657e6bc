"""The public /verify page (no login, Chinese, large status, plain words for a licence that no
longer stands) and the staff's 电子证照库 pages."""
from __future__ import annotations

from tests.support.certificates import APPROVE_CHANGE, apply, issued, through
from tests.support.pages import csrf, signed_in, text


def test_the_qr_link_opens_the_licence_without_login(app, api):
    _, certificate = issued(api)
    page = app.test_client().get(f"/verify?number={certificate['number']}&code={certificate['check_code']}")
    assert page.status_code == 200
    html = text(page)
    assert 'id="verify-result"' in html and "✔ 有效" in html and "张三餐饮店" in html
    assert "食品经营许可证" in html and "2031-03-01" in html and 'name="viewport"' in html


def test_the_form_says_plainly_when_a_licence_was_cancelled_and_since_when(app, api):
    _, certificate = issued(api)
    through(api, apply(api, certificate["number"], "cancellation"), APPROVE_CHANGE)
    client = app.test_client()
    token = csrf(client, "/verify")
    page = client.post("/verify", data={"number": certificate["number"], "code": certificate["check_code"],
                                        "csrf_token": token})
    html = text(page)
    assert page.status_code == 200 and "✖ 已注销" in html and "本证照已于 2026-03-02 注销，不再有效" in html


def test_a_wrong_code_gets_the_same_answer_as_an_unknown_number(app, api):
    _, certificate = issued(api)
    client = app.test_client()
    wrong = client.get(f"/verify?number={certificate['number']}&code=AAAAAAAA")
    unknown = client.get(f"/verify?number=2026-XK-0002-Z09999&code={certificate['check_code']}")
    assert wrong.status_code == unknown.status_code == 404
    assert "证照编号或核验码不正确" in text(wrong) and "张三" not in text(wrong)


def test_staff_search_the_registry_and_read_a_certificate_with_its_history(app, api):
    case, certificate = issued(api)
    client, _ = signed_in(app, "window")
    listing = text(client.get("/certificates?holder=张三"))
    assert f'data-number="{certificate["number"]}"' in listing and "电子证照库" in listing
    detail = text(client.get(f"/certificates/{certificate['number']}"))
    assert 'id="certificate-history"' in detail and "签发" in detail and "张三餐饮店" in detail
    pdf = client.get(f"/certificates/{certificate['number']}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    case_page = text(client.get(f"/cases/{case['id']}"))
    assert 'id="case-certificates"' in case_page and certificate["number"] in case_page
    designer, _ = signed_in(app, "designer")
    assert designer.get("/certificates").status_code == 403
    assert designer.get(f"/certificates/{certificate['number']}").status_code == 403
    outsider, _ = signed_in(app, "reviewer_forestry")
    assert certificate["number"] not in text(outsider.get("/certificates"))
    assert outsider.get(f"/certificates/{certificate['number']}").status_code == 403


def test_a_refusal_letter_is_shown_as_genuine_but_never_as_a_licence(app, api):
    """A 不予行政许可决定书 verifies as the bureau's own document; nobody may read it as a licence."""
    from tests.support.cases import register, work

    case = work(api, register(api, "XK-0002"), "window", "reject", "原证照已注销，不予补办")
    (letter,) = case["certificates"]
    html = text(app.test_client().get(f"/verify?number={letter['number']}&code={letter['check_code']}"))
    assert "✔ 文书真实，有效" in html and "不是许可证照" in html and 'id="verify-refusal"' in html
    assert "<dt>申请人</dt>" in html and "持证人" not in html
    assert "<dt>作出机关</dt>" in html and "发证机关" not in html
    client, _ = signed_in(app, "window")  # the staff's page of the letter: the same words
    staff = text(client.get(f"/certificates/{letter['number']}"))
    assert "<dt>申请人</dt>" in staff and "持证人" not in staff
    _, licence = issued(api)
    html = text(app.test_client().get(f"/verify?number={licence['number']}&code={licence['check_code']}"))
    assert "<dt>持证人</dt>" in html and "verify-refusal" not in html and "文书真实" not in html
    assert "<dt>发证机关</dt>" in html


def test_a_huge_number_typed_into_verify_is_not_echoed_back_whole(app):
    page = app.test_client().get("/verify?number=" + "9" * 100_000 + "&code=ABCDEFGH")
    assert page.status_code == 404 and len(page.get_data()) < 50_000
    assert 'value="' + "9" * 48 + '"' in text(page)
