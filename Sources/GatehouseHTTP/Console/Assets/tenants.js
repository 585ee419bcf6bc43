// Tenants: the list (a page at a time), creating one, deleting one after typing its slug,
// and one tenant's overview with its environments.

import { admin, APIError, query, segment } from "./api.js";
import { confirm } from "./dialog.js";
import { field, h, replace, showFieldErrors, table, when } from "./dom.js";

const PAGE = 20;

/** `#/tenants`: global keys only; a scoped key is told and sent to its tenant. */
export async function list(view, _, context) {
  if (context.scope.tenant !== null) {
    context.go(`#/t/${segment(context.scope.tenant)}`, `This key is limited to tenant ${context.scope.tenant}; it cannot list the others.`);
    return;
  }
  const cursors = [null];
  const rows = h("div", { id: "tenant-list" });
  const pager = h("div", { className: "pager" });

  async function show() {
    let answer;
    try {
      answer = await admin("GET", `/tenants${query({ limit: PAGE, cursor: cursors.at(-1) })}`);
    } catch (error) {
      context.fail(error);
      return;
    }
    const items = answer.items.map((tenant) =>
      h(
        "tr",
        { "data-slug": tenant.slug },
        h("td", {}, h("a", { href: `#/t/${segment(tenant.slug)}` }, tenant.slug)),
        h("td", { className: "tenant-name" }, tenant.name),
        h("td", {}, tenant.environments.join(", ")),
        h("td", {}, when(tenant.created_at)),
        h("td", {}, h("button", { type: "button", className: "danger", "aria-label": `Delete tenant ${tenant.slug}`, onClick: () => remove(tenant.slug) }, "Delete")),
      ),
    );
    replace(
      rows,
      items.length === 0 && cursors.length === 1
        ? h("p", { className: "empty" }, "No tenants yet: create the first one above.")
        : table(`Tenants, page ${cursors.length}`, ["Slug", "Name", "Environments", "Created", ""], items),
    );
    replace(
      pager,
      h("button", { type: "button", className: "quiet", disabled: cursors.length === 1, onClick: () => (cursors.pop(), show()) }, "Previous page"),
      h("button", { type: "button", className: "quiet", id: "tenants-next", disabled: !answer.next_cursor, onClick: () => (cursors.push(answer.next_cursor), show()) }, "Next page"),
    );
  }

  async function remove(slug) {
    const sure = await confirm({
      title: `Delete tenant ${slug}?`,
      consequence: `Every environment, key, user and token of ${slug} is deleted now: its users can no longer log in and every token it issued stops working. This cannot be undone.`,
      action: "Delete tenant",
      typed: slug,
    });
    if (!sure) return;
    try {
      await admin("DELETE", `/tenants/${segment(slug)}`);
      context.notify(`Tenant ${slug} deleted.`);
      await show();
    } catch (error) {
      context.fail(error);
    }
  }

  const form = h(
    "form",
    { className: "stack", id: "create-tenant", novalidate: true },
    field("Slug", h("input", { name: "slug", type: "text", required: true, autocomplete: "off", spellcheck: "false" }), "Lower-case letters, digits and dashes."),
    field("Name", h("input", { name: "name", type: "text", autocomplete: "off" })),
    field("Environments", h("input", { name: "environments", type: "text", value: "prod", autocomplete: "off" }), "Slugs separated by commas; each gets one active key."),
    h("button", { type: "submit" }, "Create tenant"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { slug: form.elements.slug.value.trim() };
    if (form.elements.name.value.trim() !== "") body.name = form.elements.name.value.trim();
    const environments = form.elements.environments.value.split(",").map((item) => item.trim()).filter(Boolean);
    if (environments.length > 0) body.environments = environments;
    showFieldErrors(form, {});
    try {
      const tenant = await admin("POST", "/tenants", body);
      context.notify(`Tenant ${tenant.slug} created with ${tenant.environments.join(", ")}.`);
      form.reset();
      await show();
    } catch (error) {
      if (error instanceof APIError && (error.status === 400 || error.status === 409)) {
        const fields = error.status === 409 ? { slug: [error.detail] } : error.fields;
        if (!showFieldErrors(form, fields)) context.fail(error);
      } else context.fail(error);
    }
  });

  replace(view, h("h1", {}, "Tenants"), h("section", { className: "card", "aria-labelledby": "create-title" }, h("h2", { id: "create-title" }, "Create a tenant"), form), rows, pager);
  await show();
}

/** `#/t/{tenant}`: the tenant, its environments and where to go next. */
export async function overview(view, [slug], context) {
  const tenant = await admin("GET", `/tenants/${segment(slug)}`);
  const base = `#/t/${segment(tenant.slug)}`;
  const environments = tenant.environments.map((name) =>
    h(
      "tr",
      {},
      h("td", {}, name),
      h("td", {}, h("div", { className: "row" }, h("a", { href: `${base}/e/${segment(name)}/settings` }, "Settings"), h("a", { href: `${base}/e/${segment(name)}/keys` }, "Key ring"))),
    ),
  );
  replace(
    view,
    h("p", { className: "crumbs" }, context.scope.tenant === null ? h("a", { href: "#/tenants" }, "Tenants") : "Tenant"),
    h("h1", { id: "tenant-title" }, tenant.name && tenant.name !== tenant.slug ? `${tenant.name} (${tenant.slug})` : tenant.slug),
    tenantLinks(tenant.slug),
    h("p", {}, `Created ${when(tenant.created_at)}.`),
    environments.length === 0 ? h("p", { className: "empty" }, "This tenant has no environments.") : table("Environments", ["Environment", ""], environments),
  );
}

/** The links of a tenant's pages. */
export function tenantLinks(slug) {
  const base = `#/t/${segment(slug)}`;
  return h(
    "ul",
    { className: "subnav" },
    h("li", {}, h("a", { href: base }, "Environments")),
    h("li", {}, h("a", { href: `${base}/users` }, "Users")),
    h("li", {}, h("a", { href: `${base}/revocations` }, "Revocations")),
    h("li", {}, h("a", { href: `#/audit?tenant=${segment(slug)}` }, "Audit log")),
  );
}
