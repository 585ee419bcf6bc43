// One environment: its settings as a form (each refusal shown beside its field), and its
// key ring as a timeline with rotate, activate, retire and revoke.

import { admin, APIError, segment } from "./api.js";
import { confirm } from "./dialog.js";
import { field, h, replace, showFieldErrors, table, when } from "./dom.js";
import { changes, display, fieldErrors, SETTINGS } from "./settings.js";
import { layout, render, retention } from "./timeline.js";
import { tenantLinks } from "./tenants.js";

function path(tenant, name) {
  return `/tenants/${segment(tenant)}/environments/${segment(name)}`;
}

function heading(tenant, name, what) {
  return [
    h("p", { className: "crumbs" }, h("a", { href: `#/t/${segment(tenant)}` }, tenant), " / ", name),
    h("h1", {}, `${what}: ${tenant} / ${name}`),
    tenantLinks(tenant),
    h(
      "ul",
      { className: "subnav" },
      h("li", {}, h("a", { href: `#/t/${segment(tenant)}/e/${segment(name)}/settings` }, "Settings")),
      h("li", {}, h("a", { href: `#/t/${segment(tenant)}/e/${segment(name)}/keys` }, "Key ring")),
    ),
  ];
}

function control(setting, value) {
  const shown = display(setting, value);
  if (setting.kind === "bool") return h("input", { type: "checkbox", name: setting.name, checked: shown });
  if (setting.kind === "list") return h("textarea", { name: setting.name, rows: 3, value: shown, spellcheck: "false" });
  if (setting.kind === "choice") {
    return h("select", { name: setting.name }, setting.choices.map((choice) => h("option", { value: choice, selected: choice === shown }, choice)));
  }
  return h("input", { type: "text", name: setting.name, value: shown, autocomplete: "off", spellcheck: "false", inputmode: setting.kind === "seconds" ? "numeric" : null });
}

/** `#/t/{tenant}/e/{environment}/settings`. */
export async function settings(view, [tenant, name], context) {
  let environment = await admin("GET", path(tenant, name));
  const form = h("form", { className: "stack", id: "settings-form", novalidate: true });
  const general = h("p", { className: "field-error", id: "settings-general", role: "alert" });

  function fill() {
    replace(
      form,
      h("p", {}, "Issuer: ", h("code", {}, environment.issuer)),
      SETTINGS.map((setting) => {
        const box = field(setting.name, control(setting, environment.settings[setting.name]), setting.help);
        if (setting.kind === "bool") box.classList.add("check");
        if (setting.kind === "bool") box.prepend(box.querySelector("input"));
        return box;
      }),
      general,
      h("button", { type: "submit", id: "settings-save" }, "Save changes"),
    );
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const entered = {};
    for (const setting of SETTINGS) {
      const input = form.elements.namedItem(setting.name);
      entered[setting.name] = setting.kind === "bool" ? input.checked : input.value;
    }
    const body = changes(environment.settings, entered);
    showFieldErrors(form, {});
    general.textContent = "";
    if (Object.keys(body).length === 0) {
      context.notify("Nothing changed.");
      return;
    }
    try {
      environment = await admin("PATCH", path(tenant, name), { settings: body });
      fill();
      context.notify(`Saved ${Object.keys(body).join(", ")}.`);
    } catch (error) {
      if (!(error instanceof APIError) || error.status !== 400) {
        context.fail(error);
        return;
      }
      const errors = fieldErrors(error);
      general.textContent = (errors[""] ?? []).join(" ");
      delete errors[""];
      if (!showFieldErrors(form, errors)) general.textContent ||= error.detail;
    }
  });

  fill();
  replace(view, ...heading(tenant, name, "Settings"), h("section", { className: "card" }, form));
}

