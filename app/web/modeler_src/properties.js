// The properties panel's content, in Chinese: everything the engine reads from a diagram —
// a user task's stage, decisions, results, opinion, form fields, department and clock rules; a
// multi-instance collection and its completion condition; the process a call activity calls;
// gateway and flow conditions (checked live by the server's restricted evaluator); timers;
// lanes and the role each one stands for; an end event's result; the process's items.
import { h } from "@bpmn-io/properties-panel/preact";
import { useEffect, useState } from "@bpmn-io/properties-panel/preact/hooks";
import {
  CheckboxEntry,
  Group,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";

import { expressionBody, readProperty, writeExpression, writeProperty } from "./engine_xml.js";
import { variableRef } from "./variable_refs.js";

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const PATH = /^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$/;
const PAIRS = /^\s*[a-z][a-z0-9_]*\s*:\s*[^,:]+\s*(,\s*[a-z][a-z0-9_]*\s*:\s*[^,:]+\s*)*$/;
const FIELD = /^[a-z][a-z0-9_]{0,63}\s*:\s*(text|bool|int|date|enum\([^)]+\))$/;
const LITERAL = /^"([^"\\]*)"$/;
const TIME_TEXT = /^(P[0-9YMWDTHS.]+|\d{4}-\d{2}-\d{2}([T ][0-9:.+Z-]*)?)$/;

/** A description whose `back-quoted` parts are values as the XML holds them, shown as code. */
function note(text) {
  if (!text || text.indexOf("`") < 0) return text;
  return h("span", null, ...text.split("`").map((part, i) => (i % 2 ? h("code", null, part) : part)));
}

function services() {
  return { modeling: useService("modeling"), moddle: useService("moddle"), debounce: useService("debounceInput") };
}

function options(pairs, empty = "（不设置）") {
  return [{ value: "", label: empty }, ...pairs.map(([value, label]) => ({ value, label }))];
}

// ------------------------------------------------------------------ generic entries

function NameEntry({ element, id }) {
  const { modeling, debounce } = services();
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label: "名称", debounce,
    getValue: () => bo.name || "",
    setValue: (value) => (element.labels && element.labels.length) || isAny(bo, ["bpmn:FlowElement", "bpmn:Lane", "bpmn:Participant"])
      ? modeling.updateLabel(element, value || "") : modeling.updateProperties(element, { name: value || undefined }),
  });
}

function IdEntry({ element, id }) {
  const { debounce } = services();
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label: "编号", disabled: true, debounce, description: "编号由建模器生成，流程中引用时使用",
    getValue: () => bo.id, setValue: () => {},
  });
}

/** A text (or multi-line) engine property of the element or of ``owner(element)``. */
function PropertyText(props) {
  const { element, id, property, label, description, rows, owner, validate } = props;
  const { modeling, moddle, debounce } = services();
  const target = owner ? owner(element) : getBusinessObject(element);
  const common = {
    element, id, label, description: note(description), debounce, validate,
    getValue: () => readProperty(target, property),
    setValue: (value) => writeProperty({ element, owner: target, name: property, value, modeling, moddle }),
  };
  return rows ? h(TextAreaEntry, { ...common, rows, monospace: true }) : h(TextFieldEntry, common);
}

function PropertySelect(props) {
  const { element, id, property, label, description, choices } = props;
  const { modeling, moddle } = services();
  const target = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label, description: note(description),
    getValue: () => readProperty(target, property),
    setValue: (value) => writeProperty({ element, owner: target, name: property, value, modeling, moddle }),
    getOptions: () => choices(),
  });
}

/** The server's verdict on an expression, shown under the field as the designer types. */
function useExpressionCheck(text) {
  const checker = useService("config.oneseal").checkExpression;
  const [result, setResult] = useState(null);
  useEffect(() => {
    let current = true;
    if (!text.trim()) {
      setResult(null);
      return undefined;
    }
    checker(text).then((answer) => { if (current) setResult(answer); });
    return () => { current = false; };
  }, [text]);
  return result;
}

function checkNote(result, hint) {
  if (!result) return note(hint);
  return h("span", { class: `oneseal-check oneseal-check-${result.valid ? "ok" : "error"}`, "data-check": result.valid ? "ok" : "error" },
    result.valid ? "✓ 表达式可用" : `✗ ${result.message}`);
}

