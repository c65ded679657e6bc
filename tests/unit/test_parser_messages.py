"""The parser's and the schema validator's English messages reach designers in Chinese."""
import pytest

from app.workflow.checking.parser_messages import in_chinese
from tests.support.model_samples import linear


@pytest.mark.parametrize("english, chinese", [
    ("Element 'bpmn:task': This element is not expected. Expected is one of ( bpmn:incoming, bpmn:outgoing ).",
     "元素“bpmn:task”不应出现在此处，此处应为以下之一：bpmn:incoming、bpmn:outgoing"),
    ("Element 'bpmn:sequenceFlow': The attribute 'targetRef' is required but missing.",
     "元素“bpmn:sequenceFlow”缺少必填属性“targetRef”"),
    ("Element 'bpmn:userTask', attribute 'color': The attribute 'color' is not allowed.",
     "元素“bpmn:userTask”不允许有属性“color”"),
    ("Element 'bpmn:process', attribute 'isExecutable': 'maybe' is not a valid value of the atomic type 'xs:boolean'.",
     "元素“bpmn:process”的属性“isExecutable”的值“maybe”不合法（应为 xs:boolean）"),
    ("No start event found in process", "流程没有开始事件"),
    ("Duplicate process ID: review", "流程标识“review”重复"),
    ("Non-default exclusive outgoing sequence flow  without condition", "排他网关的非默认出口顺序流缺少条件"),
])
def test_known_messages_are_put_into_chinese(english, chinese):
    assert in_chinese(english) == chinese


def test_an_unknown_message_keeps_its_text_after_a_chinese_lead():
    assert in_chinese("Something new happened") == "解析器报告（原文）：Something new happened"


def test_a_schema_error_reaches_the_designer_in_chinese(api):
    broken = linear().replace(b"<bpmn:userTask ", b"<bpmn:userTask colour=\"red\" ", 1)
    response = api.post("/api/v1/process-models/validate", as_user="designer", data=broken,
                        headers={"Content-Type": "application/xml"})
    findings = response.get_json()["findings"]
    schema = [f["message"] for f in findings if f["code"] == "bpmn_schema_invalid"]
    assert schema and "不允许有属性“colour”" in schema[0], findings
