"""The BPMN parser's and the XML schema validator's English messages, in Chinese.

SpiffWorkflow and libxml2 speak English; designers read Chinese. The messages they meet most
(an element where the schema allows none, a missing or unknown attribute, a bad value, no start
event, a flow without a condition, an unsupported task) are put into Chinese with their names
kept; anything else keeps its original text after a Chinese lead, so nothing is lost."""
from __future__ import annotations

import re
from collections.abc import Callable

_Q = r"'([^']*)'"


def _names(listing: str) -> str:
    return "、".join(part.strip() for part in listing.split(",") if part.strip())


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(rf"^Element {_Q}: This element is not expected\. Expected is one of \( ?(.*?) ?\)\.?$"),
     lambda m: f"元素“{m[1]}”不应出现在此处，此处应为以下之一：{_names(m[2])}"),
    (re.compile(rf"^Element {_Q}: This element is not expected\. Expected is \( ?(.*?) ?\)\.?$"),
     lambda m: f"元素“{m[1]}”不应出现在此处，此处应为：{_names(m[2])}"),
    (re.compile(rf"^Element {_Q}: This element is not expected\.?$"),
     lambda m: f"元素“{m[1]}”不应出现在此处"),
    (re.compile(rf"^Element {_Q}: Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)\.?$"),
     lambda m: f"元素“{m[1]}”缺少子元素：{_names(m[2])}"),
    (re.compile(rf"^Element {_Q}: The attribute {_Q} is required but missing\.?$"),
     lambda m: f"元素“{m[1]}”缺少必填属性“{m[2]}”"),
    (re.compile(rf"^Element {_Q}, attribute {_Q}: The attribute {_Q} is not allowed\.?$"),
     lambda m: f"元素“{m[1]}”不允许有属性“{m[2]}”"),
    (re.compile(rf"^Element {_Q}, attribute {_Q}: {_Q} is not a valid value of the (?:atomic|union|list) type {_Q}\.?$"),
     lambda m: f"元素“{m[1]}”的属性“{m[2]}”的值“{m[3]}”不合法（应为 {m[4]}）"),
    (re.compile(rf"^Element {_Q}: {_Q} is not a valid value of the (?:atomic|union|list) type {_Q}\.?$"),
     lambda m: f"元素“{m[1]}”的内容“{m[2]}”不合法（应为 {m[3]}）"),
    (re.compile(rf"^Element {_Q}: (?:No match found for key-sequence|Duplicate key-sequence) \[{_Q}\].*$"),
     lambda m: f"元素“{m[1]}”引用或重复了标识“{m[2]}”"),
    (re.compile(r"^No start event found.*$"), lambda m: "流程没有开始事件"),
    (re.compile(r"^Duplicate process ID: (.+)$"), lambda m: f"流程标识“{m[1]}”重复"),
    (re.compile(r"^Process (.+) is not executable\.?$"), lambda m: f"流程“{m[1]}”未标记为可执行（isExecutable）"),
    (re.compile(r"^Non-default exclusive outgoing sequence flow\s+without condition.*$"),
     lambda m: "排他网关的非默认出口顺序流缺少条件"),
    (re.compile(r"^There is no support implemented for this task type\.?.*$"),
     lambda m: "不支持这种任务类型"),
    (re.compile(r"^Invalid Script Task\.\s*No Script Provided\.?\s*$"), lambda m: "脚本任务没有脚本"),
    (re.compile(r"^(?:Unknown Time Specification|Time Specification Error\.).*$"),
     lambda m: "定时器的时间表达式不正确"),
    (re.compile(r"^A SubWorkflow Must contain an End event.*$"), lambda m: "子流程必须有结束事件"),
    (re.compile(r"^Exactly one start event is required in a SubWorkflow Task; found (\d+)\.?$"),
     lambda m: f"子流程必须恰有一个开始事件（现有 {m[1]} 个）"),
    (re.compile(r"^Conditional event definition with missing condition.*$"), lambda m: "条件事件缺少条件"),
    (re.compile(r"^Cannot resolve (dataInputAssociation|dataOutputAssociation) (.+)$"),
     lambda m: f"无法解析数据关联 {m[2]}"),
)


def in_chinese(message: str) -> str:
    """The parser's or validator's message in Chinese (the original after a Chinese lead when
    no rule knows it)."""
    text = message.strip()
    for pattern, say in _RULES:
        found = pattern.match(text)
        if found:
            return say(found)
    return f"解析器报告（原文）：{text}"
