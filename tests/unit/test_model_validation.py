"""The validation pipeline: structured findings naming the element, for every kind of check."""
from __future__ import annotations

import pytest

from app.bureau_data.catalogue_file import load_catalogue
from app.config import ROOT
from app.domain.errors import TooLarge
from app.domain.design.findings import ModelRefused, ModelTooLarge, Severity
from app.services.decisions import build_evaluator
from app.workflow.checking import model_checks
from app.workflow.definitions import DefinitionCatalogue, Document, called_process_ids
from app.workflow.checking.safe_xml import XmlLimits, parse_untrusted
from app.workflow.checking.validation import CalledProcesses, ValidationContext, validate_model
from tests.support.model_samples import (
    LINEAR,
    calling,
    codes,
    declaring_items,
    document,
    fan_out,
    linear,
    process,
    shipped,
    with_condition,
    with_script,
)

EVALUATOR = build_evaluator(None)[0]
CATALOGUE = load_catalogue(ROOT / "data" / "catalogue.toml")


def context(deployed: dict[str, bytes] | None = None, callers: dict[str, list[str]] | None = None,
            **overrides: object) -> ValidationContext:
    deployed = deployed or {}

    def resolve(called: list[str]) -> CalledProcesses:
        result, pending = CalledProcesses(), list(called)
        while pending:
            target = pending.pop()
            if target not in deployed:
                result.missing.append(target)
            elif target not in result.reached:
                result.documents.append(Document(f"{target}.bpmn", deployed[target]))
                result.reached.add(target)
                pending.extend(called_process_ids(parse_untrusted(deployed[target])))
        return result

    values = {"evaluator": EVALUATOR, "catalogue": CATALOGUE, "compile": DefinitionCatalogue(EVALUATOR).build,
              "resolve_calls": resolve, "callers": lambda pid: (callers or {}).get(pid, [])}
    values.update(overrides)
    return ValidationContext(**values)  # type: ignore[arg-type]


def check(content: bytes, **kwargs: object):
    return validate_model(content, context(**kwargs))


def test_shipped_diagrams_have_no_error_and_say_which_items_they_serve():
    deployed = {"site_inspection": shipped("site_inspection")}
    for name in ("standard_promised", "immediate"):
        result = check(shipped(name), deployed=deployed)
        assert result.errors == [], result.findings
        assert result.process_id == name and result.definition is not None
        assert "process_serves_items" in codes(result.findings, "info")
    sub = check(shipped("site_inspection"), callers={"site_inspection": ["standard_promised"]})
    assert sub.errors == [] and "process_called_only" in codes(sub.findings, "info")


def test_every_finding_names_severity_code_element_and_a_chinese_message():
    result = check(with_condition("${approved}"))
    [finding] = [f for f in result.findings if f.code == "expression_syntax"]
    assert finding.severity is Severity.ERROR
    assert finding.element_id == "yes" and finding.element_name == "准予"
    assert "表达式" in finding.message
    assert set(finding.to_dict()) == {"severity", "code", "message", "element_id", "element_name", "line"}


@pytest.mark.parametrize("expression", [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "().__class__.__base__.__subclasses__()",
    "getattr(decision, '__class__')",
    "eval('1')",
])
def test_conditions_outside_the_allow_list_are_errors_on_their_flow(expression):
    result = check(with_condition(expression))
    errors = [f for f in result.errors if f.element_id == "yes"]
    assert errors and errors[0].code.startswith("expression_")
    assert result.definition is None  # never handed to the engine's parser


@pytest.mark.parametrize("script", [
    "x = __import__('os')",
    "data = open('/etc/passwd')",
    "y = ().__class__.__base__.__subclasses__()",
    "import os",
])
def test_scripts_outside_the_allow_list_are_errors_on_their_task(script):
    result = check(with_script(script))
    assert [f.element_id for f in result.errors] == ["compute"]
    assert result.errors[0].element_name == "计算"


def test_allowed_expressions_use_the_diagram_functions_of_the_engine():
    # decide() and parallel_settled() are the functions build_evaluator gives diagrams
    assert check(with_script("outcome = decide('inspection', facts)")).errors == []
    assert check(with_condition("parallel_settled(reviews, 'all')")).errors == []
    assert "expression_function_not_allowed" in codes(check(with_condition("undefined_fn(1)")).errors)


