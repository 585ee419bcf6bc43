// The admin API, with the operator's key. The key lives in this module's variable only:
// never in the URL, cookies, web storage or the console's log, and it is gone with the tab.

let adminKey = null;

/** Why a call failed, with the contract's `code`, `detail` and per-field reasons. */
export class APIError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? (status === 0 ? "unreachable" : "unexpected");
    this.detail = body?.detail ?? "";
    this.fields = body?.fields ?? {};
  }
}

export function setKey(key) {
  adminKey = key;
}

export function forgetKey() {
  adminKey = null;
}

export function hasKey() {
  return adminKey !== null;
}

/** `/admin/v1{path}`; answers the JSON body (null for 204) or throws an ``APIError``. */
export async function admin(method, path, body) {
  const headers = { Authorization: `Bearer ${adminKey}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`/admin/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new APIError(0, { detail: "Gatehouse did not answer: is it running, and is this the right address?" });
  }
  if (response.status === 204) return null;
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok) throw new APIError(response.status, answer);
  return answer;
}

/** `/metrics` as text, or null when Gatehouse does not answer. */
export async function metrics() {
  try {
    const response = await fetch("/metrics", { cache: "no-store", credentials: "omit" });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

/** A path segment. */
export const segment = encodeURIComponent;

/** A query string of the values that are set. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A sentence for the operator about a failed call. */
export function explain(error) {
  if (!(error instanceof APIError)) return `Something went wrong in the console: ${error}`;
  switch (error.status) {
    case 0:
      return error.detail;
    case 401:
      return "The admin key was refused: it was revoked, or mistyped. Sign in again with a valid key.";
    case 403:
      return "This admin key does not reach that: it is limited to one tenant, and this needs another tenant or a global key.";
    case 404:
      return `Not found: ${error.detail}`;
    case 503:
      return "Gatehouse cannot reach its database right now; try again in a moment.";
    default:
      return error.detail || `The request failed (HTTP ${error.status}).`;
  }
}
