// gatehouse-client.js: a small browser and Node (>= 18) client for one Gatehouse realm.
// One ES module, no dependencies, `fetch` only.
//
//   import { GatehouseClient } from './gatehouse-client.js';
//   const auth = new GatehouseClient({ baseUrl: 'https://auth.example.com/t/demo/prod' });
//   await auth.login('alice', password);
//   const me = await (await auth.request('/api/me/')).json();           // a realm path
//   const orders = await auth.request('https://api.example.com/orders'); // or any URL
//   await auth.logout();
//
// The access token lives in memory only (never localStorage: a page's scripts, an XSS
// included, could read it there). `request` adds `Authorization: Bearer <access>`; on a 401 it
// refreshes once and retries once. Concurrent callers share one refresh in flight, which
// matters: with rotation on, a refresh token presented twice is a theft signal that revokes
// the whole login.
//
// Body mode (the default): the refresh token is kept in memory too, sent as
// `{"refresh": ...}`, and replaced by the new one each refresh answers (rotation). A page
// reload means logging in again.
//
// Cookie mode (`cookieMode: true`, for realms with the `refresh_cookie` setting): the refresh
// token is the HttpOnly `gh_refresh` cookie, out of the page's reach; the client sends
// `credentials: 'include'` and the `X-CSRF-Token` header repeating the readable `gh_csrf`
// cookie, and login and refresh answer `{"access"}` only. After a page reload the first
// `request` refreshes from the cookie, so the session survives. Across origins the realm's
// `cors_allowed_origins` must list the page's origin.

/** An error from Gatehouse (or from using the client wrong), with the answer's status and code. */
export class GatehouseError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, code?: string, detail?: string}} [info]
   */
  constructor(message, { status = 0, code = 'client_error', detail } = {}) {
    super(message);
    this.name = 'GatehouseError';
    /** HTTP status, or 0 when no answer came. */ this.status = status;
    /** Gatehouse's `code` (`token_not_valid`, `csrf_failed`, ...) or `not_logged_in`. */ this.code = code;
    /** Gatehouse's `detail`. */ this.detail = detail;
  }
}

/** Reads a cookie of `document.cookie` (browsers); undefined elsewhere. */
function documentCookie(name) {
  if (typeof document === 'undefined') return undefined;
  const found = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return found && decodeURIComponent(found.slice(name.length + 1));
}

export class GatehouseClient {
  #base; #fetch; #cookieMode; #csrfToken;
  #access = null; // the access token, in memory only
  #refresh = null; // body mode's refresh token, in memory only
  #refreshing = null; // the refresh in flight, shared by every caller
  #ended = null; // the refresh error that ended the session, for callers that were waiting on it

  /**
   * @param {object} options
   * @param {string} options.baseUrl The realm, e.g. `https://auth.example.com/t/demo/prod`.
   * @param {typeof fetch} [options.fetch] The fetch to use (default `globalThis.fetch`).
   * @param {boolean} [options.cookieMode] The realm has `refresh_cookie: true`.
   * @param {() => (string|undefined)} [options.csrfToken] Cookie mode: answers the `gh_csrf`
   *   cookie's value (default: read from `document.cookie`; pass one outside browsers).
   */
  constructor({ baseUrl, fetch: fetchFn, cookieMode = false, csrfToken } = {}) {
    if (!baseUrl) throw new GatehouseError('baseUrl is required');
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchFn ?? globalThis.fetch.bind(globalThis);
    this.#cookieMode = cookieMode;
    this.#csrfToken = csrfToken ?? (() => documentCookie('gh_csrf'));
  }

  /** True while the client holds tokens in memory. */
  get loggedIn() { return this.#access !== null || this.#refresh !== null; }

  /**
   * Logs in (`POST api/token/`); keeps the tokens in memory (cookie mode: the browser keeps
   * the refresh cookie).
   * @throws {GatehouseError} 401 `no_active_account` on a wrong username or password.
   */
  async login(username, password) {
    const pair = await this.#post('/api/token/', { username, password }, 'login failed');
    this.#keep(pair);
  }

  /**
   * Logs out (`POST api/logout/`): the server blacklists the refresh token (cookie mode: and
   * expires the cookies). The tokens in memory are dropped whatever the answer.
   * @throws {GatehouseError} when the server did not confirm (the session may outlive it).
   */
  async logout() {
    if (!this.#cookieMode && this.#refresh === null) return void (this.#access = null); // nothing to end
    try {
      const url = `${this.#base}/api/logout/`;
      const response = await this.#authorized(url, () => ({
        method: 'POST',
        headers: this.#headers(url, { 'Content-Type': 'application/json' }),
        body: JSON.stringify(this.#cookieMode ? {} : { refresh: this.#refresh }),
      }));
      if (response.status !== 205 && !response.ok) throw await this.#error(response, 'logout failed');
    } finally {
      this.#access = this.#refresh = null;
    }
  }