/** A formal expression at ``owner(element)[key]``, checked live. */
function ExpressionEntry(props) {
  const { element, id, label, hint, owner, expressionKey } = props;
  const { modeling, moddle, debounce } = services();
  const target = owner(element);
  const text = expressionBody(target, expressionKey);
  const result = useExpressionCheck(text);
  return h(TextAreaEntry, {
    element, id, label, debounce, rows: 2, monospace: true,
    description: checkNote(result, hint),
    getValue: () => text,
    setValue: (body) => writeExpression({ element, owner: owner(element), key: expressionKey, body, modeling, moddle }),
  });
}

// ------------------------------------------------------------------ flows

function DefaultFlowEntry({ element, id }) {
  const { modeling } = services();
  const bo = getBusinessObject(element);
  return h(CheckboxEntry, {
    element, id, label: "默认路径（其他条件都不满足时走此路径，无需条件）",
    getValue: () => Boolean(element.source && getBusinessObject(element.source).default === bo),
    setValue: (checked) => modeling.updateProperties(element.source, { default: checked ? bo : undefined }),
  });
}

function flowGroups(element) {
  const source = element.source && getBusinessObject(element.source);
  if (!source || !isAny(source, ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:Activity"])) return [];
  const isDefault = source.default === getBusinessObject(element);
  const entries = [];
  if (is(source, "bpmn:Gateway")) {
    entries.push({ id: "oneseal-default-flow", component: DefaultFlowEntry, isEdited: isCheckboxEntryEdited });
  }
  if (!isDefault) {
    entries.push({
      id: "oneseal-condition", component: ExpressionEntry, isEdited: isTextAreaEntryEdited, label: "流转条件",
      hint: "受限表达式，如 `decision == \"approve\"`、`site_inspection == True`",
      owner: getBusinessObject, expressionKey: "conditionExpression",
    });
  }
  return [{ id: "oneseal-flow", label: "流转条件", entries }];
}

// ------------------------------------------------------------------ user tasks and end events

function taskGroups(vocabulary) {
  const validateWith = (pattern, message) => (value) => (value && !pattern.test(value.trim()) ? message : null);
  return [{
    id: "oneseal-task", label: "办理设置", entries: [
      { id: "oneseal-stage", component: PropertySelect, isEdited: isSelectEntryEdited, property: "stage", label: "办件阶段",
        description: "任务打开时办件所处的阶段", choices: () => options(vocabulary.stages) },
      { id: "oneseal-decisions", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "decisions",
        label: "决定选项", description: "值:显示文字，逗号分隔，如 `approve:同意,reject:不同意`",
        validate: validateWith(PAIRS, "格式应为“值:显示文字”，值为小写英文标识，逗号分隔") },
      { id: "oneseal-results", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "results",
        label: "办理结果", description: `决定:结果，如 \`reject:rejected\`；结果可为 ${vocabulary.results.map(([v, l]) => `\`${v}\`（${l}）`).join("、")}`,
        validate: validateWith(PAIRS, "格式应为“决定:结果”，逗号分隔") },
      { id: "oneseal-opinion", component: PropertySelect, isEdited: isSelectEntryEdited, property: "opinion", label: "办理意见",
        choices: () => [{ value: "", label: "（不设置：选填）" }, { value: "required", label: "必填" }, { value: "optional", label: "选填" }] },
      { id: "oneseal-fields", component: PropertyText, isEdited: isTextAreaEntryEdited, property: "fields", rows: 2,
        label: "表单字段", description: "名称:类型，分号分隔，如 `site_visit:bool;visit_date:date`；类型为 `text`（文本）、`bool`（是否）、`int`（整数）、`date`（日期）、`enum(甲|乙)`（选项）",
        validate: (value) => (value && value.split(";").map((p) => p.trim()).filter(Boolean).some((p) => !FIELD.test(p))
          ? "每个字段应为“名称:类型”，名称为小写英文标识，类型见下方说明" : null) },
      { id: "oneseal-department", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "department_from",
        label: "承办部门（变量）", description: "不填：办件所属部门；多实例逐项办理时填逐项变量，如 `review_department`",
        validate: validateWith(PATH, "应为小写英文标识，或“变量.键”") },
      { id: "oneseal-suspends", component: PropertySelect, isEdited: isSelectEntryEdited, property: "suspends_clock",
        label: "暂停计时（法定不计时）", description: "任务办理期间不计入承诺时限",
        choices: () => options(vocabulary.suspensions, "（不暂停）") },
      { id: "oneseal-certificate", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "certificate",
        label: "证照动作", description: `${vocabulary.certificates.map(([v, l]) => `\`${v}\`（${l}）`).join("、")}；或按决定，如 \`reject:refusal\`` },
      { id: "oneseal-item", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "item_from",
        label: "所办事项（变量）", validate: validateWith(PATH, "应为小写英文标识，或“变量.键”") },
      { id: "oneseal-project-stage", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "project_stage_from",
        label: "项目阶段（变量）", validate: validateWith(PATH, "应为小写英文标识，或“变量.键”") },
      { id: "oneseal-opens-case", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "opens_case",
        label: "决定后另立办件", description: "决定:流程编号，如 `fail:revocation`",
        validate: validateWith(PAIRS, "格式应为“决定:流程编号”，逗号分隔") },
    ],
  }];
}

