"""The on-site inspection form (独立/联合/委托核查, 整改后复查): required fields declared in the
diagram (``!``) and enforced at completion, the day of the visit, the second inspector, the photos."""
from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import quote

from app.persistence.models import TaskRecord
from tests.support.api import ApiClient
from tests.support.cases import register, work
from tests.support.inspection import SCHOOL, to_inspection
from tests.support.inspection_form import registered_day
from tests.support.model_samples import codes, shipped
from tests.support.pages import signed_in, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
XML = {"Content-Type": "application/xml"}


def _independent(api: ApiClient) -> tuple[dict, dict]:
    case = to_inspection(api, "XK-0004", "reviewer_market")
    (task,) = case["tasks"]
    assert task["name"] == "独立现场核查"
    return case, task


def _complete(api: ApiClient, task: dict, data: dict, user: str = "inspector_site_survey", **extra: object):
    return api.post(f"/api/v1/tasks/{task['id']}/complete", as_user=user,
                    json={"opinion": "现场与材料一致", "data": data, **extra})


def test_missing_required_fields_are_one_422_naming_every_field_in_chinese(api, ext):
    case, task = _independent(api)
    response = _complete(api, task, {})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["code"] == "field_required"
    assert set(error["details"]["missing"]) == {"inspected_on", "second_inspector", "finding"}
    assert error["details"]["fields"] == {"inspected_on": "请填写“核查日期”", "second_inspector": "请选择“第二核查人”",
                                          "finding": "请选择“核查结论”"}
    assert "核查日期" in error["message"] and "核查结论" in error["message"] and "inspected_on" not in error["message"]
    # a missing field and a wrong one: both named at once, still a 422 for the missing one
    both = _complete(api, task, {"finding": "很好", "second_inspector": "inspector2_site_survey"}).get_json()
    assert both["code"] == "field_required" and set(both["details"]["fields"]) == {"inspected_on", "finding"}
    with ext.db.session(write=False) as session:
        assert session.get(TaskRecord, task["id"]).status == "ready"  # nothing was done


def test_the_day_of_the_visit_is_neither_in_the_future_nor_before_registration(api):
    case, task = _independent(api)
    day = date.fromisoformat(registered_day(case))
    base = {"second_inspector": "inspector2_site_survey", "finding": "合格"}
    for wrong, words in ((day + timedelta(days=1), "不能晚于今天"), (day - timedelta(days=1), "不能早于办件登记日")):
        error = _complete(api, task, {**base, "inspected_on": wrong.isoformat()}).get_json()
        assert error["code"] == "invalid_date" and words in error["details"]["fields"]["inspected_on"], error
    assert _complete(api, task, {**base, "inspected_on": "2026-02-30"}).get_json()["code"] == "invalid_field"


def test_the_second_inspector_is_another_inspector_of_the_department_on_the_system(api):
    case, task = _independent(api)
    base = {"inspected_on": registered_day(case), "finding": "合格"}
    for who, words in (("inspector_site_survey", "您以外的另一人"), ("nobody_here", "本部门在岗的核查人员"),
                       ("reviewer_market", "本部门在岗的核查人员"), ("inspector_health", "本部门在岗的核查人员"),
                       ("王二", "本系统中的人员")):
        error = _complete(api, task, {**base, "second_inspector": who}).get_json()
        assert error["details"]["field"] == "second_inspector" and words in error["message"], (who, error)
    case = _complete(api, task, {**base, "second_inspector": "inspector2_site_survey"}).get_json()["case"]
    (finding,) = case["inspection"]["findings"]
    assert finding["second_inspector"] == "inspector2_site_survey" and finding["inspected_on"] == base["inspected_on"]


def test_photos_are_checked_from_their_content_and_kept_with_the_finding(api):
    case, task = _independent(api)
    url = f"/api/v1/tasks/{task['id']}/photos"
    # only the one who works the step, only images found from the content
    assert api.post(url, as_user="inspector_health", data={"file": (BytesIO(PNG), "a.png")}).status_code == 403
    for content, name in ((b"%PDF-1.7 x", "scan.png"), (b"<html><script>alert(1)</script>", "x.jpg"), (b"", "e.png")):
        refused = api.post(url, as_user="inspector_site_survey", data={"file": (BytesIO(content), name)})
        assert refused.status_code == 400 and refused.get_json()["code"] in ("file_type_refused", "file_required")
    first = api.post(url, as_user="inspector_site_survey", data={"file": (BytesIO(PNG), "../../etc/门头.png")})
    assert first.status_code == 201, first.get_json()
    photo = first.get_json()
    assert len(photo["id"]) == 32 and photo["filename"] == "门头.png" and photo["content_type"] == "image/png"
    assert photo["kind"] == "inspection_photo" and photo["task_id"] == task["id"]
    second = api.post(url, as_user="inspector_site_survey", data={"file": (BytesIO(JPEG), "后厨.jpg")}).get_json()
    # a photo of another step is not this step's
    data = {"inspected_on": registered_day(case), "second_inspector": "inspector2_site_survey", "finding": "合格"}
    wrong = _complete(api, task, {**data, "photos": ["f" * 32]}).get_json()
    assert wrong["code"] == "unknown_photo"
    case = _complete(api, task, data).get_json()["case"]  # nothing sent: every photo of the step
    (finding,) = case["inspection"]["findings"]
    assert finding["photos"] == [photo["id"], second["id"]]
    # the leader deciding the case sees them, served as images that cannot run anything
    shown = api.get(f"/api/v1/attachments/{photo['id']}", as_user="leader_market")
    assert shown.status_code == 200 and shown.mimetype == "image/png" and shown.data == PNG
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    # the step is done: no more photos
    assert api.post(url, as_user="inspector_site_survey", data={"file": (BytesIO(PNG), "晚了.png")}).status_code == 409