  /**
   * `fetch` with `Authorization: Bearer <access>`. On a 401 it refreshes (once, shared with
   * every concurrent caller) and retries once; the retry's answer is returned whatever it is.
   * `init.body` is sent twice on a retry: use a string, FormData, Blob or URLSearchParams.
   * @param {string} path A path of the realm (`/api/me/`) or an absolute URL.
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   * @throws {GatehouseError} code `not_logged_in` when there is no session, or the refresh's
   *   error (401 `token_not_valid`: expired, revoked, logged out elsewhere): show the login page.
   */
  request(path, init = {}) {
    const url = /^https?:\/\//.test(path) ? path : `${this.#base}/${path.replace(/^\/+/, '')}`;
    return this.#authorized(url, () => ({ ...init, headers: this.#headers(url, init.headers) }));
  }

  /**
   * Refreshes the access token now (`POST api/token/refresh/`); concurrent calls share one
   * request. Rejects with a GatehouseError; after a 400 or 401 the client is logged out (after
   * a network error, a 429 or a 503 it keeps its tokens, to try again later).
   */
  refresh() {
    this.#refreshing ??= this.#doRefresh().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  /** Test hook: replaces the tokens in memory (e.g. with garbage, to force a refresh). */
  _setTokensForTesting({ access, refresh } = {}) {
    if (access !== undefined) this.#access = access;
    if (refresh !== undefined) this.#refresh = refresh;
  }

  async #authorized(url, makeInit) {
    if (this.#access === null) await this.refresh(); // after logout, or a page reload in cookie mode
    const sent = this.#access;
    const response = await this.#send(url, makeInit(), sent);
    if (response.status !== 401) return response;
    if (this.#access === sent) await this.refresh(); // else another caller refreshed already, or failed to
    // A caller whose 401 came after a failed refresh had ended the session gets that refresh's error.
    if (this.#access === null) throw this.#ended ?? new GatehouseError('not logged in', { status: 401, code: 'not_logged_in' });
    return this.#send(url, makeInit(), this.#access);
  }

  #send(url, init, access) {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${access}`);
    return this.#fetch(url, { ...init, headers, ...this.#credentials(url) });
  }

  async #doRefresh() {
    if (!this.#cookieMode && this.#refresh === null) {
      throw new GatehouseError('not logged in', { status: 401, code: 'not_logged_in' });
    }
    try {
      this.#keep(await this.#post('/api/token/refresh/', this.#cookieMode ? {} : { refresh: this.#refresh }, 'session expired'));
    } catch (error) {
      if (error.status !== 400 && error.status !== 401) throw error; // network, 429, 503: try again later
      this.#access = this.#refresh = null; // the session is over
      // Cookie mode with no refresh cookie (never logged in, or logged out): 400 "refresh required".
      this.#ended = this.#cookieMode && error.status === 400
        ? new GatehouseError('not logged in', { status: 400, code: 'not_logged_in' }) : error;
      throw this.#ended;
    }
  }

  async #post(path, body, what) {
    const url = `${this.#base}${path}`;
    let response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: this.#headers(url, { 'Content-Type': 'application/json' }),
        body: JSON.stringify(body),
        ...this.#credentials(url),
      });
    } catch (error) {
      throw new GatehouseError(`${what}: ${error.message}`);
    }
    if (!response.ok) throw await this.#error(response, what);
    return response.json();
  }

  #keep({ access, refresh }) {
    this.#access = access;
    this.#ended = null;
    if (!this.#cookieMode && refresh) this.#refresh = refresh; // rotation: the old one is spent
  }

  // Cookie mode: the realm's own URLs get the CSRF header and the cookies, no other URL does.
  #ownCookies(url) { return this.#cookieMode && (url === this.#base || url.startsWith(`${this.#base}/`)); }

  #headers(url, extra) {
    const headers = new Headers(extra);
    const csrf = this.#ownCookies(url) ? this.#csrfToken() : undefined;
    if (csrf) headers.set('X-CSRF-Token', csrf);
    return headers;
  }

  #credentials(url) { return this.#ownCookies(url) ? { credentials: 'include' } : {}; }

  async #error(response, what) {
    let body = {};
    try { body = await response.json(); } catch { /* not JSON */ }
    const code = body.code ?? 'http_error';
    return new GatehouseError(`${what}: ${response.status} ${code}${body.detail ? ` (${body.detail})` : ''}`,
      { status: response.status, code, detail: body.detail });
  }
}
