// The console's shell: signing in with an admin key, the hash routes, and the messages
// every page shares (API down, key refused, key out of reach).

import { admin, APIError, explain, forgetKey, hasKey, segment, setKey } from "./api.js";
import { h, replace, showFieldErrors } from "./dom.js";
import * as audit from "./audit.js";
import * as environment from "./environment.js";
import * as live from "./live.js";
import * as revocations from "./revocations.js";
import * as tenants from "./tenants.js";
import * as users from "./users.js";

const view = document.getElementById("view");
const status = document.getElementById("status");
const signIn = document.getElementById("sign-in");
const nav = document.getElementById("nav");

/** What the key reaches: every tenant (`tenant` null), or one. */
const scope = { tenant: null };
let leave = null;
/** A message for the page a redirect goes to, which would otherwise clear it. */
let carried = "";
let visits = 0;

/** Shows a message for everyone (`error`: styled and announced as a failure). */
function notify(text, error = false) {
  replace(status, text ? h("p", { className: error ? "error" : "", id: error ? "error-message" : "notice" }, text) : null);
}

/** What every page does with a failed call: 401 signs out, others are told. */
function fail(error) {
  if (error instanceof APIError && error.status === 401 && hasKey()) {
    signOut(explain(error));
    return;
  }
  notify(explain(error), true);
}

const routes = [
  [/^#\/tenants$/, () => tenants.list],
  [/^#\/t\/([^/]+)$/, () => tenants.overview],
  [/^#\/t\/([^/]+)\/e\/([^/]+)\/settings$/, () => environment.settings],
  [/^#\/t\/([^/]+)\/e\/([^/]+)\/keys$/, () => environment.keys],
  [/^#\/t\/([^/]+)\/users$/, () => users.page],
  [/^#\/t\/([^/]+)\/revocations$/, () => revocations.page],
  [/^#\/audit(?:\?(.*))?$/, () => audit.page],
  [/^#\/live$/, () => live.page],
];

function home() {
  return scope.tenant === null ? "#/tenants" : `#/t/${segment(scope.tenant)}`;
}

async function route() {
  // The skip link's target is not a page.
  if (location.hash === "#main") return;
  leave?.();
  leave = null;
  if (!hasKey()) return;
  notify(carried, carried !== "");
  carried = "";
  const hash = location.hash;
  const match = routes.map(([pattern, page]) => [pattern.exec(hash), page]).find(([found]) => found);
  if (!match) {
    location.replace(home());
    return;
  }
  const [found, page] = match;
  for (const link of nav.querySelectorAll("a")) {
    if (hash.startsWith(link.getAttribute("href"))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const parameters = found.slice(1).map((value) => (value === undefined ? undefined : decodeURIComponent(value)));
  // Each visit renders into a box of its own, so a slow page that finishes after the
  // operator moved on draws nothing over the page they went to.
  const box = h("div", {}, h("p", { className: "empty" }, "Loading…"));
  const visit = ++visits;
  replace(view, box);
  try {
    const stop = (await page()(box, parameters, { scope, notify, fail, go })) ?? null;
    if (visit === visits) leave = stop;
    else stop?.();
  } catch (error) {
    if (visit !== visits) return;
    replace(box);
    fail(error);
  }
}

/** Goes to `hash`, with `message` shown there as a refusal. */
function go(hash, message = "") {
  carried = message;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function signOut(message) {
  visits += 1;
  leave?.();
  leave = null;
  forgetKey();
  scope.tenant = null;
  replace(view);
  nav.hidden = true;
  signIn.hidden = false;
  notify(message ?? "", Boolean(message));
  document.getElementById("admin-key").focus();
}

async function submitSignIn(event) {
  event.preventDefault();
  const form = event.target;
  const key = form.elements.key.value.trim();
  const tenant = form.elements.tenant.value.trim();
  showFieldErrors(form, {});
  if (key === "") {
    showFieldErrors(form, { key: ["Paste an admin key."] });
    return;
  }
  setKey(key);
  try {
    try {
      await admin("GET", "/tenants?limit=1");
      scope.tenant = null;
    } catch (error) {
      // A tenant-scoped key may not list tenants; the API does not say which tenant it
      // reaches, so the operator names it, and the answer for that tenant decides.
      if (!(error instanceof APIError) || error.status !== 403) throw error;
      if (tenant === "") {
        forgetKey();
        showFieldErrors(form, { tenant: ["This key is limited to one tenant: type that tenant's slug."] });
        return;
      }
      try {
        await admin("GET", `/tenants/${segment(tenant)}`);
      } catch (inner) {
        if (!(inner instanceof APIError) || inner.status !== 403) throw inner;
        forgetKey();
        showFieldErrors(form, { tenant: [`This key does not reach tenant “${tenant}”.`] });
        return;
      }
      scope.tenant = tenant;
    }
  } catch (error) {
    forgetKey();
    showFieldErrors(form, error instanceof APIError && error.status === 401 ? { key: [explain(error)] } : {});
    if (!(error instanceof APIError && error.status === 401)) notify(explain(error), true);
    return;
  }
  form.reset();
  signIn.hidden = true;
  nav.hidden = false;
  document.getElementById("scope").textContent = scope.tenant === null ? "Global key: every tenant" : `Key limited to tenant ${scope.tenant}`;
  document.getElementById("nav-tenants").textContent = scope.tenant === null ? "Tenants" : "Tenant";
  document.getElementById("nav-tenants").setAttribute("href", home());
  go(home());
  document.getElementById("main").focus();
}

document.getElementById("sign-in-form").addEventListener("submit", submitSignIn);
document.getElementById("sign-out").addEventListener("click", () => signOut("Signed out: the key is forgotten."));
window.addEventListener("hashchange", route);
document.getElementById("admin-key").focus();
