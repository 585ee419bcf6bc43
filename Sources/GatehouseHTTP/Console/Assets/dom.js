// Building the page from data without ever parsing data as markup: every value becomes a
// text node or an attribute set with setAttribute, never innerHTML.

const SVG = "http://www.w3.org/2000/svg";

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function assign(element, attributes) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "className") {
      element.setAttribute("class", value);
    } else if (name === "value" && "value" in element) {
      // The default too, so that a form's reset() goes back to it.
      if ("defaultValue" in element) element.defaultValue = String(value);
      element.value = String(value);
    } else if (name === "checked" || name === "selected") {
      // The default too, so that a form's reset() goes back to it.
      element[name === "checked" ? "defaultChecked" : "defaultSelected"] = Boolean(value);
      element[name] = Boolean(value);
    } else if (name === "disabled" || name === "required" || name === "readOnly") {
      element[name] = Boolean(value);
    } else if (name === "href" && !String(value).startsWith("#")) {
      throw new Error("links stay inside the console");
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  return element;
}

/** An HTML element: `h("p", {className: "note"}, "text", child)`. */
export function h(tag, attributes, ...children) {
  return append(assign(document.createElement(tag), attributes), children);
}

/** An SVG element, the same way. */
export function s(tag, attributes, ...children) {
  return append(assign(document.createElementNS(SVG, tag), attributes), children);
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/** A labelled control: `<label for=id>text</label>` and the control, in a `.field` with room for its error. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  const error = h("p", { className: "field-error", id: `${id}-error`, role: "alert" });
  control.setAttribute("aria-describedby", `${id}-error`);
  return h("div", { className: "field", "data-field": control.name || null }, h("label", { for: id }, label), control, hint ? h("p", { className: "hint" }, hint) : null, error);
}

/** Shows `messages` beside the control named `name` inside `form` (or clears them all with none). */
export function showFieldErrors(form, errors) {
  for (const box of form.querySelectorAll(".field-error")) box.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  let first = null;
  for (const [name, messages] of Object.entries(errors)) {
    const control = form.elements.namedItem(name);
    if (!control || !control.id) continue;
    document.getElementById(`${control.id}-error`).textContent = messages.join(" ");
    control.setAttribute("aria-invalid", "true");
    first ??= control;
  }
  first?.focus();
  return first !== null;
}

/** An instant as the operator reads it: local time, to the second. */
export function when(value) {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** A table in a horizontally scrolling box, so it stays readable on a narrow screen. */
export function table(caption, headings, rows) {
  return h(
    "div",
    { className: "scroll" },
    h("table", {}, h("caption", {}, caption), h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))), h("tbody", {}, rows)),
  );
}
