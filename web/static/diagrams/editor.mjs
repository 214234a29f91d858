// The diagram editor page: the modeler with its properties panel (bundled by `make assets`), upload, and
// checking, deploying and saving drafts on the server, with each problem's element outlined on the diagram.
import { createModeler } from "../vendor/diagram-editor/modeler.js";

const root = document.getElementById("diagram-editor");
const result = document.getElementById("diagram-result");
const filenameInput = document.getElementById("diagram-filename");
const elementChooser = document.getElementById("diagram-element");
// The draft version each file name was last saved (or opened) at, sent back so that a save over someone
// else's newer draft is refused rather than silently replacing it; 0 means "no draft of this name yet".
const draftVersions = {};
let marked = [];

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function fill(template, values) {
  return template.replace(/{(\w+)}/g, (_, key) => values[key] ?? "");
}

async function start() {
  const modeler = createModeler({
    container: document.getElementById("diagram-canvas"),
    propertiesParent: document.getElementById("diagram-properties"),
    properties: JSON.parse(root.dataset.properties),
    words: JSON.parse(root.dataset.words),
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
    listElements(modeler);
  };
  const saveButton = root.querySelector("[data-action=save-draft]");
  if (saveButton.dataset.draftVersion) draftVersions[filenameInput.value] = Number(saveButton.dataset.draftVersion);
  await load(await (await fetch(root.dataset.source)).text());

  document.getElementById("diagram-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    filenameInput.value = file.name;
    await load(await file.text());
  });
  root.querySelector("[data-action=check]").addEventListener("click", () => send(modeler, root.dataset.checkUrl));
  root.querySelector("[data-action=deploy]").addEventListener("click", () => send(modeler, root.dataset.deployUrl));
  saveButton.addEventListener("click", () => send(modeler, saveButton.dataset.draftUrl, true));
  root.querySelector("[data-action=download]").addEventListener("click", () => download(modeler));
  elementChooser.addEventListener("change", () => selectElement(modeler, elementChooser.value));
  modeler.on("selection.changed", ({ newSelection }) => {
    elementChooser.value = newSelection.length === 1 ? newSelection[0].id : "";
  });
  // Names and ids change as the admin edits; the list follows.
  modeler.on("commandStack.changed", () => listElements(modeler));
}

// --- choosing an element without a mouse --------------------------------------------------------------

// Everything with properties worth editing, so keyboard users reach the properties panel for any of them.
function listElements(modeler) {
  const chosen = elementChooser.value;
  const options = [element("option", { value: "" }, elementChooser.dataset.textNone)];
  // Not the root (no parent), sequence flows (waypoints) or their labels.
  for (const shape of modeler.get("elementRegistry").filter((e) => e.parent && !e.waypoints && e.type !== "label")) {
    const { name, id } = shape.businessObject;
    options.push(element("option", { value: shape.id }, name ? `${name} (${id})` : id));
  }
  elementChooser.replaceChildren(...options);
  elementChooser.value = chosen;
}

function selectElement(modeler, id) {
  const shape = id && modeler.get("elementRegistry").get(id);
  if (!shape) {
    modeler.get("selection").select(null);
    return;
  }
  modeler.get("selection").select(shape);
  modeler.get("canvas").scrollToElement(shape);
}

// --- check, deploy, save a draft ---------------------------------------------------------------------

function processFilename(modeler) {
  if (filenameInput.value.trim()) return filenameInput.value.trim();
  const definitions = modeler.getDefinitions();
  const process = (definitions.rootElements || []).find((e) => e.$type === "bpmn:Process");
  return `${process ? process.id : "process"}.bpmn`;
}

async function send(modeler, url, asDraft = false) {
  const { xml } = await modeler.saveXML({ format: true });
  const filename = processFilename(modeler);
  filenameInput.value = filename;
  const payload = asDraft ? { filename, xml, version: draftVersions[filename] ?? 0 } : { filename, xml };
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrfToken },
    body: JSON.stringify(payload),
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
    const title = asDraft ? root.dataset.textDraftRefused : root.dataset.textProblems;
    showMessage(title, "error", body.problems.map(describeProblem));
  } else if (body.saved) {
    draftVersions[filename] = body.saved.version;
    const line = fill(root.dataset.textDraftLine, { name: body.saved.name, version: body.saved.version });
    showMessage(root.dataset.textDraftSaved, "success", [line], [body.saved.url]);
  } else if (body.deployed) {
    delete draftVersions[filename];  // deploying removes the draft
    const lines = body.deployed.map((d) => `${d.process_id}: ${d.new ? "" : root.dataset.textUnchanged + " "}v${d.version}`);
    showMessage(root.dataset.textDeployed, "success", lines, body.deployed.map((d) => d.url));
  } else {
    showMessage(root.dataset.textNoProblems, "success", []);
  }
}

function describeProblem(problem) {
  const line = problem.line ? fill(root.dataset.textLine, { number: problem.line }) : "";
  const where = [problem.element_name || problem.element_id, line]
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

if (root) start();
