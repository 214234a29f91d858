// The instance viewer: draws the instance's version of the diagram and marks where the instance is.
const canvasElement = document.getElementById("instance-canvas");

async function show() {
  const response = await fetch(canvasElement.dataset.source, { headers: { Accept: "application/json" } });
  const view = await response.json();
  const viewer = new window.BpmnJS({ container: canvasElement });
  await viewer.importXML(view.xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, marker) => {
    for (const id of ids) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    }
  };
  mark(view.completed, "app-completed");
  mark(view.current, "app-current");
  mark(view.waiting.map((w) => w.element_id), "app-waiting");
  mark(view.failed, "app-failed");
  canvas.zoom("fit-viewport");
}

if (canvasElement) show();
