"""Chinese names of the fields a step may ask for (what the diagrams declare as ``fields``), so
pages and messages say 证照编号, never ``certificate_no``. A field no entry names is shown by the
name the diagram gave it."""
from __future__ import annotations

FIELD_LABELS = {
    "certificate_no": "证照编号", "scope": "许可范围（印在证照上）", "delivery": "送达方式", "commitment_signed": "已签署告知承诺书",
    "finding": "核查结论", "decision": "办理决定", "opinion": "办理意见", "notice": "一次性告知事项",
    "materials": "材料", "reason": "原因或说明", "to": "转办给",
    "inspected_on": "核查日期", "second_inspector": "第二核查人", "photos": "现场照片",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