const describeInstant = (at) => new Date(at).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** `#/t/{tenant}/e/{environment}/keys`. */
export async function keys(view, [tenant, name], context) {
  const base = path(tenant, name);
  const environment = await admin("GET", base);
  const ring = h("section", { id: "key-ring", "aria-labelledby": "ring-title" });
  const keep = retention(environment.settings);

  async function show() {
    let answer;
    try {
      answer = await admin("GET", `${base}/keys`);
    } catch (error) {
      context.fail(error);
      return;
    }
    const items = answer.items;
    const active = items.find((key) => key.state === "active");
    const plan = layout(items, environment.settings, Date.now());
    const rows = items.map((key) =>
      h(
        "tr",
        { "data-kid": key.kid, "data-state": key.state },
        h("td", {}, h("code", {}, key.kid)),
        h("td", {}, key.alg),
        h("td", {}, h("span", { className: `pill state-${key.state}` }, key.state)),
        h("td", {}, when(key.created_at)),
        h("td", {}, key.state === "next" ? (key.activate_at ? `activates ${when(key.activate_at)}` : "by hand") : when(key.activated_at)),
        h("td", {}, key.retiring_at ? `${when(key.retiring_at)}; kept until ${when(Date.parse(key.retiring_at) + keep * 1000)}` : "—"),
        h("td", {}, h("div", { className: "row" }, actions(key, active))),
      ),
    );
    replace(
      ring,
      h("h2", { id: "ring-title" }, "Key ring"),
      h(
        "ul",
        { className: "legend" },
        h("li", { className: "key-next" }, "next: published, not signing"),
        h("li", { className: "key-active" }, "active: signs"),
        h("li", { className: "key-retiring" }, "retiring: verifies only"),
        h("li", {}, "▼ scheduled activation, end of retention or revocation; dashed line: now"),
      ),
      h("div", { className: "scroll", id: "timeline-box" }, render(plan, describeInstant)),
      items.length === 0
        ? h("p", { className: "empty" }, "This environment has no keys.")
        : table("Keys", ["kid", "Algorithm", "State", "Created", "Activation", "Retiring", ""], rows),
    );
  }

  function actions(key, active) {
    const buttons = [];
    if (key.state === "next") {
      buttons.push(
        button("Activate", key, {
          title: `Activate ${key.kid}?`,
          consequence: `${key.kid} signs every new token from now on${active ? `; ${active.kid} stops signing and moves to retiring (its tokens keep verifying for ${Math.round(keep / 3600)} h)` : ""}. Resource servers that have not fetched the JWKS since ${key.kid} was published will refuse the new tokens until they do.`,
          action: "Activate",
          safe: true,
          path: "activate",
        }),
      );
    }
    if (key.state === "next" || key.state === "retiring") {
      buttons.push(
        button("Retire", key, {
          title: `Retire ${key.kid} now?`,
          consequence:
            key.state === "next"
              ? `${key.kid} leaves the JWKS and will never sign; nothing it signed exists, so no token stops working.`
              : `${key.kid} leaves the ring and the JWKS now: every token it signed that has not expired stops verifying at once.`,
          action: "Retire",
          path: "retire",
        }),
      );
    }
    if (key.state !== "revoked" && key.state !== "retired") {
      buttons.push(
        button("Revoke", key, {
          title: `Revoke ${key.kid}?`,
          consequence: `${key.kid} is removed at once: every access and refresh token it signed stops working everywhere, so those users must log in again.${key.state === "active" ? " A freshly generated key takes its place and signs from now on." : ""}`,
          action: "Revoke",
          path: "revoke",
        }),
      );
    }
    return buttons;
  }

  function button(label, key, { path: verb, ...question }) {
    return h(
      "button",
      {
        type: "button",
        className: question.safe ? "" : "danger",
        id: `${verb}-${key.kid}`,
        "aria-label": `${label} ${key.kid}`,
        onClick: async () => {
          if (!(await confirm(question))) return;
          try {
            await admin("POST", `${base}/keys/${segment(key.kid)}/${verb}`);
            context.notify(`${label}: ${key.kid} done.`);
          } catch (error) {
            context.fail(error);
          }
          await show();
        },
      },
      label,
    );
  }

  const rotate = h(
    "form",
    { className: "stack", id: "rotate-form", novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, "Mode"),
      h("input", { type: "radio", name: "mode", id: "mode-staged", value: "staged", checked: true }),
      h("label", { for: "mode-staged" }, "Staged: publish as next"),
      h("input", { type: "radio", name: "mode", id: "mode-immediate", value: "immediate" }),
      h("label", { for: "mode-immediate" }, "Immediate: sign now"),
    ),
    field("Activate at (staged; empty: activate by hand)", h("input", { type: "datetime-local", name: "activate_at", id: "rotate-activate-at", step: 1 })),
    field(
      "Algorithm",
      h(
        "select",
        { name: "alg", id: "rotate-alg" },
        h("option", { value: "" }, `The environment's (${environment.settings.algorithm})`),
        ["ES256", "EdDSA", "RS256", "HS256"].map((alg) => h("option", { value: alg }, alg)),
      ),
    ),
    h("button", { type: "submit", id: "rotate-submit" }, "Rotate"),
  );
  rotate.addEventListener("submit", async (event) => {
    event.preventDefault();
    const mode = rotate.elements.mode.value;
    const body = { mode };
    if (rotate.elements.alg.value) body.alg = rotate.elements.alg.value;
    const at = rotate.elements.activate_at.value;
    if (mode === "staged" && at) body.activate_at = new Date(at).toISOString();
    showFieldErrors(rotate, {});
    const sure = await confirm(
      mode === "immediate"
        ? {
            title: "Rotate now?",
            consequence: `A new key signs every new token from now on; the active key moves to retiring and its tokens keep verifying for ${Math.round(keep / 3600)} h. Resource servers that have not fetched the JWKS since will refuse new tokens until they do: prefer a staged rotation.`,
            action: "Rotate now",
          }
        : {
            title: "Publish a new key as next?",
            consequence: `A new key appears in the JWKS as next; nothing stops working. ${body.activate_at ? `It starts signing at ${when(body.activate_at)}.` : "It signs once you activate it."}`,
            action: "Publish",
            safe: true,
          },
    );
    if (!sure) return;
    try {
      const answer = await admin("POST", `${base}/keys/rotate`, body);
      context.notify(mode === "staged" ? `Published ${answer.next?.kid} as next.` : `${answer.active.kid} signs now.`);
      rotate.reset();
    } catch (error) {
      if (error instanceof APIError && error.status === 400) showFieldErrors(rotate, error.fields);
      else if (error instanceof APIError && error.status === 409) context.notify(error.detail, true);
      else context.fail(error);
    }
    await show();
  });

  replace(view, ...heading(tenant, name, "Key ring"), ring, h("section", { className: "card", "aria-labelledby": "rotate-title" }, h("h2", { id: "rotate-title" }, "Rotate"), rotate));
  await show();
}
