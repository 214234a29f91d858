// The form editor's live preview: a moment after the admin stops typing, the server draws the preview (with
// the task page's own macro) and it replaces the one on the page. Without this script the Preview button
// does the same with a whole page. Words come from the page's data-* attributes, so they are translated.
const root = document.querySelector("[data-form-editor]");
const form = document.getElementById("form-editor");
const preview = document.getElementById("form-preview");
const status = document.getElementById("form-preview-status");
const PAUSE_MS = 400;

let timer = null;
let inFlight = null;
let lastProblems = preview ? preview.querySelector("[data-problem-count]")?.dataset.problemCount : null;

async function refresh() {
  inFlight?.abort(); // only the newest text matters
  inFlight = new AbortController();
  const body = new FormData(form); // the texts, the name and the form token: submit buttons are not included
  try {
    const response = await fetch(root.dataset.previewUrl, {
      method: "POST", body, signal: inFlight.signal, headers: { Accept: "text/html" }, credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`preview: ${response.status}`);
    // The fragment is the server's own template output, escaped by Jinja, from this origin.
    preview.innerHTML = await response.text();
    const problems = preview.querySelector("[data-problem-count]")?.dataset.problemCount;
    // Announce only a change in whether there are problems, not every keystroke's redraw.
    if (problems !== lastProblems) {
      status.textContent = problems && problems !== "0" ? root.dataset.textProblems : root.dataset.textUpdated;
      lastProblems = problems;
    }
  } catch (error) {
    if (error.name !== "AbortError") status.textContent = root.dataset.textFailed;
  }
}

if (root && form && preview && status) {
  for (const box of form.querySelectorAll("textarea, #form-name")) {
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, PAUSE_MS);
    });
  }
}
