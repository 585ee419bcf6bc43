// Bulk revocation of a tenant's tokens: named users (pasted, or read from a file) or every
// user, in one environment or all; the answer's counts are shown.

import { admin, APIError, segment } from "./api.js";
import { confirm } from "./dialog.js";
import { field, h, replace, showFieldErrors } from "./dom.js";
import { tenantLinks } from "./tenants.js";

/** Usernames from pasted text or a file: one per line (commas also separate); blanks dropped. */
function usernames(text) {
  return [...new Set(text.split(/[\n,]/).map((name) => name.trim()).filter((name) => name !== ""))];
}

/** `#/t/{tenant}/revocations`. */
export async function page(view, [tenant], context) {
  const record = await admin("GET", `/tenants/${segment(tenant)}`);
  const result = h("section", { id: "revocation-result", "aria-live": "polite" });
  const names = h("textarea", { name: "usernames", rows: 6, spellcheck: "false" });
  const file = h("input", { type: "file", name: "file", accept: ".txt,.csv,text/plain" });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const text = await chosen.text();
    names.value = [names.value.trim(), text.trim()].filter(Boolean).join("\n");
  });

  const form = h(
    "form",
    { className: "stack", id: "revoke-form", novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, "Whose tokens"),
      h("input", { type: "radio", name: "target", id: "target-named", value: "usernames", checked: true }),
      h("label", { for: "target-named" }, "These users"),
      h("input", { type: "radio", name: "target", id: "target-all", value: "all_users" }),
      h("label", { for: "target-all" }, "Every user of the tenant"),
    ),
    field("Usernames, one per line", names),
    field("Or read usernames from a file", file, "A text file with one username per line; it is added to the box above."),
    field(
      "Environment",
      h("select", { name: "environment" }, h("option", { value: "" }, "All environments"), record.environments.map((name) => h("option", { value: name }, name))),
    ),
    h("button", { type: "submit", className: "danger" }, "Revoke tokens"),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(form, {});
    const everyone = form.elements.target.value === "all_users";
    const body = everyone ? { all_users: true } : { usernames: usernames(names.value) };
    if (!everyone && body.usernames.length === 0) {
      showFieldErrors(form, { usernames: ["Name at least one user, or choose every user."] });
      return;
    }
    const environment = form.elements.environment.value;
    if (environment) body.environment = environment;
    const where = environment ? `in environment ${environment}` : "in every environment";
    const sure = await confirm({
      title: everyone ? `Revoke every user's tokens in ${tenant}?` : `Revoke the tokens of ${body.usernames.length} user(s)?`,
      consequence: `${everyone ? `Every user of ${tenant}` : body.usernames.join(", ")}: every access and refresh token issued until now ${where} stops working at once; they must log in again. Passwords are unchanged.`,
      action: "Revoke",
    });
    if (!sure) return;
    try {
      const answer = await admin("POST", `/tenants/${segment(tenant)}/revocations`, body);
      replace(
        result,
        h("h2", {}, "Revoked"),
        h(
          "div",
          { className: "counts" },
          h("div", {}, h("strong", { id: "revoked-users" }, String(answer.users)), "users"),
          h("div", {}, h("strong", { id: "revoked-tokens" }, String(answer.refresh_tokens_revoked)), "refresh tokens blacklisted"),
        ),
        answer.unknown_usernames?.length ? h("p", { id: "unknown-usernames" }, "Not in this tenant: ", answer.unknown_usernames.join(", ")) : null,
      );
      context.notify(`Revoked the tokens of ${answer.users} user(s).`);
    } catch (error) {
      if (error instanceof APIError && error.status === 400 && showFieldErrors(form, error.fields)) return;
      context.fail(error);
    }
  });

  replace(
    view,
    h("p", { className: "crumbs" }, h("a", { href: `#/t/${segment(tenant)}` }, tenant)),
    h("h1", {}, `Revoke tokens in ${tenant}`),
    tenantLinks(tenant),
    h("section", { className: "card" }, form),
    result,
  );
}
