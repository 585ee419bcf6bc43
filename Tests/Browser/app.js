// A browser client of one realm in cookie mode (contract section 7), as a single-page app
// would write it: the access token in memory, the refresh token only ever in the HttpOnly
// gh_refresh cookie, and the gh_csrf cookie repeated in X-CSRF-Token on every use of it.
// The browser test drives these functions through window.gatehouse.

const state = { base: "", access: null };

function csrf() {
  const pair = document.cookie.split("; ").find((cookie) => cookie.startsWith("gh_csrf="));
  return pair ? pair.slice("gh_csrf=".length) : "";
}

async function call(path, { method = "POST", body, bearer, withCSRF = true } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (withCSRF) headers["X-CSRF-Token"] = csrf();
  const response = await fetch(state.base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "include",
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

window.gatehouse = {
  /** Points the client at a realm, `/t/{tenant}/{env}` here or a full URL on another origin. */
  use(base) {
    state.base = base;
  },
  async login(username, password) {
    const answer = await call("/api/token/", { body: { username, password }, withCSRF: false });
    state.access = answer.body.access ?? null;
    return answer;
  },
  async me() {
    return call("/api/me/", { method: "GET", bearer: state.access, withCSRF: false });
  },
  async refresh({ withCSRF = true } = {}) {
    const answer = await call("/api/token/refresh/", { body: {}, withCSRF });
    if (answer.status === 200) state.access = answer.body.access;
    return answer;
  },
  async logout() {
    return call("/api/logout/", { body: {}, bearer: state.access });
  },
  cookies() {
    return document.cookie;
  },
};

document.getElementById("state").textContent = "ready";