function endGroups(vocabulary) {
  return [{ id: "oneseal-end", label: "办结结果", entries: [
    { id: "oneseal-result", component: PropertySelect, isEdited: isSelectEntryEdited, property: "result", label: "到达此处时的办理结果",
      choices: () => options(vocabulary.results, "（不设置：由任务决定）") },
  ] }];
}

// ------------------------------------------------------------------ multi-instance

function loopOf(element) {
  const loop = getBusinessObject(element).loopCharacteristics;
  return loop && is(loop, "bpmn:MultiInstanceLoopCharacteristics") ? loop : null;
}

function MultiInstanceToggle({ element, id }) {
  const { modeling, moddle } = services();
  return h(CheckboxEntry, {
    element, id, label: "按集合逐项并行办理（多实例）",
    getValue: () => Boolean(loopOf(element)),
    setValue: (checked) => modeling.updateProperties(element, {
      loopCharacteristics: checked ? moddle.create("bpmn:MultiInstanceLoopCharacteristics", { isSequential: false }) : undefined,
    }),
  });
}

function CollectionEntry({ element, id, label, description, refKey }) {
  const { modeling, moddle, debounce } = services();
  return h(TextFieldEntry, {
    element, id, label, description: note(description), debounce,
    validate: (value) => (value && !NAME.test(value.trim()) ? "应为小写英文标识" : null),
    getValue: () => (loopOf(element).get(refKey) || {}).id || "",
    setValue: (value) => {
      const name = (value || "").trim();
      modeling.updateModdleProperties(element, loopOf(element), {
        [refKey]: NAME.test(name) ? variableRef(moddle, `bpmn:${refKey}`, name) : undefined,
      });
    },
  });
}

function ItemEntry({ element, id, label, description, itemKey }) {
  const { modeling, moddle, debounce } = services();
  return h(TextFieldEntry, {
    element, id, label, description: note(description), debounce,
    validate: (value) => {
      const name = (value || "").trim();
      if (name && !NAME.test(name)) return "应为小写英文标识";
      const current = loopOf(element).get(itemKey);
      if (name && moddle.ids.assigned(name) && (!current || current.id !== name)) return "此名称已被图中其他元素的编号占用";
      return null;
    },
    getValue: () => (loopOf(element).get(itemKey) || {}).id || "",
    setValue: (value) => {
      const name = (value || "").trim();
      const loop = loopOf(element);
      const current = loop.get(itemKey);
      if (!NAME.test(name) || (moddle.ids.assigned(name) && (!current || current.id !== name))) {
        if (!name && current) modeling.updateModdleProperties(element, loop, { [itemKey]: undefined });
        return;
      }
      if (current) {
        modeling.updateModdleProperties(element, current, { id: name });
      } else {
        const item = moddle.create(itemKey === "inputDataItem" ? "bpmn:DataInput" : "bpmn:DataOutput", { id: name });
        item.$parent = loop;
        modeling.updateModdleProperties(element, loop, { [itemKey]: item });
      }
    },
  });
}

