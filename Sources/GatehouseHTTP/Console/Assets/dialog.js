// Confirmations as modal <dialog>s: the browser keeps focus inside, Escape cancels, and
// focus returns to the control that opened it.

import { h } from "./dom.js";

/**
 * Asks the operator to confirm; resolves true only for the confirm button.
 * - `consequence`: what will stop working (or, with `safe`, that nothing will).
 * - `typed`: a text the operator must type first (a slug, for deletions).
 */
export function confirm({ title, consequence, action, safe = false, typed = null }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const input = typed === null ? null : h("input", { type: "text", id: "confirm-typed", autocomplete: "off", spellcheck: "false" });
    const yes = h("button", { type: "button", id: "confirm-yes", className: safe ? "" : "danger", disabled: typed !== null }, action);
    const no = h("button", { type: "button", id: "confirm-no", className: "quiet" }, "Cancel");
    const dialog = h(
      "dialog",
      { "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("p", { className: safe ? "consequence safe" : "consequence" }, consequence),
      input ? h("div", { className: "field" }, h("label", { for: "confirm-typed" }, `Type `, h("code", {}, typed), ` to confirm`), input) : null,
      h("div", { className: "row" }, yes, no),
    );
    let answer = false;
    input?.addEventListener("input", () => {
      yes.disabled = input.value !== typed;
    });
    input?.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      // Else the same key press, reaching the control focus returns to, would press it too.
      event.preventDefault();
      if (!yes.disabled) yes.click();
    });
    yes.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    (input ?? no).focus();
  });
}
