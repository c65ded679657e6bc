"""The checks of a process model, each turning what it finds into findings.

Every function takes the parsed (safe) document and returns a list of
:class:`~app.domain.design.findings.Finding`; none raises on a bad model. The order in which the
pipeline runs them lives in :mod:`app.workflow.checking.validation`.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

from app.domain.bureau.catalogue import Catalogue
from app.domain.design.findings import Finding, Severity
from app.domain.roles import LANE_ROLES, role_for_lane
from app.workflow.definitions import BPMN_NS, ProcessDefinition, collect_expressions
from app.workflow.expressions.limits import step_budget
from app.workflow.expressions.evaluator import ExpressionError, RestrictedEvaluator
from app.workflow.checking.parser_messages import in_chinese

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
#: A diverging parallel or inclusive gateway may have at most this many explicit branches;
#: wider fan-outs must be one multi-instance task (see :func:`fan_out_findings`).
MAX_EXPLICIT_BRANCHES = 4
#: What a process (not a task) may declare as ``spiffworkflow:property``.
PROCESS_PROPERTIES = frozenset({"items"})
MAX_SCHEMA_FINDINGS = 20
_ITEM_SEPARATORS = re.compile(r"[,，、;；\s]+")
_NAMESPACE_PREFIXES = {f"{{{BPMN_NS}}}": "bpmn:", f"{{{SPIFF_NS}}}": "spiffworkflow:",
                       "{http://www.omg.org/spec/BPMN/20100524/DI}": "bpmndi:",
                       "{http://www.omg.org/spec/DD/20100524/DC}": "dc:",
                       "{http://www.omg.org/spec/DD/20100524/DI}": "di:"}


def _bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _finding(severity: Severity, code: str, message: str, element: etree._Element | None = None,
             line: int | None = None) -> Finding:
    """A finding about ``element`` (its id, name and line), or about the whole model."""
    if element is None:
        return Finding(severity, code, message, line=line)
    return Finding(severity, code, message, element.get("id", ""), element.get("name") or "",
                   line or element.sourceline)


def _label(element_id: str, names: Mapping[str, str]) -> str:
    name = names.get(element_id, "")
    return f"{element_id}（{name}）" if name else element_id


# --------------------------------------------------------------------------- processes

def process_inventory(root: etree._Element, names: Mapping[str, str]) -> tuple[etree._Element | None, list[Finding]]:
    """The main executable process, and findings about the document's processes.

    A process is executable only when it says so (``isExecutable="true"``); the others are
    descriptive and kept as drawn. Executable processes called from another process of the
    same document are its subprocesses; exactly one executable process must remain: the main.
    """
    processes = list(root.iter(_bpmn("process")))
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    called = {(n.get("calledElement") or "").strip() for n in root.iter(_bpmn("callActivity"))}
    mains = [p for p in executable if p.get("id") not in called]
    findings = [_finding(Severity.INFO, "process_descriptive",
                         f"流程 {_label(p.get('id', ''), names)} 是描述性流程（未标记为可执行），只保存、不执行",
                         p) for p in processes if p not in executable]
    if not processes:
        findings.append(_finding(Severity.ERROR, "model_without_process", "模型中没有流程（bpmn:process）"))
        return None, findings
    if not mains:
        findings.append(_finding(Severity.ERROR, "model_not_executable",
                                 "模型中没有可执行的主流程（isExecutable=\"true\"）：可以保存为描述性模型，但不能部署"))
        return None, findings
    if len(mains) > 1:
        ids = "、".join(_label(p.get("id", ""), names) for p in mains)
        findings.append(_finding(Severity.ERROR, "model_several_main_processes",
                                 f"模型中有多个可执行的主流程（{ids}）：一个模型只能部署一个主流程，"
                                 "其余请标记为不可执行或作为被调用的子流程", mains[1]))
        return None, findings
    return mains[0], findings


def executable_processes(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.iter(_bpmn("process")) if p.get("isExecutable") == "true"]


# --------------------------------------------------------------------------- BPMN 2.0 schema

_schema_lock = threading.Lock()
_schema: list[BpmnValidator] = []


def _validator() -> BpmnValidator:
    """Our own instance of SpiffWorkflow's schema (BPMN20.xsd with its extension schema).

    Not shared with the parser's, and used under a lock: an lxml schema keeps its error log
    on the instance, so two threads validating at once would read each other's errors.
    """
    if not _schema:
        _schema.append(BpmnValidator(imports={"spiffworkflow": SPIFF_XSD}))
    return _schema[0]


def _short(message: str) -> str:
    for uri, prefix in _NAMESPACE_PREFIXES.items():
        message = message.replace(uri, prefix)
    return message


def schema_findings(root: etree._Element, names: Mapping[str, str]) -> list[Finding]:
    """Every place where the document breaks the BPMN 2.0 XML schema (the first few)."""
    tree = etree.ElementTree(root)
    with _schema_lock:
        validator = _validator()
        validator.preprocess(tree)
        valid = validator.validator.validate(tree)
        errors = [(e.line, e.message) for e in validator.validator.error_log] if not valid else []
    if not errors:
        return []
    by_line: dict[int, etree._Element] = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.sourceline is not None:
            by_line.setdefault(node.sourceline, node)
    findings = []
    for line, message in errors[:MAX_SCHEMA_FINDINGS]:
        element = by_line.get(line)
        found = _finding(Severity.ERROR, "bpmn_schema_invalid",
                         f"第 {line} 行不符合 BPMN 2.0 XML 架构：{in_chinese(_short(message))}", element)
        findings.append(Finding(found.severity, found.code, found.message, found.element_id,
                                found.element_name, line))
    if len(errors) > MAX_SCHEMA_FINDINGS:
        findings.append(Finding(Severity.ERROR, "bpmn_schema_invalid",
                                f"另有 {len(errors) - MAX_SCHEMA_FINDINGS} 处不符合 BPMN 2.0 XML 架构，未逐一列出"))
    return findings


# --------------------------------------------------------------------------- expressions

def expression_findings(root: etree._Element, evaluator: RestrictedEvaluator,
                        names: Mapping[str, str]) -> list[Finding]:
    """Every condition, script and timer expression of the document must pass the evaluator's
    allow-list, and its constant parts its limits."""
    findings = []
    with step_budget(what="本流程文件"):  # the constant parts of all its texts share one budget
        for element_id, kind, text in collect_expressions(root):
            findings.extend(_expression_finding(evaluator, names, element_id, kind, text))
    return findings


def _expression_finding(evaluator: RestrictedEvaluator, names: Mapping[str, str], element_id: str,
                        kind: str, text: str) -> list[Finding]:
    try:
        if kind == "script":
            evaluator.check_script(text)
        else:
            evaluator.check_expression(text)
        # what the text computes without the case's data must stay within the budget
        evaluator.check_constant_parts(text, "exec" if kind == "script" else "eval")
    except ExpressionError as err:
        what = "脚本" if kind == "script" else "表达式"
        return [Finding(Severity.ERROR, err.code, f"元素 {_label(element_id, names)} 的{what}不被允许：{err.message}",
                        element_id, names.get(element_id, ""))]
    return []


# --------------------------------------------------------------------------- calls

def call_findings(root: etree._Element, names: Mapping[str, str], missing: Iterable[str]) -> list[Finding]:
    """Call activities must name a process that this document defines or that is deployed."""
    missing = set(missing)
    findings = []
    for node in root.iter(_bpmn("callActivity")):
        target = (node.get("calledElement") or "").strip()
        if not target:
            findings.append(_finding(Severity.ERROR, "called_element_missing",
                                     f"调用活动 {_label(node.get('id', ''), names)} 未指定被调用的流程（calledElement）",
                                     node))
        elif target in missing:
            findings.append(_finding(Severity.ERROR, "called_process_missing",
                                     f"调用活动 {_label(node.get('id', ''), names)} 引用的子流程“{target}”尚未部署，"
                                     "请先部署该子流程", node))
    return findings


# --------------------------------------------------------------------------- fan-outs

def fan_out_findings(process: etree._Element, names: Mapping[str, str]) -> list[Finding]:
    """Wide explicit fan-outs must be one multi-instance task instead.

    A parallel or inclusive gateway with more than :data:`MAX_EXPLICIT_BRANCHES` outgoing
    flows hard-codes the list of participants (typically departments of a parallel approval)
    in the drawing: adding a department needs a new version, each branch is one more path to
    audit, and every branch works on the case's own department. A multi-instance task over a
    collection (``inputDataItem``, with ``department_from``) runs one task per element, keeps
    each result apart, and joins correctly whatever the count. So this is an error, not a
    warning: the diagram would run, but not the way the bureau's parallel approval works.
    """
    findings = []
    for kind in ("parallelGateway", "inclusiveGateway"):
        for gateway in process.iter(_bpmn(kind)):
            gateway_id = gateway.get("id", "")
            branches = [f for f in process.iter(_bpmn("sequenceFlow")) if f.get("sourceRef") == gateway_id]
            if len(branches) > MAX_EXPLICIT_BRANCHES:
                findings.append(_finding(
                    Severity.ERROR, "fan_out_too_wide",
                    f"网关 {_label(gateway_id, names)} 分出 {len(branches)} 条分支，超过 {MAX_EXPLICIT_BRANCHES} 条："
                    "请改用一个多实例任务（按集合逐项展开，inputDataItem；承办部门用 department_from），"
                    "由数据决定参与的部门", gateway))
    return findings


# --------------------------------------------------------------------------- catalogue items

def _process_properties(process: etree._Element) -> list[etree._Element]:
    found = []
    for extensions in process.findall(_bpmn("extensionElements")):
        for properties in extensions.findall(f"{{{SPIFF_NS}}}properties"):
            found.extend(properties.findall(f"{{{SPIFF_NS}}}property"))
    return found


def declared_items(process: etree._Element) -> list[str]:
    """The item codes a process declares it handles: ``spiffworkflow:property name="items"``."""
    for prop in _process_properties(process):
        if prop.get("name") == "items":
            return [code for code in _ITEM_SEPARATORS.split(prop.get("value") or "") if code]
    return []


def item_findings(process: etree._Element, catalogue: Catalogue | None,
                  callers: Iterable[str] = ()) -> list[Finding]:
    """The items a process declares and the items the catalogue routes to it must agree.

    The catalogue decides which process an item runs (its ``process`` field names the BPMN
    process id); a process may list the items it is made for in a process-level property
    ``items`` (codes separated by commas). A declared code must exist; a declared item that
    the catalogue routes elsewhere, or a routed item missing from the declaration, is a
    warning; a process no item runs is a warning too, unless other processes call it
    (``callers``: it is a subprocess).
    """
    findings = []
    for prop in _process_properties(process):
        if prop.get("name") not in PROCESS_PROPERTIES:
            findings.append(_finding(Severity.ERROR, "process_property_unknown",
                                     f"流程属性“{prop.get('name')}”未知，可用属性：{'、'.join(sorted(PROCESS_PROPERTIES))}",
                                     process))
    if catalogue is None:
        return findings
    process_id = process.get("id", "")
    declared = declared_items(process)
    for code in declared:
        item = catalogue.items.get(code)
        if item is None:
            findings.append(_finding(Severity.ERROR, "item_unknown",
                                     f"流程声明办理的事项“{code}”不在事项目录中", process))
        elif item.process != process_id:
            findings.append(_finding(Severity.WARNING, "item_routed_elsewhere",
                                     f"事项 {code}（{item.name}）在事项目录中由流程“{item.process}”办理，"
                                     "本流程的声明不起作用；请同时修改事项目录", process))
    served = [item for item in catalogue.items.values() if item.process == process_id]
    if declared:
        for item in served:
            if item.code not in declared:
                findings.append(_finding(Severity.WARNING, "item_not_declared",
                                         f"事项 {item.code}（{item.name}）在事项目录中由本流程办理，但流程未声明该事项",
                                         process))
    callers = sorted(set(callers))
    projects = [t for t in catalogue.projects.values() if t.process == process_id]
    if not served and projects:
        findings.append(_finding(Severity.INFO, "process_serves_projects",
                                 "本流程办理工程建设项目：" + "、".join(t.name for t in projects), process))
    elif not served and callers:
        findings.append(_finding(Severity.INFO, "process_called_only",
                                 "本流程不直接办理事项，作为子流程被“" + "”“".join(callers) + "”调用", process))
    elif not served:
        findings.append(_finding(Severity.WARNING, "process_not_in_catalogue",
                                 f"事项目录中没有事项由流程“{process_id}”办理，也没有流程调用它：新办件不会到达本流程",
                                 process))
    elif not declared:
        listed = "、".join(f"{i.code} {i.name}" for i in served[:5]) + ("等" if len(served) > 5 else "")
        findings.append(_finding(Severity.INFO, "process_serves_items",
                                 f"事项目录中有 {len(served)} 个事项由本流程办理：{listed}", process))
    return findings


# --------------------------------------------------------------------------- lanes

def lane_findings(definition: ProcessDefinition) -> list[Finding]:
    """Every user task sits in a lane that maps to a role (综合窗口、审查股室…)."""
    known = "、".join(LANE_ROLES)
    return [Finding(Severity.ERROR, "task_lane_unknown",
                    f"任务 {task.element_id}（{task.name}）所在泳道“{task.lane or '无'}”未对应任何角色"
                    f"（可用泳道：{known}）", task.element_id, task.name)
            for task in definition.human_tasks.values() if role_for_lane(task.lane) is None]


def executable_findings(root: etree._Element, main: etree._Element, names: Mapping[str, str],
                        catalogue: Catalogue | None, callers: Iterable[str] = ()) -> list[Finding]:
    """The drawing-level checks of an executable model: fan-outs and catalogue items."""
    findings: list[Finding] = []
    for process in executable_processes(root):
        findings.extend(fan_out_findings(process, names))
    findings.extend(item_findings(main, catalogue, callers))
    return findings
