// The engine names a multi-instance task's collections by variable: <loopDataInputRef>reviews
// </loopDataInputRef> holds a task-data variable, not the id of a data input. bpmn-moddle reads
// it as a reference, finds no element with that id and drops it, so saving would silently lose
// the collection. After parsing, each such name is kept as a detached placeholder whose id is
// the variable's name: it is written back exactly as it was read.
const VARIABLE_REFS = {
  "bpmn:loopDataInputRef": "bpmn:DataInput",
  "bpmn:loopDataOutputRef": "bpmn:DataOutput",
};

function KeepVariableRefs(eventBus, moddle) {
  eventBus.on("import.parse.complete", (event) => {
    const warnings = event.warnings || [];
    const kept = warnings.filter((warning) => {
      const type = VARIABLE_REFS[warning.property];
      if (!type || !warning.element || !warning.value) return true;
      warning.element.set(warning.property, moddle.create(type, { id: warning.value }));
      return false; // handled: not a warning about the diagram
    });
    warnings.splice(0, warnings.length, ...kept);
  });
}
KeepVariableRefs.$inject = ["eventBus", "moddle"];

/** A placeholder naming a task-data variable, for the panel's collection fields. */
export function variableRef(moddle, property, name) {
  return moddle.create(VARIABLE_REFS[property], { id: name });
}

export default { __init__: ["keepVariableRefs"], keepVariableRefs: ["type", KeepVariableRefs] };