def test_a_step_without_photos_takes_none(api):
    case = work(api, register(api, "XK-0004"), "window", "approve", "受理")
    (task,) = case["tasks"]
    refused = api.post(f"/api/v1/tasks/{task['id']}/photos", as_user="reviewer_market",
                       data={"file": (BytesIO(PNG), "a.png")})
    assert refused.status_code == 400 and refused.get_json()["code"] == "photos_not_expected"


def test_the_joint_inspection_asks_each_department_for_its_own_second_inspector(api):
    case = to_inspection(api, SCHOOL, "reviewer_education")
    task = next(t for t in case["tasks"] if t["department"] == "health")
    data = {"inspected_on": registered_day(case), "finding": "合格"}
    error = _complete(api, task, {**data, "second_inspector": "inspector2_site_survey"}, "inspector_health").get_json()
    assert error["code"] == "invalid_person"
    ok = _complete(api, task, {**data, "second_inspector": "inspector2_health"}, "inspector_health")
    assert ok.status_code == 200, ok.get_json()


def test_a_diagram_declaring_a_field_wrongly_is_refused_naming_the_task(api):
    good = shipped("site_inspection").decode()
    for declared, wrong in (("second_inspector:person(inspector)!", "second_inspector:person!"),
                            ("second_inspector:person(inspector)!", "second_inspector:person(mayor)!"),
                            ("inspected_on:date(past)!", "inspected_on:date(future)!")):
        name = quote(f"核查表单{len(wrong)}{wrong[-3]}")
        content = good.replace(declared, wrong, 1).encode()
        response = api.post(f"/api/v1/process-models?name={name}", as_user="designer", data=content,
                            headers=XML)
        body = response.get_json()
        assert response.status_code in (201, 422), body
        assert "task_properties_invalid" in codes(body["findings"], "error"), (wrong, body)
        finding = next(f for f in body["findings"] if f["code"] == "task_properties_invalid")
        assert finding["element_id"] == "inspect_independently" and finding["element_name"] == "独立现场核查"
        assert "字段" in finding["message"]


def test_a_photo_added_by_mistake_is_taken_away_by_its_uploader_only_while_the_step_is_open(app, api):
    case, task = _independent(api)
    client, token = signed_in(app, "inspector_site_survey")
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", as_user="inspector_site_survey").status_code == 200
    sent = client.post(f"/tasks/{task['id']}/photos", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": [(BytesIO(PNG), "一.png"), (BytesIO(JPEG), "二.jpg")]})
    assert sent.status_code == 302 and "draft=restore" in sent.headers["Location"]
    page = text(client.get(f"/tasks/{task['id']}"))
    assert "已上传 2 张" in page and page.count('alt="现场照片') == 2
    photos = [a for a in api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["attachments"]
              if a["task_id"] == task["id"]]
    assert [p["filename"] for p in photos] == ["一.png", "二.jpg"]
    # another inspector of the department may not take it away; its uploader may
    other, other_token = signed_in(app, "inspector2_site_survey")
    assert other.post(f"/tasks/{task['id']}/photos/{photos[0]['id']}/delete",
                      data={"csrf_token": other_token}).status_code == 403
    assert client.post(f"/tasks/{task['id']}/photos/{photos[0]['id']}/delete",
                       data={"csrf_token": token}).status_code == 302
    data = {"inspected_on": registered_day(case), "second_inspector": "inspector2_site_survey", "finding": "合格"}
    case = _complete(api, task, data).get_json()["case"]
    assert case["inspection"]["findings"][0]["photos"] == [photos[1]["id"]]
    history = [h["action_label"] for h in case["history"]]
    assert history.count("上传现场照片") == 2 and history.count("删除现场照片") == 1
    # done: the photo stays with the record
    client.post(f"/tasks/{task['id']}/photos/{photos[1]['id']}/delete", data={"csrf_token": token})
    assert api.get(f"/api/v1/attachments/{photos[1]['id']}", as_user="leader_market").status_code == 200