function multiInstanceGroups(element) {
  const entries = [{ id: "oneseal-multi", component: MultiInstanceToggle, isEdited: isCheckboxEntryEdited }];
  if (loopOf(element)) {
    entries.push(
      { id: "oneseal-multi-input", component: CollectionEntry, isEdited: isTextFieldEntryEdited, refKey: "loopDataInputRef",
        label: "集合变量", description: "逐项办理的列表，如 `review_departments`" },
      { id: "oneseal-multi-item", component: ItemEntry, isEdited: isTextFieldEntryEdited, itemKey: "inputDataItem",
        label: "逐项变量", description: "每一项在任务中的名称，如 `review_department`（承办部门可引用它）" },
      { id: "oneseal-multi-output", component: CollectionEntry, isEdited: isTextFieldEntryEdited, refKey: "loopDataOutputRef",
        label: "结果集合", description: "收集各项办理结果的列表，如 `reviews`" },
      { id: "oneseal-multi-output-item", component: ItemEntry, isEdited: isTextFieldEntryEdited, itemKey: "outputDataItem",
        label: "每项结果", description: "每一项办理结果的名称，如 `review_result`" },
      { id: "oneseal-multi-completion", component: ExpressionEntry, isEdited: isTextAreaEntryEdited, label: "提前完成条件",
        hint: "满足时不再等待其余各项，如 `parallel_settled(reviews, parallel_mode, parallel_ratio, len(review_departments))`",
        owner: loopOf, expressionKey: "completionCondition" },
    );
  }
  return [{ id: "oneseal-multi-instance", label: "多实例", entries }];
}

// ------------------------------------------------------------------ call activities

function CalledProcessEntry({ element, id }) {
  const { modeling } = services();
  const { vocabulary } = useService("config.oneseal");
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label: "调用的流程", description: "已部署的流程；子流程办结后回到此处继续",
    getValue: () => bo.calledElement || "",
    setValue: (value) => modeling.updateProperties(element, { calledElement: value || undefined }),
    getOptions: () => {
      const known = vocabulary.processes.map(([value, name]) => ({ value, label: name }));
      const current = bo.calledElement && !vocabulary.processes.some(([v]) => v === bo.calledElement)
        ? [{ value: bo.calledElement, label: "未部署的流程（保存后校验会指出）" }] : [];
      return [{ value: "", label: "（未指定）" }, ...current, ...known];
    },
  });
}

// ------------------------------------------------------------------ timers

const TIMER_KINDS = [["timeDuration", "期限（到达后经过一段时间）"], ["timeDate", "日期时间（到达指定时刻）"]];

function timerOf(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
}

function timerKind(definition) {
  return ["timeDuration", "timeDate", "timeCycle"].find((k) => definition.get(k)) || "timeDuration";
}

function TimerKindEntry({ element, id }) {
  const { modeling } = services();
  return h(SelectEntry, {
    element, id, label: "定时方式",
    getValue: () => timerKind(timerOf(element)),
    setValue: (kind) => {
      const definition = timerOf(element);
      const old = timerKind(definition);
      if (kind === old) return;
      modeling.updateModdleProperties(element, definition, { [old]: undefined, [kind]: definition.get(old) });
    },
    getOptions: () => [...TIMER_KINDS, ...(timerKind(timerOf(element)) === "timeCycle" ? [["timeCycle", "循环（引擎不支持）"]] : [])]
      .map(([value, label]) => ({ value, label })),
  });
}

function TimerValueEntry({ element, id }) {
  const { modeling, moddle, debounce } = services();
  const definition = timerOf(element);
  const kind = timerKind(definition);
  const body = expressionBody(definition, kind);
  const result = useExpressionCheck(body);
  const literal = body.match(LITERAL);
  return h(TextFieldEntry, {
    element, id, label: kind === "timeDate" ? "日期时间" : "期限", debounce,
    description: checkNote(result, "如 `P30D`（30 天）、`PT48H`（48 小时）、`2026-12-31T17:00:00`；也可写表达式"),
    getValue: () => (literal ? literal[1] : body),
    setValue: (value) => {
      const text = (value || "").trim();
      writeExpression({ element, owner: timerOf(element), key: timerKind(timerOf(element)),
        body: TIME_TEXT.test(text) ? `"${text}"` : text, modeling, moddle });
    },
  });
}

// ------------------------------------------------------------------ lanes and the process

