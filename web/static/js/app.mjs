// Starts GOV.UK Frontend's components, and reveals "Call 999 now" the moment someone says they are in danger.
import { initAll } from "/static/vendor/govuk-frontend.min.js";

initAll();

for (const warning of document.querySelectorAll("[data-danger-warning]")) {
  const question = document.getElementsByName(warning.dataset.dangerWarning);
  const reveal = () => {
    const chosen = [...question].find((input) => input.checked);
    warning.hidden = !(chosen && chosen.value === "yes");
  };
  for (const input of question) input.addEventListener("change", reveal);
  reveal();
}
