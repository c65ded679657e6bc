"""The validation pipeline of a process model: one path for the modeler, the API and the CLI.

1. safe XML (no DTD or entities; size, depth and element-count limits) and a BPMN root:
   failing here refuses the upload outright (:class:`ModelRefused` 400, :class:`ModelTooLarge`
   413) with the finding that says why; nothing is stored;
2. the BPMN 2.0 XML schema (SpiffWorkflow's XSD with its extension schema), every error;
3. every expression and script against the evaluator's allow-list, every one;
4. call activities name a process the document defines or that is deployed;
5. for the main executable process: fan-outs, catalogue items, then SpiffWorkflow's parser
   (skipped while 2–4 found errors, since the parser would stop at the first of them) and,
   on the parsed definition, lanes mapped to roles.

Descriptive (non-executable) models come back with findings like any other; only a model
without error findings can be deployed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from app.domain.bureau.catalogue import Catalogue
from app.domain.errors import OneSealError, TooLarge
from app.domain.design.findings import (
    Finding,
    ModelRefused,
    ModelTooLarge,
    Severity,
    errors_in,
)
from app.workflow.checking import model_checks
from app.workflow.definitions import (
    BPMN_NS,
    Document,
    ProcessDefinition,
    called_process_ids,
    element_names,
)
from app.workflow.expressions.evaluator import RestrictedEvaluator
from app.workflow.checking.safe_xml import DEFAULT_LIMITS, XmlLimits, parse_untrusted

log = logging.getLogger(__name__)
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class CalledProcesses:
    """What the deployed processes that a model calls contribute to its validation."""

    #: the files of the deployed versions reached through the calls, transitively
    documents: list[Document] = field(default_factory=list)
    #: called process ids that are neither defined in the model nor deployed
    missing: list[str] = field(default_factory=list)
    #: every process id reached through the calls, transitively (to find call cycles)
    reached: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ValidationContext:
    evaluator: RestrictedEvaluator
    catalogue: Catalogue | None
    #: parse a model with the files it calls; cached or not, as the caller decides
    compile: Callable[[Sequence[Document], str], ProcessDefinition]
    #: the deployed processes behind a list of called process ids
    resolve_calls: Callable[[list[str]], CalledProcesses]
    #: the processes (deployed, or given with the file) that call a process id
    callers: Callable[[str], list[str]] = lambda _process_id: []
    limits: XmlLimits = DEFAULT_LIMITS


@dataclass
class ModelValidation:
    findings: list[Finding]
    #: the main executable process, if the model has exactly one
    process_id: str | None = None
    process_name: str = ""
    definition: ProcessDefinition | None = None

    @property
    def errors(self) -> list[Finding]:
        return errors_in(self.findings)


def parse_model(content: bytes, filename: str, limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """Stage 1: the safe parse and a BPMN 2.0 root, or an error that refuses the upload."""
    try:
        root = parse_untrusted(content, filename=filename, limits=limits)
    except TooLarge as err:
        raise ModelTooLarge(err.code, err.message, [Finding.of_error(err)], **err.details) from None
    except OneSealError as err:
        raise ModelRefused(err.code, err.message, [Finding.of_error(err)], **err.details) from None
    if root.tag != f"{{{BPMN_NS}}}definitions":
        finding = Finding(Severity.ERROR, "not_bpmn",
                          "不是 BPMN 2.0 文档：根元素应为 bpmn:definitions（命名空间 "
                          f"{BPMN_NS}）", line=root.sourceline)
        raise ModelRefused(finding.code, finding.message, [finding], file=filename)
    return root


def validate_model(content: bytes, context: ValidationContext, filename: str = "model.bpmn") -> ModelValidation:
    """Run the whole pipeline; raise only for stage 1, otherwise return every finding."""
    root = parse_model(content, filename, context.limits)
    names = element_names(root)
    main, findings = model_checks.process_inventory(root, names)
    if not _is_utf8(content):
        findings.append(Finding(Severity.ERROR, "bpmn_not_utf8",
                                "流程文件须为 UTF-8 编码才能部署（在建模器中打开后保存即转换为 UTF-8）"))
    calls = context.resolve_calls(called_process_ids(root))
    # what the engine's parser would stop at (its first error only): reported in full here
    blocking = [*model_checks.schema_findings(root, names),
                *model_checks.expression_findings(root, context.evaluator, names),
                *model_checks.call_findings(root, names, calls.missing)]
    result = ModelValidation(findings)
    if main is not None:
        result.process_id = main.get("id", "")
        result.process_name = main.get("name") or result.process_id
        if result.process_id in calls.reached:
            blocking.append(Finding(Severity.ERROR, "called_process_cycle",
                                    f"流程“{result.process_id}”通过调用活动循环调用了自身",
                                    result.process_id, result.process_name))
        findings.extend(model_checks.executable_findings(root, main, names, context.catalogue,
                                                         context.callers(result.process_id)))
        if not errors_in(blocking):
            documents = [Document(filename, content), *calls.documents]
            result.definition = _parse(context, documents, result.process_id, findings)
        if result.definition is not None:
            findings.extend(model_checks.lane_findings(result.definition))
    result.findings = _ordered(findings + blocking)
    return result


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse(context: ValidationContext, documents: list[Document], process_id: str,
           findings: list[Finding]) -> ProcessDefinition | None:
    """SpiffWorkflow's parser; whatever it refuses becomes a finding, never a 500."""
    try:
        return context.compile(documents, process_id)
    except OneSealError as err:
        findings.append(Finding.of_error(err))
    except Exception as err:  # a third-party parser on designer input: report, do not crash
        log.warning("parser failed on %s: %r", process_id, err)
        findings.append(Finding(Severity.ERROR, "bpmn_engine_refused",
                                f"流程引擎无法解析此流程（{type(err).__name__}）：请检查流程结构"))
    return None


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])
