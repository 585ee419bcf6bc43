// The audit log, newest first, filtered by tenant, action and instant, a page at a time.

import { admin, APIError, query } from "./api.js";
import { field, h, replace, showFieldErrors, table, when } from "./dom.js";

const PAGE = 50;

/** The actions Gatehouse records, for the filter's suggestions. */
const ACTIONS = [
  "tenant.create", "tenant.update", "tenant.delete", "environment.create", "environment.update", "environment.delete",
  "user.create", "user.update", "user.delete", "user.import", "key.rotate", "key.activate", "key.retire", "key.revoke",
  "revocation.create", "refresh.reuse", "login.failure_burst", "admin_key.create", "admin_key.revoke",
];

/** `#/audit`, `#/audit?tenant=…`. */
export async function page(view, [search], context) {
  const initial = new URLSearchParams(search ?? "");
  const list = h("div", { id: "audit-list" });
  const pager = h("div", { className: "pager" });
  const cursors = [null];
  let filters = {};

  const form = h(
    "form",
    { className: "stack", id: "audit-filters", novalidate: true },
    field("Tenant (slug)", h("input", { type: "text", name: "tenant", value: initial.get("tenant") ?? context.scope.tenant ?? "", autocomplete: "off" }), context.scope.tenant ? "This key sees its own tenant only." : "Empty: every tenant."),
    field("Action", h("input", { type: "text", name: "action", list: "audit-actions", autocomplete: "off" }), "Empty: every action."),
    h("datalist", { id: "audit-actions" }, ACTIONS.map((action) => h("option", { value: action }))),
    field("Since", h("input", { type: "datetime-local", name: "since", step: 1 })),
    h("button", { type: "submit" }, "Show"),
  );

  async function show() {
    let answer;
    try {
      answer = await admin("GET", `/audit${query({ ...filters, cursor: cursors.at(-1), limit: PAGE })}`);
    } catch (error) {
      if (error instanceof APIError && error.status === 400 && showFieldErrors(form, error.fields)) return;
      replace(list);
      context.fail(error);
      return;
    }
    const rows = answer.items.map((event) =>
      h(
        "tr",
        { "data-action": event.action },
        h("td", {}, when(event.occurred_at)),
        h("td", { className: "action" }, event.action),
        h("td", { className: "mono" }, event.target ?? "—"),
        h("td", { className: "mono" }, event.actor),
        h("td", { className: "mono" }, JSON.stringify(event.details)),
      ),
    );
    replace(
      list,
      rows.length === 0
        ? h("p", { className: "empty" }, cursors.length === 1 ? "No events match these filters." : "No older events.")
        : table(`Events, newest first (page ${cursors.length})`, ["When", "Action", "Target", "Actor", "Details"], rows),
    );
    replace(
      pager,
      h("button", { type: "button", className: "quiet", disabled: cursors.length === 1, onClick: () => (cursors.pop(), show()) }, "Newer"),
      h("button", { type: "button", className: "quiet", id: "audit-older", disabled: !answer.next_cursor, onClick: () => (cursors.push(answer.next_cursor), show()) }, "Older"),
    );
  }

  function read() {
    const since = form.elements.since.value;
    filters = {
      tenant: form.elements.tenant.value.trim(),
      action: form.elements.action.value.trim(),
      since: since ? new Date(since).toISOString() : "",
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(form, {});
    read();
    cursors.splice(1);
    await show();
  });

  replace(view, h("h1", {}, "Audit log"), h("section", { className: "card" }, form), list, pager);
  read();
  await show();
}
