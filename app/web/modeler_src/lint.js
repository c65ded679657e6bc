// Lint as you draw: bpmnlint through bpmn-js-bpmnlint, with our own rules for what OneSeal's
// engine runs and a few of bpmnlint's own, their messages in Chinese. The resolver hands the
// linter these rule modules directly (no bpmnlint packing step).
import startEventRequired from "bpmnlint/rules/start-event-required";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";
import { is, isAny } from "bpmnlint-utils";

/** bpmnlint's messages, as the designer reads them. */
const MESSAGES = {
  "Process is missing start event": "流程缺少开始事件",
  "Sub process is missing start event": "子流程缺少开始事件",
  "Process is missing end event": "流程缺少结束事件",
  "Sub process is missing end event": "子流程缺少结束事件",
  "Element is not connected": "元素没有连接任何顺序流",
  "SequenceFlow is a duplicate": "重复的顺序流",
  "Duplicate outgoing sequence flows": "有重复的流出顺序流",
  "Duplicate incoming sequence flows": "有重复的流入顺序流",
  "Flow splits implicitly": "流程在此隐式分支：请用网关分支",
  "Gateway is superfluous. It only has one source and target.": "多余的网关：只有一条流入和一条流出",
};

function inChinese(factory) {
  return (config) => {
    const rule = factory(config);
    const wrap = (check) => (node, reporter) => check(node, {
      report: (id, message, ...rest) => reporter.report(id, MESSAGES[message] || "流程图存在结构问题", ...rest),
    });
    const check = typeof rule.check === "function" ? wrap(rule.check)
      : { enter: rule.check.enter && wrap(rule.check.enter), leave: rule.check.leave && wrap(rule.check.leave) };
    return { ...rule, check, meta: undefined };
  };
}

function label(node) {
  return node.name ? `“${node.name}”` : "";
}

// ------------------------------------------------------------------ our rules

/** Each lane's name is a role (综合窗口…): a user task must sit in one, or nobody gets it. */

function lanesOf(process) {
  const found = [];
  const visit = (laneSet) => (laneSet && laneSet.lanes ? laneSet.lanes : []).forEach((lane) => {
    found.push(lane);
    visit(lane.childLaneSet);
  });
  (process.laneSets || []).forEach(visit);
  return found;
}

function processOf(node) {
  let owner = node.$parent;
  while (owner && !is(owner, "bpmn:Process")) owner = owner.$parent;
  return owner;
}

function userTaskInLane(config) {
  const ROLE_LANES = new Set((config && config.lanes) || []);
  return {
    check(node, reporter) {
      const leaf = !(node.childLaneSet && node.childLaneSet.lanes && node.childLaneSet.lanes.length);
      if (is(node, "bpmn:Lane") && leaf && !ROLE_LANES.has((node.name || "").trim())) {
        reporter.report(node.id, `泳道${label(node) || "（未命名）"}未对应任何角色：泳道名称应为${[...ROLE_LANES].join("、")}之一`);
      }
      if (!is(node, "bpmn:UserTask")) return;
      const process = processOf(node);
      if (!process) return;
      const inLane = lanesOf(process).some((lane) => (lane.flowNodeRef || []).includes(node)
        || (lane.flowNodeRef || []).some((ref) => ref === node || (is(ref, "bpmn:SubProcess") && isInside(node, ref))));
      if (!inLane) {
        reporter.report(node.id, `用户任务${label(node)}不在任何泳道内：请把它放进对应办理角色的泳道`);
      }
    },
  };
}

function isInside(node, container) {
  for (let owner = node.$parent; owner; owner = owner.$parent) if (owner === container) return true;
  return false;
}

/** A diverging exclusive (or inclusive) gateway chooses by condition: every outgoing flow but
 * the default one needs a condition, or the engine cannot choose. */
