"""Uploaded diagrams are never trusted: DTDs, entities, oversize, deep nesting, code."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.errors import InvalidInput, TooLarge
from app.services.decisions import build_evaluator
from app.workflow.definitions import DefinitionCatalogue, DefinitionError, Document
from app.workflow.checking.safe_xml import XmlLimits, parse_untrusted

STANDARD = Path(__file__).resolve().parents[2] / "processes" / "standard_promised.bpmn"
#: the process the standard flow calls, compiled with it as on deployment
CALLED = Document("site_inspection.bpmn", (STANDARD.parent / "site_inspection.bpmn").read_bytes())


def compile_text(text: str) -> object:
    catalogue = DefinitionCatalogue(build_evaluator(None)[0])
    return catalogue.compile([Document("upload.bpmn", text.encode("utf-8")), CALLED], "standard_promised")


def test_shipped_diagram_compiles():
    definition = compile_text(STANDARD.read_text(encoding="utf-8"))
    assert set(definition.human_tasks) == {
        "accept_application", "review_application", "supplement_materials", "expert_review",
        "decide_application", "hold_hearing",
        "make_certificate", "issue_result",
        # from the called site-inspection process, compiled in
        "inspect_independently", "inspect_on_commission", "inspect_jointly",
        "conclude_joint_inspection", "reinspect_after_rectification"}


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE definitions SYSTEM "http://example.invalid/x.dtd">',
])
def test_doctype_and_entities_are_refused(prolog):
    text = STANDARD.read_text(encoding="utf-8").replace("?>", "?>" + prolog, 1)
    with pytest.raises(InvalidInput) as err:
        compile_text(text)
    assert err.value.code == "xml_doctype_forbidden"


def test_condition_reaching_for_import_is_refused():
    text = STANDARD.read_text(encoding="utf-8").replace(
        'decision == "reject"', "__import__('os').system('id') or decision == \"reject\"", 1)
    with pytest.raises(DefinitionError) as err:
        compile_text(text)
    assert err.value.code == "expression_function_not_allowed"
    assert err.value.details["element_id"]


def test_script_task_with_subclasses_escape_is_refused():
    text = STANDARD.read_text(encoding="utf-8").replace(
        'decision == "reject"', "().__class__.__base__.__subclasses__()", 1)
    with pytest.raises(DefinitionError):
        compile_text(text)


def test_size_depth_and_count_limits():
    limits = XmlLimits(max_bytes=10_000, max_depth=20, max_elements=100)
    with pytest.raises(TooLarge):
        parse_untrusted(b"<a>" + b"x" * 20_000 + b"</a>", limits=limits)
    with pytest.raises(InvalidInput) as err:
        parse_untrusted(b"<a>" * 30 + b"</a>" * 30, limits=limits)
    assert err.value.code == "xml_too_deep"
    with pytest.raises(InvalidInput) as err:
        parse_untrusted(b"<a>" + b"<b/>" * 200 + b"</a>", limits=limits)
    assert err.value.code == "xml_too_many_elements"
    with pytest.raises(InvalidInput) as err:
        parse_untrusted(b"<a><b></a>")
    assert err.value.code == "xml_malformed"


def test_doctype_is_refused_whatever_its_case_or_spacing():
    for prolog in (b"<!doctype a>", b"<!DocType a>", b"<!  ENTITY x 'y'>"):
        with pytest.raises(InvalidInput) as err:
            parse_untrusted(b'<?xml version="1.0"?>' + prolog + b"<a/>")
        assert err.value.code == "xml_doctype_forbidden"


def test_parsed_tree_keeps_comments_and_drops_processing_instructions():
    root = parse_untrusted("<a><!-- note --><?pi x?><b>文本</b></a>".encode())
    assert [child.tag for child in root if isinstance(child.tag, str)] == ["b"]
    assert root.find("b").text == "文本"
