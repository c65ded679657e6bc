"""Parse untrusted BPMN XML before SpiffWorkflow ever sees it.

DTDs, entities and network access are off; a document with any DOCTYPE or entity
declaration is refused outright (nothing is expanded). Size is checked before parsing,
depth and element count while parsing, so memory stays bounded.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

from lxml import etree

from app.domain.errors import InvalidInput, TooLarge


@dataclass(frozen=True)
class XmlLimits:
    max_bytes: int = 5 * 1024 * 1024
    max_depth: int = 64
    max_elements: int = 50_000


DEFAULT_LIMITS = XmlLimits()


class UnsafeXml(InvalidInput):
    """The document is not well-formed or uses features we refuse (DTD, entities)."""


_DTD_MARKUP = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)


def parse_untrusted(data: bytes | str, *, filename: str = "<upload>",
                    limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """Return the root element of ``data`` or raise :class:`UnsafeXml` / :class:`TooLarge`.

    One streaming pass builds the tree and enforces depth and element-count limits as it
    goes, so a hostile document is stopped before it is held in memory whole.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise TooLarge("xml_too_large",
                       f"文件过大（{len(raw) // 1024} KB），上限为 {limits.max_bytes // 1024} KB",
                       file=filename, limit=limits.max_bytes)
    # Refuse DTDs before parsing: lxml would otherwise still read an internal subset.
    if _DTD_MARKUP.search(raw):
        raise UnsafeXml("xml_doctype_forbidden", "不允许包含 DOCTYPE 或实体声明（DTD/ENTITY）",
                        file=filename)
    depth = 0
    elements = 0
    try:
        events = etree.iterparse(io.BytesIO(raw), events=("start", "end"), resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False, remove_pis=True)
        for event, _element in events:
            if event == "start":
                depth += 1
                elements += 1
                if depth > limits.max_depth:
                    raise UnsafeXml("xml_too_deep", f"XML 嵌套层级超过 {limits.max_depth} 层",
                                    file=filename)
                if elements > limits.max_elements:
                    raise UnsafeXml("xml_too_many_elements",
                                    f"XML 元素数量超过 {limits.max_elements} 个", file=filename)
            else:
                depth -= 1
        root = events.root
    except etree.XMLSyntaxError as err:
        line = getattr(err, "lineno", None)
        if "Excessive depth" in (err.msg or ""):  # libxml2's own nesting limit (lxml ≥ 6.2) came first
            raise UnsafeXml("xml_too_deep", f"XML 嵌套层级超过 {limits.max_depth} 层",
                            file=filename, line=line) from None
        raise UnsafeXml("xml_malformed", f"XML 格式错误（第 {line} 行）：{err.msg}",
                        file=filename, line=line) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml("xml_doctype_forbidden", "不允许包含 DOCTYPE 或实体声明（DTD/ENTITY）",
                        file=filename)
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise UnsafeXml("xml_entity_forbidden", "不允许使用 XML 实体", file=filename)
    return root