function gatewayConditions() {
  return {
    check(node, reporter) {
      if (!isAny(node, ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"])) return;
      const outgoing = node.outgoing || [];
      if (outgoing.length < 2) return;
      outgoing.forEach((flow) => {
        const condition = flow.conditionExpression;
        if (flow !== node.default && !(condition && (condition.body || "").trim())) {
          reporter.report(flow.id, `从网关${label(node)}流出的路径${label(flow)}缺少流转条件：请在属性面板填写条件，或设为默认路径`);
        }
      });
    },
  };
}

/** What the engine runs; anything else in a process is refused at deployment or does nothing. */
const SUPPORTED = ["bpmn:StartEvent", "bpmn:EndEvent", "bpmn:UserTask", "bpmn:ScriptTask", "bpmn:CallActivity",
  "bpmn:SubProcess", "bpmn:ExclusiveGateway", "bpmn:ParallelGateway", "bpmn:InclusiveGateway", "bpmn:BoundaryEvent",
  "bpmn:IntermediateCatchEvent", "bpmn:IntermediateThrowEvent", "bpmn:SequenceFlow", "bpmn:DataObject", "bpmn:DataObjectReference", "bpmn:Task"];
const TYPE_NAMES = {
  "bpmn:ServiceTask": "服务任务", "bpmn:SendTask": "发送任务", "bpmn:ReceiveTask": "接收任务",
  "bpmn:ManualTask": "手工任务", "bpmn:BusinessRuleTask": "业务规则任务", "bpmn:ComplexGateway": "复杂网关",
  "bpmn:EventBasedGateway": "事件网关", "bpmn:Transaction": "事务子流程",
  "bpmn:AdHocSubProcess": "自由子流程", "bpmn:DataStoreReference": "数据存储",
};
const EVENT_KINDS = { "bpmn:TimerEventDefinition": null, "bpmn:TerminateEventDefinition": null };

function supportedElements() {
  return {
    check(node, reporter) {
      if (is(node, "bpmn:FlowElement") && (!isAny(node, SUPPORTED) || isAny(node, Object.keys(TYPE_NAMES)))) {
        const type = Object.keys(TYPE_NAMES).find((t) => is(node, t));
        reporter.report(node.id, `引擎不支持${type ? TYPE_NAMES[type] : "此类元素"}${label(node)}：请改用用户任务、脚本任务、调用活动或网关`);
        return;
      }
      if (isAny(node, ["bpmn:Event"])) {
        const unsupported = (node.eventDefinitions || []).filter((d) => !(d.$type in EVENT_KINDS));
        if (unsupported.length) {
          reporter.report(node.id, `引擎只支持定时事件和终止结束事件，事件${label(node)}的类型不受支持`);
        } else if ((node.eventDefinitions || []).some((d) => d.timeCycle)) {
          reporter.report(node.id, `定时事件${label(node)}使用了循环定时，引擎不支持：请改用期限或日期时间`);
        }
      }
    },
  };
}

/** A plain task runs as nothing: nobody gets it and nothing is computed (a warning: it may be a draft). */
function plainTask() {
  return {
    check(node, reporter) {
      if (node.$type === "bpmn:Task") {
        reporter.report(node.id, `普通任务${label(node)}不会分派给任何人：请改为用户任务（人工办理）或脚本任务（自动处理）`);
      }
    },
  };
}

const RULES = {
  "bpmnlint/start-event-required": inChinese(startEventRequired),
  "bpmnlint/end-event-required": inChinese(endEventRequired),
  "bpmnlint/no-disconnected": inChinese(noDisconnected),
  "bpmnlint/no-duplicate-sequence-flows": inChinese(noDuplicateSequenceFlows),
  "bpmnlint/no-implicit-split": inChinese(noImplicitSplit),
  "bpmnlint/superfluous-gateway": inChinese(superfluousGateway),
  "bpmnlint-plugin-oneseal/user-task-in-lane": userTaskInLane,
  "bpmnlint-plugin-oneseal/gateway-conditions": gatewayConditions,
  "bpmnlint-plugin-oneseal/supported-elements": supportedElements,
  "bpmnlint-plugin-oneseal/plain-task": plainTask,
};

/** The linter's configuration; ``lanes`` are the lane names that stand for a role. */
export const lintConfig = (lanes) => ({
  config: {
    rules: {
      "start-event-required": "error",
      "end-event-required": "error",
      "no-disconnected": "error",
      "no-duplicate-sequence-flows": "warn",
      "no-implicit-split": "warn",
      "superfluous-gateway": "warn",
      "oneseal/user-task-in-lane": ["error", { lanes }],
      "oneseal/gateway-conditions": "error",
      "oneseal/supported-elements": "error",
      "oneseal/plain-task": "warn",
    },
  },
  resolver: {
    resolveRule(pkg, ruleName) {
      const rule = RULES[`${pkg}/${ruleName}`];
      if (!rule) throw new Error(`unknown rule ${pkg}/${ruleName}`);
      return rule;
    },
    resolveConfig() {
      return null;
    },
  },
});
