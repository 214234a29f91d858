// The properties panel groups for what the engine reads from a diagram: a lane's role (its name), a user
// task's form, form layout and due date, a service task's handler and result variable. They write the
// `spiffworkflow:` extension elements exactly as the diagrams in bpmn/ have them, so what is drawn here
// validates and runs like those.
import {
  SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { is } from "bpmn-js/lib/util/ModelUtil";

// Below the BPMN provider (priority 1000), so our groups are added to its General, Documentation, ...
const PRIORITY = 500;

// --- reading and writing the extension elements ----------------------------------------------------

function extension(businessObject, type) {
  const extensions = businessObject.get("extensionElements");
  return extensions ? (extensions.get("values") || []).find((value) => is(value, type)) : undefined;
}

function spiffProperty(businessObject, name) {
  const properties = extension(businessObject, "spiffworkflow:Properties");
  const found = properties && properties.get("properties").find((p) => p.name === name);
  return found ? found.value : "";
}

// Commands that give the element an extension element of `type` (created with `initial` if it has none
// yet), and that extension element, so the caller can add its own change to the same undo step.
function ensureExtension(element, type, initial, moddle) {
  const businessObject = element.businessObject;
  const commands = [];
  let extensions = businessObject.get("extensionElements");
  if (!extensions) {
    extensions = moddle.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = businessObject;
    commands.push(update(element, businessObject, { extensionElements: extensions }));
  }
  let found = extension(businessObject, type);
  if (!found) {
    found = moddle.create(type, initial);
    found.$parent = extensions;
    commands.push(update(element, extensions, { values: [...extensions.get("values"), found] }));
  }
  return { commands, found };
}

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

// Set (or, with an empty value, remove) a <spiffworkflow:property>, keeping the others in their order.
function setSpiffProperty(element, name, value, { moddle, commandStack }) {
  if (!value && !spiffProperty(element.businessObject, name)) return;  // nothing to remove: add no empty elements
  const { commands, found: properties } =
    ensureExtension(element, "spiffworkflow:Properties", { properties: [] }, moddle);
  const list = properties.get("properties");
  const existing = list.find((p) => p.name === name);
  if (existing && value) {
    commands.push(update(element, existing, { value }));
  } else if (existing) {
    commands.push(update(element, properties, { properties: list.filter((p) => p !== existing) }));
  } else if (value) {
    const property = moddle.create("spiffworkflow:Property", { name, value });
    property.$parent = properties;
    commands.push(update(element, properties, { properties: [...list, property] }));
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

// Set an attribute (`id` is the handler, `resultVariable`) of <spiffworkflow:serviceTaskOperator>.
function setOperator(element, attribute, value, { moddle, commandStack }) {
  if (!value && !operator(element)[attribute]) return;
  const { commands, found } = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", {}, moddle);
  commands.push(update(element, found, { [attribute]: value || undefined }));
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

// The role a lane's name maps to, as the engine matches it (engine/catalogue.py, role_for_lane).
function laneRole(name, roles) {
  const wanted = (name || "").trim().toLowerCase();
  return roles.find((role) => role.toLowerCase() === wanted) || "";
}

// --- the entries ------------------------------------------------------------------------------------

// A select of the known names, with a first "none" choice and, so that nothing is lost silently, the
// current value when it is not one of them (the check then says what is wrong with it).
function choices(known, current, text, noneLabel, noneDisabled = false) {
  const options = [{ value: "", label: noneLabel, disabled: noneDisabled }];
  if (current && !known.includes(current)) {
    options.push({ value: current, label: text.unknown.replace("{name}", current) });
  }
  return [...options, ...known.map((name) => ({ value: name, label: name }))];
}

function RoleEntry({ element, id, options: { roles, text } }) {
  const modeling = useService("modeling");
  return SelectEntry({
    element, id, label: text.role, description: text.roleHint,
    getValue: () => laneRole(element.businessObject.name, roles),
    // The lane's name is what maps it to a role; a lane without one can only be renamed to one.
    setValue: (value) => value && modeling.updateProperties(element, { name: value }),
    getOptions: () => choices(roles, "", text, text.chooseRole, true),
  });
}

function PropertySelectEntry({ element, id, property, label, known, options: { text } }) {
  const services = { moddle: useService("moddle"), commandStack: useService("commandStack") };
  const current = spiffProperty(element.businessObject, property);
  return SelectEntry({
    element, id, label,
    getValue: () => spiffProperty(element.businessObject, property),
    setValue: (value) => setSpiffProperty(element, property, value, services),
    getOptions: () => choices(known, current, text, text.none),
  });
}

function DueDateEntry({ element, id, options: { text } }) {
  const services = { moddle: useService("moddle"), commandStack: useService("commandStack") };
  return TextAreaEntry({
    element, id, label: text.dueAt, description: text.dueAtHint, monospace: true, autoResize: true,
    debounce: useService("debounceInput"),
    getValue: () => spiffProperty(element.businessObject, "dueAt"),
    setValue: (value) => setSpiffProperty(element, "dueAt", (value || "").trim(), services),
  });
}

function operator(element) {
  return extension(element.businessObject, "spiffworkflow:ServiceTaskOperator") || {};
}

function HandlerEntry({ element, id, options: { handlers, text } }) {
  const services = { moddle: useService("moddle"), commandStack: useService("commandStack") };
  return SelectEntry({
    element, id, label: text.handler,
    getValue: () => operator(element).id || "",
    setValue: (value) => setOperator(element, "id", value, services),
    getOptions: () => choices(handlers, operator(element).id, text, text.none),
  });
}

function ResultVariableEntry({ element, id, options: { text } }) {
  const services = { moddle: useService("moddle"), commandStack: useService("commandStack") };
  return TextFieldEntry({
    element, id, label: text.resultVariable, description: text.resultVariableHint,
    debounce: useService("debounceInput"),
    getValue: () => operator(element).resultVariable || "",
    setValue: (value) => setOperator(element, "resultVariable", (value || "").trim(), services),
  });
}

// --- the groups -------------------------------------------------------------------------------------

function groups(element, options) {
  const { text, forms, uiForms } = options;
  const entry = (id, component, isEdited, extra = {}) => ({ id, component, isEdited, options, ...extra });
  if (is(element, "bpmn:Lane")) {
    return [{ id: "spiff-role", label: text.roleGroup, shouldOpen: true,
      entries: [entry("spiff-role", RoleEntry, isSelectEntryEdited)] }];
  }
  if (is(element, "bpmn:UserTask")) {
    return [{ id: "spiff-form", label: text.formGroup, shouldOpen: true, entries: [
      entry("spiff-form", PropertySelectEntry, isSelectEntryEdited,
        { property: "formJsonSchemaFilename", label: text.form, known: forms }),
      entry("spiff-form-ui", PropertySelectEntry, isSelectEntryEdited,
        { property: "formUiSchemaFilename", label: text.formUi, known: uiForms }),
      entry("spiff-due-at", DueDateEntry, isTextAreaEntryEdited),
    ] }];
  }
  if (is(element, "bpmn:ServiceTask")) {
    return [{ id: "spiff-handler", label: text.handlerGroup, shouldOpen: true, entries: [
      entry("spiff-handler", HandlerEntry, isSelectEntryEdited),
      entry("spiff-result-variable", ResultVariableEntry, isTextFieldEntryEdited),
    ] }];
  }
  return [];
}

class SpiffworkflowPropertiesProvider {
  constructor(propertiesPanel, options) {
    this.options = options;
    propertiesPanel.registerProvider(PRIORITY, this);
  }

  getGroups(element) {
    return (existing) => {
      // Right after General (name and id), where an admin looks first.
      const general = existing.findIndex((group) => group.id === "general");
      const ours = groups(element, this.options);
      return [...existing.slice(0, general + 1), ...ours, ...existing.slice(general + 1)];
    };
  }
}

SpiffworkflowPropertiesProvider.$inject = ["propertiesPanel", "config.spiffworkflowProperties"];

export default {
  __init__: ["spiffworkflowPropertiesProvider"],
  spiffworkflowPropertiesProvider: ["type", SpiffworkflowPropertiesProvider],
};
