// The bundle `make assets` builds with esbuild into web/static/vendor/diagram-editor/: bpmn-js's modeler
// with the properties panel, the BPMN properties and ours for the `spiffworkflow:` extensions, and their
// styles. editor.mjs imports `createModeler` from it.
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";

import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";

import descriptor from "../spiffworkflow.json";
import SpiffworkflowPropertiesModule from "./spiffworkflow-properties.mjs";

// bpmn-js's own words (panel headings, labels, hints) in the page's language: `words` maps each English
// template to the page's translation; a template without one stays in English.
function translator(words) {
  return (template, replacements = {}) =>
    (words[template] || template).replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`);
}

/**
 * A modeler drawing in `container`, its properties panel in `propertiesParent`.
 * `properties` is what our panel groups offer and say: {roles, forms, uiForms, handlers, text}.
 */
export function createModeler({ container, propertiesParent, properties, words = {} }) {
  return new Modeler({
    container,
    // Name and id open at once: the panel's own default is every section closed.
    propertiesPanel: { parent: propertiesParent, layout: { groups: { general: { open: true } } } },
    spiffworkflowProperties: properties,
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      SpiffworkflowPropertiesModule,
      { translate: ["value", translator(words)] },
    ],
    moddleExtensions: { spiffworkflow: descriptor },
  });
}