function LaneRoleEntry({ element, id }) {
  const { modeling } = services();
  const { vocabulary } = useService("config.oneseal");
  const bo = getBusinessObject(element);
  return h(SelectEntry, {
    element, id, label: "办理角色", description: "泳道名称决定由哪一角色办理其中的用户任务",
    getValue: () => (vocabulary.lanes.some(([lane]) => lane === bo.name) ? bo.name : ""),
    setValue: (value) => { if (value) modeling.updateLabel(element, value); },
    getOptions: () => [{ value: "", label: "（未对应任何角色）" },
      ...vocabulary.lanes.map(([lane, role]) => ({ value: lane, label: `${lane}（${role}）` }))],
  });
}

function processOf(element) {
  const bo = getBusinessObject(element);
  return is(bo, "bpmn:Participant") ? bo.processRef : bo;
}

function ProcessNameEntry({ element, id }) {
  const { modeling, debounce } = services();
  return h(TextFieldEntry, {
    element, id, label: "流程名称", description: "部署和办件中显示的名称", debounce,
    getValue: () => (processOf(element) || {}).name || "",
    setValue: (value) => modeling.updateModdleProperties(element, processOf(element), { name: value || undefined }),
  });
}

function processGroups(element) {
  if (!processOf(element)) return [];
  return [{ id: "oneseal-process", label: "流程", entries: [
    { id: "oneseal-process-name", component: ProcessNameEntry, isEdited: isTextFieldEntryEdited },
    { id: "oneseal-items", component: PropertyText, isEdited: isTextFieldEntryEdited, property: "items", owner: processOf,
      label: "适用事项", description: "本流程办理的事项编码，逗号分隔，如 `XK-0001, XK-0002`" },
  ] }];
}

// ------------------------------------------------------------------ the provider

function OneSealPropertiesProvider(propertiesPanel, config, translate) {
  this._vocabulary = config.vocabulary;
  this._translate = translate;
  propertiesPanel.registerProvider(500, this);
}
OneSealPropertiesProvider.$inject = ["propertiesPanel", "config.oneseal", "translate"];

OneSealPropertiesProvider.prototype.getGroups = function getGroups(element) {
  return () => {
    const vocabulary = this._vocabulary;
    const bo = getBusinessObject(element);
    const general = { id: "oneseal-general", label: "基本信息", entries: [
      { id: "oneseal-name", component: NameEntry, isEdited: isTextFieldEntryEdited },
      { id: "oneseal-id", component: IdEntry, isEdited: () => false },
    ] };
    let groups = [general];
    if (is(bo, "bpmn:Process") || is(bo, "bpmn:Participant")) groups = groups.concat(processGroups(element));
    if (is(bo, "bpmn:Lane")) {
      general.entries.push({ id: "oneseal-lane-role", component: LaneRoleEntry, isEdited: isSelectEntryEdited });
    }
    if (is(bo, "bpmn:UserTask")) groups = groups.concat(taskGroups(vocabulary));
    if (is(bo, "bpmn:CallActivity")) {
      groups.push({ id: "oneseal-call", label: "调用流程", entries: [
        { id: "oneseal-called", component: CalledProcessEntry, isEdited: isSelectEntryEdited }] });
    }
    if (isAny(bo, ["bpmn:UserTask", "bpmn:CallActivity", "bpmn:ScriptTask"])) groups = groups.concat(multiInstanceGroups(element));
    if (is(bo, "bpmn:SequenceFlow")) groups = groups.concat(flowGroups(element));
    if (is(bo, "bpmn:EndEvent")) groups = groups.concat(endGroups(vocabulary));
    if (is(bo, "bpmn:Event") && timerOf(element)) {
      groups.push({ id: "oneseal-timer", label: "定时", entries: [
        { id: "oneseal-timer-kind", component: TimerKindEntry, isEdited: isSelectEntryEdited },
        { id: "oneseal-timer-value", component: TimerValueEntry, isEdited: isTextFieldEntryEdited }] });
    }
    return groups.map((group) => ({ component: Group, translate: this._translate, shouldOpen: true, ...group,
      entries: group.entries.map((entry) => ({ ...entry, element })) }));
  };
};

export default { __init__: ["onesealPropertiesProvider"], onesealPropertiesProvider: ["type", OneSealPropertiesProvider] };
