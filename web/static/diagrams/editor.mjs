// The diagram editor: bpmn-js modeler, upload, the task properties the product needs, and checking and
// deploying on the server, with each problem's element outlined on the diagram.
const root = document.getElementById("diagram-editor");
const SPIFF_URI = "http://spiffworkflow.org/bpmn/schema/1.0/core";
const result = document.getElementById("diagram-result");
const filenameInput = document.getElementById("diagram-filename");
const propertiesPanel = document.getElementById("diagram-properties");
let marked = [];

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

async function start() {
  const descriptor = await (await fetch(new URL("spiffworkflow.json", import.meta.url))).json();
  const modeler = new window.BpmnJS({
    container: document.getElementById("diagram-canvas"),
    keyboard: { bindTo: document },
    moddleExtensions: { spiffworkflow: descriptor },
  });
  const load = async (xml) => {
    try {
      await modeler.importXML(xml);
      modeler.get("canvas").zoom("fit-viewport");
      clearMarkers(modeler);
      result.replaceChildren();
    } catch (error) {
      showMessage(root.dataset.textFailed, "error", [error.message]);
    }
  };
  await load(await (await fetch(root.dataset.source)).text());

  document.getElementById("diagram-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    filenameInput.value = file.name;
    await load(await file.text());
  });
  root.querySelector("[data-action=check]").addEventListener("click", () => send(modeler, root.dataset.checkUrl));
  root.querySelector("[data-action=deploy]").addEventListener("click", () => send(modeler, root.dataset.deployUrl));
  root.querySelector("[data-action=download]").addEventListener("click", () => download(modeler));
  modeler.on("selection.changed", ({ newSelection }) => showProperties(modeler, newSelection[0]));
  showProperties(modeler, null);
}

function processFilename(modeler) {
  if (filenameInput.value.trim()) return filenameInput.value.trim();
  const definitions = modeler.getDefinitions();
  const process = (definitions.rootElements || []).find((e) => e.$type === "bpmn:Process");
  return `${process ? process.id : "process"}.bpmn`;
}

async function send(modeler, url) {
  const { xml } = await modeler.saveXML({ format: true });
  const filename = processFilename(modeler);
  filenameInput.value = filename;
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrfToken },
    body: JSON.stringify({ filename, xml }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    showMessage(root.dataset.textFailed, "error", []);
    return;
  }
  clearMarkers(modeler);
  if (body.problems && body.problems.length) {
    markProblems(modeler, body.problems);
    showMessage(root.dataset.textProblems, "error", body.problems.map(describeProblem));
  } else if (body.deployed) {
    const lines = body.deployed.map((d) => `${d.process_id}: ${d.new ? "" : root.dataset.textUnchanged + " "}v${d.version}`);
    showMessage(root.dataset.textDeployed, "success", lines, body.deployed.map((d) => d.url));
  } else {
    showMessage(root.dataset.textNoProblems, "success", []);
  }
}

function describeProblem(problem) {
  const where = [problem.element_name || problem.element_id, problem.line ? `line ${problem.line}` : ""]
    .filter(Boolean).join(", ");
  return where ? `${where}: ${problem.message}` : problem.message;
}

function markProblems(modeler, problems) {
  const registry = modeler.get("elementRegistry");
  const canvas = modeler.get("canvas");
  for (const problem of problems) {
    if (problem.element_id && registry.get(problem.element_id)) {
      canvas.addMarker(problem.element_id, "app-problem");
      marked.push(problem.element_id);
    }
  }
}

function clearMarkers(modeler) {
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  for (const id of marked) {
    if (registry.get(id)) canvas.removeMarker(id, "app-problem");
  }
  marked = [];
}

function showMessage(title, kind, lines, links = []) {
  const box = element("div", { class: kind === "error" ? "govuk-error-summary" : "govuk-notification-banner govuk-notification-banner--success", tabindex: "-1" });
  box.append(element("h2", { class: kind === "error" ? "govuk-error-summary__title" : "govuk-heading-s" }, title));
  if (lines.length) {
    const list = element("ul", { class: kind === "error" ? "govuk-list govuk-error-summary__list" : "govuk-list" });
    lines.forEach((line, index) => {
      const item = element("li");
      if (links[index]) item.append(element("a", { class: "govuk-link", href: links[index] }, line));
      else item.textContent = line;
      list.append(item);
    });
    box.append(list);
  }
  result.replaceChildren(box);
  box.focus();
}

