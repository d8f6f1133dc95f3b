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
  const swap = target.closest("button[data-replace-with]");
  if (swap) { replaceSentence(swap.dataset.flagged || "", swap.dataset.replaceWith || ""); }
});
// A finding's grounded rewrite into the edit box: the first sentence there holding the flagged words is replaced,
// then the box is focused so the operator reads it and saves a new revision (which runs every check again).
function replaceSentence(flagged, rewrite) {
  const box = document.querySelector("#edit-form textarea[name=text]");
  if (!box || !flagged || !rewrite) return;
  const sentence = (box.value.match(/[^。！？!?\n]+[。！？!?]*/g) || []).find((s) => s.includes(flagged));
  if (!sentence) return;
  box.value = box.value.replace(sentence, rewrite);
  box.focus();
  box.scrollIntoView({ block: "center" });
}
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const form = box.form || document;
  form.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`).forEach((b) => { b.checked = box.checked; });
});