def test_every_bad_expression_is_reported_not_only_the_first():
    content = with_condition("__import__('os')").replace(
        b'sourceRef="choose" targetRef="end_no" />',
        b'sourceRef="choose" targetRef="end_no"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        b"open('x')</bpmn:conditionExpression></bpmn:sequenceFlow>")
    assert {f.element_id for f in check(content).errors} == {"yes", "no"}


def test_user_tasks_must_sit_in_a_lane_mapped_to_a_role():
    assert check(linear(lane="审查股室")).errors == []
    result = check(linear(lane="外包公司"))
    assert [(f.code, f.element_id, f.element_name) for f in result.errors] == [("task_lane_unknown", "review", "审查")]
    assert "外包公司" in result.errors[0].message
    assert codes(check(linear(lane=None)).errors) == {"task_lane_unknown"}


def test_wide_fan_outs_must_be_multi_instance():
    assert check(fan_out(4)).errors == []
    for kind in ("parallelGateway", "inclusiveGateway"):
        result = check(fan_out(5, kind))
        [error] = result.errors
        assert (error.code, error.element_id, error.element_name) == ("fan_out_too_wide", "split", "分送各部门")
        assert "多实例" in error.message
    assert model_checks.MAX_EXPLICIT_BRANCHES == 4


def test_called_processes_must_be_deployed_and_never_call_back():
    result = check(calling("site_inspection"))
    [error] = result.errors
    assert (error.code, error.element_id) == ("called_process_missing", "call")
    deployed = check(calling("site_inspection"), deployed={"site_inspection": shipped("site_inspection")})
    assert deployed.errors == []
    deployed_loop = {"other": calling("loop", pid="other"), "loop": linear(pid="loop")}
    cycle = check(calling("other", pid="loop"), deployed=deployed_loop)
    assert "called_process_cycle" in codes(cycle.errors)
    empty = check(calling(""))
    assert "called_element_missing" in codes(empty.errors)


def test_items_bound_to_the_process_are_checked_both_ways():
    # declared items must exist
    result = check(declaring_items("XK-0001,XK-9999"))
    assert [f.code for f in result.errors] == ["item_unknown"]
    assert "XK-9999" in result.errors[0].message
    # XK-0001 is routed to standard_promised by the catalogue, not to this process
    assert "item_routed_elsewhere" in codes(result.findings, "warning")
    # the catalogue routes items to standard_promised that a declaration would have to list
    declared = check(declaring_items("XK-0001", pid="standard_promised"))
    assert "item_not_declared" in codes(declared.findings, "warning")
    assert not declared.errors
    # a process that no item runs and nothing calls
    assert "process_not_in_catalogue" in codes(check(linear()).findings, "warning")
    # an unknown process-level property is refused like an unknown task property
    typo = declaring_items("XK-0001").replace(b'name="items"', b'name="itmes"')
    assert "process_property_unknown" in codes(check(typo).errors)


def test_descriptive_models_come_back_with_findings_and_cannot_deploy():
    result = check(linear(executable=False))
    assert result.process_id is None and result.definition is None
    assert "model_not_executable" in codes(result.errors)
    assert "process_descriptive" in codes(result.findings, "info")
    several = check(document(process(LINEAR, pid="a"), process(LINEAR, pid="b")))
    assert "model_several_main_processes" in codes(several.errors)


def test_schema_errors_name_the_line_and_element():
    content = linear().replace(b'<bpmn:userTask id="review"', b'<bpmn:userTask id="review" colour="red"')
    result = check(content)
    [error] = [f for f in result.errors if f.code == "bpmn_schema_invalid"]
    assert error.element_id == "review" and error.line is not None
    assert "colour" in error.message
    assert result.definition is None


def test_engine_parser_refusals_are_findings():
    no_start = '<bpmn:userTask id="review" name="审查" />'
    result = check(document(process(no_start)))
    assert [f.code for f in result.errors] == ["bpmn_invalid"]
    assert result.definition is None


def test_an_unexpected_parser_crash_is_a_finding_not_a_500():
    def explode(_documents, _process_id):
        raise RuntimeError("dictionary changed size during iteration")

    result = validate_model(linear(), context(compile=explode))
    assert codes(result.errors) == {"bpmn_engine_refused"}


def test_non_utf8_models_are_stored_but_cannot_deploy():
    content = linear(task_name="Revue").replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    content = content.replace(b"Revue", "Révue".encode("latin-1"))
    assert "bpmn_not_utf8" in codes(check(content).errors)


def test_unsafe_or_foreign_documents_are_refused_outright_with_a_finding():
    with pytest.raises(ModelRefused) as err:
        check(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>')
    assert codes(err.value.findings) == {"xml_doctype_forbidden"}
    with pytest.raises(ModelRefused) as err:
        check(b"<html><body>not bpmn</body></html>")
    assert codes(err.value.findings) == {"not_bpmn"}
    with pytest.raises(ModelRefused) as err:
        check(b"<bpmn:definitions")
    assert codes(err.value.findings) == {"xml_malformed"}
    with pytest.raises(ModelTooLarge) as err:
        validate_model(linear(), context(limits=XmlLimits(max_bytes=100)))
    assert isinstance(err.value, TooLarge) and codes(err.value.findings) == {"xml_too_large"}


def test_findings_come_errors_first():
    result = check(linear(lane="外包公司"))
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index)
