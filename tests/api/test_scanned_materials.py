"""Scanned materials: the window attaches a scan to a received material; whoever may see the case
opens it inline; the type is found from the content, sizes are bounded, ids are the server's,
and a file is only ever served as what it is."""
from __future__ import annotations

import io

import pytest

from tests.support.cases import register, work
from tests.support.pages import signed_in, text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<html><script>alert(1)</script></html>"


def upload(client, token, case_id, data, name="营业执照.pdf", material="M01"):
    return client.post(f"/cases/{case_id}/attachments", content_type="multipart/form-data",
                       data={"csrf_token": token, "material": material, "file": (io.BytesIO(data), name)})


@pytest.fixture
def case(api):
    return register(api)  # XK-0001 with every material received


def test_the_window_attaches_a_scan_and_a_reviewer_opens_it_inline(app, api, case):
    window, token = signed_in(app, "window")
    response = upload(window, token, case["id"], PDF, name="../../扫描/营业执照.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("#materials")
    detail = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()
    [scan] = detail["attachments"]
    assert scan["material_code"] == "M01" and scan["content_type"] == "application/pdf"
    assert scan["filename"] == "营业执照.pdf" and len(scan["id"]) == 32 and scan["size"] == len(PDF)
    assert detail["history"][-1]["action"] == "attachment_added"
    work(api, detail, "window", "approve")
    reviewer, _ = signed_in(app, "reviewer_market")
    page = text(reviewer.get(f"/cases/{case['id']}"))
    assert f'href="/attachments/{scan["id"]}"' in page and 'id="scan-viewer"' in page
    served = reviewer.get(f"/attachments/{scan['id']}")
    assert served.status_code == 200 and served.data == PDF and served.mimetype == "application/pdf"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("inline;")


def test_the_type_is_found_from_the_content_and_bad_uploads_change_nothing(app, api, case):
    window, token = signed_in(app, "window")
    for data, name, message in ((HTML, "scan.pdf", "只能上传 PDF、JPEG 或 PNG 文件"),
                                (b"", "empty.pdf", "请选择要上传的文件")):
        response = upload(window, token, case["id"], data, name=name)
        assert message in text(window.get(response.headers["Location"]))
    assert "请选择扫描件对应的材料" in text(window.get(upload(window, token, case["id"], PNG, material="ZZ")
                                                  .headers["Location"]))
    assert api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["attachments"] == []
    too_big = upload(window, token, case["id"], b"%PDF-" + b"0" * (6 * 1024 * 1024))
    assert too_big.status_code == 413


def test_a_material_not_received_has_no_scan(app, api):
    case = register(api, materials=["M01", "M03"])
    window, token = signed_in(app, "window")
    response = upload(window, token, case["id"], PDF, material="M02")
    assert "尚未收取" in text(window.get(response.headers["Location"]))


def test_who_may_upload_and_who_may_open(app, api, case):
    window, token = signed_in(app, "window")
    upload(window, token, case["id"], PNG, name="photo.png")
    scan_id = api.get(f"/api/v1/cases/{case['id']}", as_user="window").get_json()["attachments"][0]["id"]
    reviewer, reviewer_token = signed_in(app, "reviewer_market")
    assert upload(reviewer, reviewer_token, case["id"], PDF).status_code == 403
    assert api.get(f"/api/v1/attachments/{scan_id}", as_user="reviewer_market").status_code == 200
    assert api.get(f"/api/v1/attachments/{scan_id}", as_user="reviewer_health").status_code == 403
    designer = api.get(f"/api/v1/attachments/{scan_id}", as_user="designer")
    assert designer.status_code == 403 and designer.get_json()["code"] == "personal_data_not_for_role"
    for hostile in ("../../etc/passwd", "0" * 32, "x" * 500):
        assert api.get(f"/api/v1/attachments/{hostile}", as_user="window").status_code == 404
    assert api.get(f"/api/v1/attachments/{scan_id}").status_code == 401


def test_the_api_takes_a_scan_as_multipart(api, case):
    response = api.post(f"/api/v1/cases/{case['id']}/attachments", as_user="window",
                        content_type="multipart/form-data",
                        data={"material": "M02", "file": (io.BytesIO(PNG), "场所照片.png")})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"] == "image/png"
    refused = api.post(f"/api/v1/cases/{case['id']}/attachments", as_user="window",
                       content_type="multipart/form-data", data={"material": "M02", "file": (io.BytesIO(HTML), "a.png")})
    assert refused.status_code == 400 and refused.get_json()["code"] == "file_type_refused"
    assert api.post(f"/api/v1/cases/{case['id']}/attachments", as_user="auditor", content_type="multipart/form-data",
                    data={"material": "M02", "file": (io.BytesIO(PNG), "a.png")}).status_code == 403


def test_a_multipart_part_without_a_name_is_refused_not_a_server_error(api, case):
    """Found by the API fuzzer: a part whose Content-Disposition names no field."""
    boundary = "x0x0x"
    body = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--{boundary}--\r\n").encode()
    response = api.post(f"/api/v1/cases/{case['id']}/attachments", as_user="window", data=body,
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_form"
