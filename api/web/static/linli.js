// Small conveniences on top of pages that work without script: select-all, confirmations, opening a
// citation from its [n] marker, the print button. Nothing here is needed to review or approve.
"use strict";
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const ref = target.closest("a[data-open]");
  if (ref) {
    const details = document.getElementById(ref.dataset.open);
    if (details) { details.open = true; }
  }
  const confirmer = target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) { event.preventDefault(); }
  if (target.closest("[data-print]")) { window.print(); }
});
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const form = box.form || document;
  form.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`).forEach((b) => { b.checked = box.checked; });
});
