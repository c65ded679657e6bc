"""The window desk with one-thing bundles (一件事): found by search, one merged checklist with the
shared documents once, accepted, noticed and registered like an item; the receipt lists the
bundle's items."""
from __future__ import annotations

import re

from tests.support.bundles import PHARMACY, bundle
from tests.support.pages import signed_in, text

BUNDLE_GROUP = '<optgroup label="“一件事”（一次申请，多个事项联办）">'


def options(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)"', page)


def desk_post(client, token, materials, action, code=PHARMACY):
    return client.post("/window", data={"csrf_token": token, "item_code": code, "applicant_name": "康宁大药房",
                                        "materials": materials, "action": action})


def test_bundles_are_listed_first_and_the_search_narrows_by_code_or_name(app):
    client, _ = signed_in(app, "window")
    page = text(client.get("/window"))
    assert page.index(BUNDLE_GROUP) < page.index('<optgroup label="市场监督管理局">')
    assert "YJS-0001 开办药店“一件事”（2 个事项联办）" in page
    exact = text(client.get("/window?q=XK-0003"))  # the bundle holds it, but the item was meant
    assert options(exact) == ["XK-0003", "YJS-0001"] and '<optgroup label="完全匹配">' in exact
    assert 'value="XK-0003" ' in exact and "selected>XK-0003" in exact.replace('data-exact="xk-0003|药品零售企业许可" ', "")
    by_name = text(client.get("/window?q=" + "食品经营许可"))  # not the 补办, not a bundle
    assert options(by_name)[0] == "XK-0001" and 'id="register-form"' in by_name
    narrowed = text(client.get("/window?q=" + "出版物"))
    assert options(narrowed) == ["YJS-0003", "XK-0009", "XK-0010"] and "找到 3 项" in narrowed
    nothing = text(client.get("/window?q=不存在的事项"))
    assert options(nothing) == [] and "没有符合条件的事项" in nothing
    one = text(client.get("/window?q=药店"))  # one match: chosen at once
    assert options(one) == ["YJS-0001"] and 'id="register-form"' in one


def test_the_bundle_checklist_asks_shared_documents_once_and_names_the_items_needing_them(app, api):
    client, _ = signed_in(app, "window")
    page = text(client.get(f"/window?item_code={PHARMACY}"))
    checklist = page.split('id="desk-materials"', 1)[1].split("</form>", 1)[0]
    expected = [m["code"] for m in bundle(api, PHARMACY)["materials"]]
    assert sorted(re.findall(r'name="materials" value="([^"]+)"', checklist)) == sorted(expected)
    assert checklist.count("营业执照") == 1
    assert "<h3>共用材料（多个事项共用，只收一份）</h3>" in checklist
    assert "用于：药品零售企业许可、食品经营许可" in checklist
    assert checklist.index("<h3>药品零售企业许可</h3>") < checklist.index("<h3>食品经营许可</h3>")
    assert "不适用容缺受理" in checklist
    info = page.split('id="bundle-info"', 1)[1].split("</div>", 1)[0]
    assert "药品零售企业许可" in info and "食品经营许可" in info and "10 个工作日" in info


def test_a_bundle_is_accepted_at_the_desk_and_the_receipt_lists_its_items(app, api):
    client, token = signed_in(app, "window")
    everything = [m["code"] for m in bundle(api, PHARMACY)["materials"]]
    refused = desk_post(client, token, everything[:-1], "accept")
    assert refused.status_code == 400 and "不适用容缺受理" in text(refused)
    response = desk_post(client, token, everything, "accept")
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = text(client.get(response.headers["Location"]))
    assert "开办药店“一件事”（YJS-0001）" in receipt and "牵头部门" in receipt
    listed = receipt.split('id="receipt-items">', 1)[1].split("</td>", 1)[0]
    assert "1. 药品零售企业许可（XK-0003）· 市场监督管理局" in listed and "2. 食品经营许可（XK-0001）" in listed
    case_id = int(response.headers["Location"].split("/")[-2])
    detail = api.get(f"/api/v1/cases/{case_id}", as_user="window").get_json()
    assert detail["kind"] == "bundle" and detail["status"] == "in_review"
    assert detail["opinions"][0]["opinion"] == "材料齐全，予以受理"
    assert sorted(t["name"] for t in detail["tasks"]) == ["分项审查", "分项审查"]


def test_a_bundles_one_time_notice_names_the_items_each_missing_document_is_for(app):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, ["business_licence"], "notice")
    assert response.status_code == 200
    notice = text(response)
    assert "开办药店“一件事”" in notice and "含药品零售企业许可、食品经营许可" in notice
    assert "<th>所涉事项</th>" in notice
    assert re.search(r"<td>从业人员健康证明</td><td>食品经营许可</td>", notice)
    assert "营业执照" not in notice.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_a_bundle_may_be_only_registered(app, api):
    client, token = signed_in(app, "window")
    response = desk_post(client, token, ["business_licence"], "register")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "办件已登记" in page and 'id="section-items"' in page and "受理" in page
