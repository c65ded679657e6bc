// The designers' modeler, bundled by esbuild (`npm ci` runs it: package.json "postinstall") into
// node_modules/.oneseal/modeler.js and served from there like the other front-end packages:
// bpmn-js, the properties panel with our own provider for what the engine reads, lint as you
// draw with our own rules, and the diagram's engine properties described by our moddle file.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";

import engineDescriptor from "./spiffworkflow.json";
import { lintConfig } from "./lint.js";
import propertiesModule from "./properties.js";
import keepVariableRefsModule from "./variable_refs.js";
import { fitClearOfPalette } from "./view.js";

/**
 * A modeler for the container, speaking Chinese through ``translate`` (a diagram-js module),
 * with the engine's vocabulary and an expression checker for the panel (``oneseal`` config).
 */
function createModeler({ container, panel, translate, oneseal }) {
  return new Modeler({
    container,
    propertiesPanel: { parent: panel },
    linting: { bpmnlint: lintConfig(oneseal.vocabulary.lanes.map(([lane]) => lane)), active: true },
    oneseal,
    moddleExtensions: { spiffworkflow: engineDescriptor },
    additionalModules: [translate, keepVariableRefsModule, BpmnPropertiesPanelModule, propertiesModule, lintModule],
  });
}

window.OneSealModeler = { createModeler, fitClearOfPalette };