async function download(modeler) {
  const { xml } = await modeler.saveXML({ format: true });
  const link = element("a", { href: URL.createObjectURL(new Blob([xml], { type: "application/xml" })), download: processFilename(modeler) });
  link.click();
  URL.revokeObjectURL(link.href);
}

// --- the properties the product needs: name, form, due date, service task handler --------------

function extension(modeler, businessObject, type) {
  const extensions = businessObject.extensionElements;
  return extensions ? (extensions.values || []).find((e) => e.$instanceOf(type)) : undefined;
}

function spiffProperty(modeler, businessObject, name) {
  const properties = extension(modeler, businessObject, "spiffworkflow:Properties");
  const found = properties && (properties.properties || []).find((p) => p.name === name);
  return found ? found.value : "";
}

// The shape's extension element of `type`, created (with `initial` attributes) if it has none yet.
function ensureExtension(modeler, shape, type, initial) {
  const moddle = modeler.get("moddle");
  const modeling = modeler.get("modeling");
  let extensions = shape.businessObject.extensionElements;
  if (!extensions) {
    extensions = moddle.create("bpmn:ExtensionElements", { values: [] });
    modeling.updateProperties(shape, { extensionElements: extensions });
  }
  let found = extension(modeler, shape.businessObject, type);
  if (!found) {
    found = moddle.create(type, initial);
    modeling.updateModdleProperties(shape, extensions, { values: [...(extensions.values || []), found] });
  }
  return found;
}

function setSpiffProperty(modeler, shape, name, value) {
  const moddle = modeler.get("moddle");
  const modeling = modeler.get("modeling");
  const properties = ensureExtension(modeler, shape, "spiffworkflow:Properties", { properties: [] });
  const rest = (properties.properties || []).filter((p) => p.name !== name);
  const next = value ? [...rest, moddle.create("spiffworkflow:Property", { name, value })] : rest;
  modeling.updateModdleProperties(shape, properties, { properties: next });
}

function setOperator(modeler, shape, attribute, value) {
  const modeling = modeler.get("modeling");
  const operator = ensureExtension(modeler, shape, "spiffworkflow:ServiceTaskOperator", {});
  modeling.updateModdleProperties(shape, operator, { [attribute]: value || undefined });
}

function field(id, label, value, onChange) {
  const group = element("div", { class: "govuk-form-group" });
  group.append(element("label", { class: "govuk-label", for: id }, label));
  const input = element("input", { class: "govuk-input", id, type: "text", spellcheck: "false" });
  input.value = value || "";
  input.addEventListener("change", () => onChange(input.value.trim()));
  group.append(input);
  return group;
}

function showProperties(modeler, shape) {
  const labels = propertiesPanel.dataset;
  if (!shape || !shape.businessObject || shape.type === "label") {
    propertiesPanel.replaceChildren(element("p", { class: "govuk-body" }, labels.textNone));
    return;
  }
  const modeling = modeler.get("modeling");
  const bo = shape.businessObject;
  const fields = [field("prop-name", labels.labelName, bo.name, (v) => modeling.updateProperties(shape, { name: v }))];
  if (bo.$instanceOf("bpmn:UserTask")) {
    for (const [id, label, name] of [
      ["prop-form", labels.labelForm, "formJsonSchemaFilename"],
      ["prop-ui", labels.labelUi, "formUiSchemaFilename"],
      ["prop-due", labels.labelDue, "dueAt"],
    ]) {
      fields.push(field(id, label, spiffProperty(modeler, bo, name), (v) => setSpiffProperty(modeler, shape, name, v)));
    }
  }
  if (bo.$instanceOf("bpmn:ServiceTask")) {
    const operator = extension(modeler, bo, "spiffworkflow:ServiceTaskOperator") || {};
    fields.push(field("prop-handler", labels.labelHandler, operator.id, (v) => setOperator(modeler, shape, "id", v)));
    fields.push(field("prop-result", labels.labelResult, operator.resultVariable, (v) => setOperator(modeler, shape, "resultVariable", v)));
  }
  propertiesPanel.replaceChildren(...fields);
}

if (root) start();
