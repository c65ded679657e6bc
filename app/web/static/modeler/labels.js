// Chinese for what bpmn-js, its properties panel and its linter ask to translate and the
// community translation (bpmn-js-i18n) does not have: every label a designer may see.
export const EXTRA_LABELS = {
  "Align elements": "对齐元素",
  "Change element": "更改元素",
  "Distribute elements horizontally": "水平分布元素",
  "Distribute elements vertically": "垂直分布元素",
  "Toggle non-interrupting": "切换为非中断",
  // the properties panel
  "Select an element to edit its properties.": "选中一个元素，在此编辑它的属性。",
  "Multiple elements are selected. Select a single element to edit its properties.": "选中了多个元素：请只选一个元素来编辑属性。",
  "<empty>": "（空）",
  "Section contains edits": "本节有已填写的内容",
  "Section contains an error": "本节有错误",
  "Toggle section": "展开或收起本节",
  "Open documentation": "打开说明",
  "Create new list item": "新增一项",
  "Delete item": "删除此项",
  "Toggle list item": "展开或收起此项",
  "Create": "新增",
  // the linter
  "{errors} Errors, {warnings} Warnings": "{errors} 个错误，{warnings} 个警告",
  "No Issues": "没有问题",
  "Toggle linting overlays": "显示或隐藏检查结果",
  "Issues for child elements": "下级元素的问题",
};

// The panel's header names the element's type ("User Task", "Timer Boundary Event (Non Interrupting)").
const TYPES = {
  "Task": "任务", "User Task": "用户任务", "Script Task": "脚本任务", "Service Task": "服务任务", "Send Task": "发送任务",
  "Receive Task": "接收任务", "Manual Task": "手工任务", "Business Rule Task": "业务规则任务", "Call Activity": "调用活动",
  "Collapsed Sub Process": "子流程（折叠）", "Expanded Sub Process": "子流程（展开）", "Event Sub Process": "事件子流程",
  "Sub Process": "子流程", "Transaction": "事务", "Ad Hoc Sub Process": "自由子流程",
  "Start Event": "开始事件", "End Event": "结束事件", "Boundary Event": "边界事件",
  "Intermediate Catch Event": "中间捕获事件", "Intermediate Throw Event": "中间抛出事件",
  "Exclusive Gateway": "排他网关", "Parallel Gateway": "并行网关", "Inclusive Gateway": "包容网关",
  "Complex Gateway": "复杂网关", "Event Based Gateway": "事件网关",
  "Sequence Flow": "顺序流", "Default Flow": "默认路径", "Conditional Flow": "条件路径", "Message Flow": "消息流",
  "Lane": "泳道", "Participant": "池（参与者）", "Process": "流程", "Collaboration": "协作",
  "Text Annotation": "文本注释", "Association": "关联", "Group": "分组",
  "Data Object Reference": "数据对象", "Data Store Reference": "数据存储", "Data Input": "数据输入", "Data Output": "数据输出",
};
const EVENT_KINDS = {
  "Timer": "定时", "Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级", "Conditional": "条件",
  "Link": "链接", "Compensate": "补偿", "Terminate": "终止", "Cancel": "取消",
};

/** A type label in Chinese, or null when ``text`` is not one. */
export function typeLabel(text) {
  const plain = text.replace(/ \(Non Interrupting\)$/, "");
  const suffix = plain === text ? "" : "（非中断）";
  if (TYPES[plain]) return TYPES[plain] + suffix;
  const [kind, ...rest] = plain.split(" ");
  const base = TYPES[rest.join(" ")];
  return EVENT_KINDS[kind] && base ? `${EVENT_KINDS[kind]}${base}${suffix}` : null;
}
