// Reading and writing the XML the engine parses: spiffworkflow:property entries (task, end event
// and process properties), formal expressions (conditions, completion conditions, timer values).
// Every write is one command on the command stack, so one undo takes it back.
import { is } from "bpmn-js/lib/util/ModelUtil";

function propertiesOf(owner) {
  const extensions = owner.get("extensionElements");
  return extensions ? extensions.get("values").find((v) => is(v, "spiffworkflow:Properties")) : undefined;
}

export function readProperty(owner, name) {
  const properties = propertiesOf(owner);
  const found = properties && properties.get("values").find((p) => p.name === name);
  return found ? found.value || "" : "";
}

/** Set the engine property ``name`` of ``owner`` (the element's business object or its process);
 * an empty value removes it. */
export function writeProperty({ element, owner, name, value, modeling, moddle }) {
  const text = (value || "").trim();
  const extensions = owner.get("extensionElements");
  const properties = propertiesOf(owner);
  const existing = properties && properties.get("values").find((p) => p.name === name);
  if (existing) {
    if (existing.value === text) return; // the panel re-applies a field when it leaves it: no change, no command
    if (text) modeling.updateModdleProperties(element, existing, { value: text });
    else modeling.updateModdleProperties(element, properties, { values: properties.get("values").filter((p) => p !== existing) });
    return;
  }
  if (!text) return;
  const property = moddle.create("spiffworkflow:Property", { name, value: text });
  if (properties) {
    property.$parent = properties;
    modeling.updateModdleProperties(element, properties, { values: [...properties.get("values"), property] });
    return;
  }
  const created = moddle.create("spiffworkflow:Properties", { values: [property] });
  property.$parent = created;
  if (extensions) {
    created.$parent = extensions;
    modeling.updateModdleProperties(element, extensions, { values: [...extensions.get("values"), created] });
    return;
  }
  const wrapper = moddle.create("bpmn:ExtensionElements", { values: [created] });
  created.$parent = wrapper;
  wrapper.$parent = owner;
  modeling.updateModdleProperties(element, owner, { extensionElements: wrapper });
}

/** Set ``owner[key]`` to a formal expression with ``body``; an empty body removes it. */
export function writeExpression({ element, owner, key, body, modeling, moddle }) {
  const text = (body || "").trim();
  const existing = owner.get(key);
  if (!text) {
    if (existing) modeling.updateModdleProperties(element, owner, { [key]: undefined });
    return;
  }
  if (existing) {
    if (existing.body !== text) modeling.updateModdleProperties(element, existing, { body: text });
    return;
  }
  const expression = moddle.create("bpmn:FormalExpression", { body: text });
  expression.$parent = owner;
  modeling.updateModdleProperties(element, owner, { [key]: expression });
}

export function expressionBody(owner, key) {
  const expression = owner && owner.get(key);
  return expression ? expression.body || "" : "";
}
