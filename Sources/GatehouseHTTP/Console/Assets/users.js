// A tenant's users: search by username, create, and for one user a new password, role and
// claims, or deactivation (which revokes every token the user holds).

import { admin, APIError, query, segment } from "./api.js";
import { confirm } from "./dialog.js";
import { field, h, replace, showFieldErrors, table, when } from "./dom.js";
import { tenantLinks } from "./tenants.js";

const PAGE = 25;

/** Claims typed as a JSON object; an empty box is no claims. */
function readClaims(text) {
  if (text.trim() === "") return {};
  let claims;
  try {
    claims = JSON.parse(text);
  } catch {
    return null;
  }
  return claims !== null && typeof claims === "object" && !Array.isArray(claims) ? claims : null;
}

/** `#/t/{tenant}/users`. */
export async function page(view, [tenant], context) {
  const base = `/tenants/${segment(tenant)}/users`;
  const list = h("div", { id: "user-list" });
  const pager = h("div", { className: "pager" });
  const editor = h("section", { id: "user-editor", "aria-live": "polite" });
  const cursors = [null];
  let search = "";

  async function show() {
    let answer;
    try {
      answer = await admin("GET", `${base}${query({ username: search, cursor: cursors.at(-1), limit: PAGE })}`);
    } catch (error) {
      context.fail(error);
      return;
    }
    const rows = answer.items.map((user) =>
      h(
        "tr",
        { "data-username": user.username },
        h("td", { className: "username" }, user.username),
        h("td", {}, user.role),
        h("td", {}, user.is_active ? "active" : h("span", { className: "pill inactive" }, "inactive")),
        h("td", {}, when(user.last_login)),
        h("td", {}, h("button", { type: "button", className: "quiet", "aria-label": `Edit ${user.username}`, onClick: () => edit(user) }, "Edit")),
      ),
    );
    replace(
      list,
      rows.length === 0
        ? h("p", { className: "empty" }, search ? `No user is named “${search}”.` : "No users yet: create one above.")
        : table(search ? `Users named “${search}”` : `Users, page ${cursors.length}`, ["Username", "Role", "State", "Last login", ""], rows),
    );
    replace(
      pager,
      h("button", { type: "button", className: "quiet", disabled: cursors.length === 1, onClick: () => (cursors.pop(), show()) }, "Previous page"),
      h("button", { type: "button", className: "quiet", disabled: !answer.next_cursor, onClick: () => (cursors.push(answer.next_cursor), show()) }, "Next page"),
    );
  }

  function edit(user) {
    const form = h(
      "form",
      { className: "stack", id: "edit-user", novalidate: true },
      field("Role", h("input", { type: "text", name: "role", value: user.role, autocomplete: "off" })),
      field("Claims (a JSON object)", h("textarea", { name: "claims", rows: 4, value: JSON.stringify(user.claims, null, 2), spellcheck: "false" })),
      field("New password", h("input", { type: "password", name: "password", autocomplete: "new-password" }), "Empty keeps the password; a new one revokes every token the user holds."),
      h("div", { className: "row" }, h("button", { type: "submit" }, "Save user"), user.is_active ? h("button", { type: "button", className: "danger", id: "deactivate", onClick: deactivate }, "Deactivate") : h("button", { type: "button", className: "quiet", onClick: activate }, "Reactivate")),
    );

    async function patch(body, done) {
      showFieldErrors(form, {});
      try {
        const updated = await admin("PATCH", `${base}/${segment(user.id)}`, body);
        context.notify(done(updated));
        replace(editor);
        await show();
      } catch (error) {
        if (error instanceof APIError && error.status === 400 && showFieldErrors(form, error.fields)) return;
        context.fail(error);
      }
    }

    async function deactivate() {
      const sure = await confirm({
        title: `Deactivate ${user.username}?`,
        consequence: `${user.username} can no longer log in, and every access and refresh token they hold stops working now, in every environment.`,
        action: "Deactivate",
      });
      if (sure) await patch({ is_active: false }, (updated) => `${updated.username} is deactivated; their tokens are revoked.`);
    }

    async function activate() {
      await patch({ is_active: true }, (updated) => `${updated.username} can log in again.`);
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {};
      const role = form.elements.role.value.trim();
      if (role !== user.role) body.role = role;
      const claims = readClaims(form.elements.claims.value);
      if (claims === null) {
        showFieldErrors(form, { claims: ["Claims must be a JSON object, such as {\"plan\": \"pro\"}."] });
        return;
      }
      if (JSON.stringify(claims) !== JSON.stringify(user.claims)) body.claims = claims;
      const password = form.elements.password.value;
      if (password !== "") {
        const sure = await confirm({
          title: `Set a new password for ${user.username}?`,
          consequence: `Every access and refresh token ${user.username} holds stops working now; they log in again with the new password.`,
          action: "Set password",
        });
        if (!sure) return;
        body.password = password;
      }
      if (Object.keys(body).length === 0) {
        context.notify("Nothing changed.");
        return;
      }
      await patch(body, (updated) => `Saved ${updated.username}: ${Object.keys(body).join(", ")}.`);
    });

    replace(editor, h("div", { className: "card" }, h("h2", { id: "edit-title" }, `Edit ${user.username}`), h("p", { className: "mono" }, `id ${user.id}`), form));
    form.elements.role.focus();
  }

  const find = h(
    "form",
    { className: "row", role: "search", id: "find-user" },
    h("div", { className: "field" }, h("label", { for: "find-username" }, "Username (exact)"), h("input", { type: "search", id: "find-username", name: "username", autocomplete: "off" })),
    h("button", { type: "submit" }, "Search"),
  );
  find.addEventListener("submit", async (event) => {
    event.preventDefault();
    search = find.elements.username.value;
    cursors.splice(1);
    await show();
  });

  const create = h(
    "form",
    { className: "stack", id: "create-user", novalidate: true },
    field("Username", h("input", { type: "text", name: "username", autocomplete: "off", spellcheck: "false" })),
    field("Password", h("input", { type: "password", name: "password", autocomplete: "new-password" })),
    field("Role", h("input", { type: "text", name: "role", autocomplete: "off" }), "Empty: the default role."),
    field("Claims (a JSON object)", h("textarea", { name: "claims", rows: 2, spellcheck: "false" })),
    h("button", { type: "submit" }, "Create user"),
  );
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(create, {});
    const body = { username: create.elements.username.value, password: create.elements.password.value };
    if (create.elements.role.value.trim() !== "") body.role = create.elements.role.value.trim();
    const claims = readClaims(create.elements.claims.value);
    if (claims === null) {
      showFieldErrors(create, { claims: ["Claims must be a JSON object."] });
      return;
    }
    if (Object.keys(claims).length > 0) body.claims = claims;
    try {
      const user = await admin("POST", base, body);
      context.notify(`User ${user.username} created.`);
      create.reset();
      await show();
    } catch (error) {
      if (error instanceof APIError && (error.status === 400 || error.status === 409)) {
        const fields = error.status === 409 ? { username: [error.detail] } : error.fields;
        if (showFieldErrors(create, fields)) return;
      }
      context.fail(error);
    }
  });

  replace(
    view,
    h("p", { className: "crumbs" }, h("a", { href: `#/t/${segment(tenant)}` }, tenant)),
    h("h1", {}, `Users of ${tenant}`),
    tenantLinks(tenant),
    h("section", { className: "card", "aria-labelledby": "create-user-title" }, h("h2", { id: "create-user-title" }, "Create a user"), create),
    find,
    list,
    pager,
    editor,
  );
  await show();
}
