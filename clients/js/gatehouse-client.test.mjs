// Tests of gatehouse-client.js: `node --test clients/js/`. The "fake realm" tests always run;
// the others run against a live Gatehouse given by:
//
//   GATEHOUSE_URL=http://127.0.0.1:8080    the server
//   GATEHOUSE_BASE=/t/demo/prod            a realm in body mode (`refresh_cookie` off)
//   GATEHOUSE_USERNAME, GATEHOUSE_PASSWORD a user of that realm's tenant
//   GATEHOUSE_COOKIE_BASE=/t/web/prod      optional: a realm with `refresh_cookie: true`
//   GATEHOUSE_COOKIE_USERNAME, GATEHOUSE_COOKIE_PASSWORD  its user, default the ones above
//
// Throttles should be off on both realms (a run logs in 6 times and refreshes about 8 times).
// Without GATEHOUSE_URL (or without GATEHOUSE_COOKIE_BASE) those suites are skipped.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseClient, GatehouseError } from './gatehouse-client.js';

const env = process.env;
const server = env.GATEHOUSE_URL?.replace(/\/+$/, '');
const live = server && env.GATEHOUSE_BASE && env.GATEHOUSE_USERNAME && env.GATEHOUSE_PASSWORD;
const skipBody = live ? false : 'set GATEHOUSE_URL, GATEHOUSE_BASE, GATEHOUSE_USERNAME and GATEHOUSE_PASSWORD';
const skipCookie = skipBody || (env.GATEHOUSE_COOKIE_BASE ? false : 'set GATEHOUSE_COOKIE_BASE to a cookie-mode realm');
const user = env.GATEHOUSE_USERNAME;
const password = env.GATEHOUSE_PASSWORD;
const cookieUser = env.GATEHOUSE_COOKIE_USERNAME ?? user;
const cookiePassword = env.GATEHOUSE_COOKIE_PASSWORD ?? password;

// The client must never put a token where a page's other scripts can read it.
for (const name of ['localStorage', 'sessionStorage']) {
  Object.defineProperty(globalThis, name, { get() { throw new Error(`the client touched ${name}`); }, configurable: true });
}

/** A fetch that records every call (and the JSON each answered) before passing it on. */
function recordingFetch(inner = globalThis.fetch) {
  const calls = [];
  const recording = async (url, init = {}) => {
    const call = { url: String(url), init, status: 0, answer: undefined };
    calls.push(call);
    const response = await inner(url, init);
    call.status = response.status;
    call.answer = await response.clone().json().catch(() => undefined);
    return response;
  };
  recording.calls = calls;
  recording.jar = inner.jar;
  recording.to = (suffix) => calls.filter((c) => new URL(c.url).pathname.endsWith(suffix));
  return recording;
}

/**
 * A fetch with a cookie jar, as a browser would keep it for `credentials: 'include'` (Node's
 * fetch keeps none). The cookies are `Secure`; like a browser on localhost, the jar sends them
 * over http to this test server.
 */
function cookieJarFetch(inner = globalThis.fetch) {
  const jar = new Map(); // name -> {value, path, attributes}
  const withJar = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.credentials === 'include') {
      const path = new URL(url).pathname;
      const cookies = [...jar].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
      if (cookies.length) headers.set('Cookie', cookies.join('; '));
    }
    const response = await inner(url, { ...init, headers });
    if (init.credentials === 'include') {
      for (const line of response.headers.getSetCookie()) {
        const [pair, ...attributes] = line.split(/;\s*/);
        const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
        const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? '/';
        if (attributes.some((a) => /^max-age=0$/i.test(a))) jar.delete(name);
        else jar.set(name, { value, path, attributes });
      }
    }
    return response;
  };
  withJar.jar = jar;
  return withJar;
}

const realm = (base) => `${server}${base}`;
const me = async (client) => {
  const response = await client.request('/api/me/');
  assert.equal(response.status, 200, `me answered ${response.status}`);
  return response.json();
};

describe('body mode', { skip: skipBody }, () => {
  const baseUrl = realm(env.GATEHOUSE_BASE);

  test('login, then me with the access token', async () => {
    const client = new GatehouseClient({ baseUrl });
    await client.login(user, password);
    assert.equal((await me(client)).username, user);
    assert.equal(client.loggedIn, true);
  });

  test('a wrong password is a GatehouseError 401 no_active_account', async () => {
    const client = new GatehouseClient({ baseUrl });
    await assert.rejects(client.login(user, `${password}-wrong`), (e) =>
      e instanceof GatehouseError && e.status === 401 && e.code === 'no_active_account');
  });

  test('ten concurrent requests with a dead access token share one refresh, and rotation is followed', async () => {
    const fetch = recordingFetch();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login(user, password);
    for (let round = 1; round <= 2; round++) {
      client._setTokensForTesting({ access: 'garbage' });
      const answers = await Promise.all(Array.from({ length: 10 }, () => client.request('/api/me/')));
      assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
      assert.equal(fetch.to('/api/token/refresh/').length, round, `refreshes after round ${round}`);
    }
    const [login] = fetch.to('/api/token/');
    const [first, second] = fetch.to('/api/token/refresh/');
    // The second refresh presents the token the first answered (the login's one is spent).
    assert.equal(JSON.parse(first.init.body).refresh, login.answer.refresh);
    assert.equal(JSON.parse(second.init.body).refresh, first.answer.refresh);
    assert.notEqual(first.answer.refresh, login.answer.refresh);
    assert.equal(fetch.to('/api/me/').length, 40); // each request: the 401, then the retry
  });

  test('a failed refresh surfaces as a GatehouseError to every waiting caller, and logs out', async () => {
    const fetch = recordingFetch();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login(user, password);
    client._setTokensForTesting({ access: 'garbage', refresh: 'garbage' });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.request('/api/me/')));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof GatehouseError);
      assert.equal(result.reason.status, 401);
      assert.equal(result.reason.code, 'token_not_valid');
      assert.match(result.reason.message, /session expired/);
    }
    assert.equal(fetch.to('/api/token/refresh/').length, 1);
    assert.equal(client.loggedIn, false);
    await assert.rejects(client.request('/api/me/'), (e) => e.code === 'not_logged_in');
  });

  test('logout blacklists the refresh token and forgets both tokens', async () => {
    const fetch = recordingFetch();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login(user, password);
    await client.logout();
    const [logout] = fetch.to('/api/logout/');
    assert.equal(logout.status, 205);
    assert.equal(client.loggedIn, false);
    await assert.rejects(client.request('/api/me/'), (e) => e instanceof GatehouseError && e.code === 'not_logged_in');
    const refresh = fetch.to('/api/token/')[0].answer.refresh;
    const again = await globalThis.fetch(`${baseUrl}/api/token/refresh/`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh }),
    });
    assert.equal(again.status, 401);
    await client.logout(); // logged out already: nothing to do
  });
});

describe('cookie mode', { skip: skipCookie }, () => {
  const baseUrl = realm(env.GATEHOUSE_COOKIE_BASE);
  const base = new URL(baseUrl).pathname;
  const newClient = (fetch, csrfToken = () => fetch.jar.get('gh_csrf')?.value) =>
    new GatehouseClient({ baseUrl, fetch, cookieMode: true, csrfToken });

  test('login, one shared refresh from the cookie, a page reload, the CSRF check, logout', async () => {
    const recording = recordingFetch(cookieJarFetch());
    const jar = recording.jar;
    const client = newClient(recording);
    await client.login(cookieUser, cookiePassword);
    const [login] = recording.to('/api/token/');
    assert.deepEqual(Object.keys(login.answer), ['access']);
    assert.equal(login.init.credentials, 'include');
    const refresh = jar.get('gh_refresh');
    assert.equal(refresh.path, `${base}/api/`);
    assert.ok(['HttpOnly', 'Secure', 'SameSite=Strict'].every((a) => refresh.attributes.includes(a)), refresh.attributes.join('; '));
    assert.equal(jar.get('gh_csrf').path, `${base}/`);
    assert.ok(!jar.get('gh_csrf').attributes.includes('HttpOnly'));
    assert.equal((await me(client)).username, cookieUser);

    const csrf = jar.get('gh_csrf').value;
    client._setTokensForTesting({ access: 'garbage' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.request('/api/me/')));
    assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
    const refreshes = recording.to('/api/token/refresh/');
    assert.equal(refreshes.length, 1);
    const sent = new Headers(refreshes[0].init.headers);
    assert.equal(refreshes[0].init.credentials, 'include');
    assert.equal(sent.get('X-CSRF-Token'), csrf);
    assert.notEqual(jar.get('gh_csrf').value, csrf, 'each refresh sets a new CSRF cookie');
    assert.equal(JSON.parse(refreshes[0].init.body).refresh, undefined);
    assert.deepEqual(Object.keys(refreshes[0].answer), ['access']);
    assert.notEqual(jar.get('gh_refresh').value, refresh.value, 'the refresh cookie rotates');

    // A page reload: a new client with no access token refreshes from the cookie.
    const reloaded = newClient(recording);
    assert.equal((await me(reloaded)).username, cookieUser);

    // Without the matching X-CSRF-Token the cookie does not count: 403 csrf_failed.
    const forged = newClient(recording, () => 'not-the-csrf-cookie');
    await assert.rejects(forged.request('/api/me/'), (e) => e instanceof GatehouseError && e.status === 403 && e.code === 'csrf_failed');

    // Logout expires both cookies; the session is over.
    await reloaded.logout();
    assert.equal(recording.to('/api/logout/').at(-1).status, 205);
    assert.equal(jar.has('gh_refresh'), false);
    assert.equal(jar.has('gh_csrf'), false);
    const after = newClient(recording);
    await assert.rejects(after.request('/api/me/'), (e) => e instanceof GatehouseError && e.code === 'not_logged_in');
  });
});

// Without a server: the client's own logic against a fake realm (body mode, rotation on,
// reuse of a spent refresh token fails), so these run everywhere.
describe('against a fake realm', () => {
  const baseUrl = 'https://auth.example.test/t/demo/prod';
  function fakeRealm() {
    let serial = 0;
    const live = { access: new Set(), refresh: new Set() };
    const issue = () => {
      serial += 1;
      live.access.add(`a${serial}`); live.refresh.add(`r${serial}`);
      return { access: `a${serial}`, refresh: `r${serial}` };
    };
    const json = (status, body) => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    const realmFetch = async (url, init = {}) => {
      if (!url.startsWith(baseUrl)) return json(200, {}); // another service: the test looks at what it was sent
      const path = new URL(url).pathname;
      const body = init.body ? JSON.parse(init.body) : {};
      const bearer = new Headers(init.headers).get('Authorization')?.replace(/^Bearer /, '');
      if (path.endsWith('/api/token/')) return body.password === 'pw' ? json(200, issue()) : json(401, { code: 'no_active_account', detail: 'No active account' });
      if (path.endsWith('/api/token/refresh/')) {
        await new Promise((resolve) => setTimeout(resolve, 30)); // long enough for every caller to pile up
        if (realmFetch.networkDown) throw new TypeError('fetch failed');
        if (!live.refresh.delete(body.refresh)) return json(401, { code: 'token_not_valid', detail: 'Token is blacklisted' });
        return json(200, issue());
      }
      if (!live.access.has(bearer)) {
        if (bearer === 'slow-garbage') await realmFetch.slowAnswer; // held until the test lets it go
        return json(401, { code: 'token_not_valid', detail: 'Given token not valid' });
      }
      if (path.endsWith('/api/me/')) return json(200, { id: 'u1', username: 'alice', role: 'user' });
      if (path.endsWith('/api/logout/')) return live.refresh.delete(body.refresh) ? json(205) : json(401, { code: 'token_not_valid' });
      return json(404, { code: 'not_found' });
    };
    const recording = recordingFetch(realmFetch);
    recording.realm = realmFetch;
    return recording;
  }

  test('a 401 arriving after a failed refresh ended the session rejects with that refresh\'s error', async () => {
    const fetch = fakeRealm();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login('alice', 'pw');
    let answerLate;
    fetch.realm.slowAnswer = new Promise((resolve) => { answerLate = resolve; });
    client._setTokensForTesting({ access: 'garbage', refresh: 'spent' });
    const early = client.request('/api/me/');
    client._setTokensForTesting({ access: 'slow-garbage' });
    const late = client.request('/api/me/');
    client._setTokensForTesting({ access: 'garbage' });
    // The late 401 is answered only once the failed refresh has ended the session (a timer
    // here raced the refresh on a loaded machine).
    await Promise.allSettled([early]);
    answerLate();
    const results = await Promise.allSettled([early, late]);
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.equal(result.reason.code, 'token_not_valid');
    }
    assert.equal(fetch.to('/api/token/refresh/').length, 1);
  });

  test('one refresh for many concurrent 401s, then the rotated refresh token', async () => {
    const fetch = fakeRealm();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login('alice', 'pw');
    for (const round of [1, 2]) {
      client._setTokensForTesting({ access: 'garbage' });
      const answers = await Promise.all(Array.from({ length: 10 }, () => client.request('/api/me/')));
      assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
      assert.equal(fetch.to('/api/token/refresh/').length, round);
    }
    assert.deepEqual(fetch.to('/api/token/refresh/').map((c) => JSON.parse(c.init.body).refresh), ['r1', 'r2']);
  });

  test('a failed refresh rejects every caller with the server\'s code, then not_logged_in', async () => {
    const fetch = fakeRealm();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login('alice', 'pw');
    client._setTokensForTesting({ access: 'garbage', refresh: 'spent' });
    const results = await Promise.allSettled([client.request('/api/me/'), client.request('/api/me/')]);
    assert.deepEqual(results.map((r) => r.reason?.code), ['token_not_valid', 'token_not_valid']);
    assert.equal(fetch.to('/api/token/refresh/').length, 1);
    await assert.rejects(client.request('/api/me/'), (e) => e.code === 'not_logged_in' && e.status === 401);
  });

  test('a network error during a refresh keeps the session for the next try', async () => {
    const fetch = fakeRealm();
    const client = new GatehouseClient({ baseUrl, fetch });
    await client.login('alice', 'pw');
    client._setTokensForTesting({ access: 'garbage' });
    fetch.realm.networkDown = true;
    await assert.rejects(client.request('/api/me/'), (e) => e instanceof GatehouseError && e.status === 0 && /fetch failed/.test(e.message));
    assert.equal(client.loggedIn, true);
    fetch.realm.networkDown = false;
    assert.equal((await client.request('/api/me/')).status, 200);
  });

  test('logout sends the current refresh token; other URLs get the Bearer token but never the CSRF header', async () => {
    const fetch = fakeRealm();
    const client = new GatehouseClient({ baseUrl, fetch, cookieMode: false });
    await client.login('alice', 'pw');
    client._setTokensForTesting({ access: 'garbage' });
    await client.logout(); // 401, refresh (r1 -> r2), retry with r2
    assert.deepEqual(fetch.to('/api/logout/').map((c) => [c.status, JSON.parse(c.init.body).refresh]), [[401, 'r1'], [205, 'r2']]);
    const cookieClient = new GatehouseClient({ baseUrl, fetch, cookieMode: true, csrfToken: () => 'csrf' });
    cookieClient._setTokensForTesting({ access: 'a-token' });
    await cookieClient.request('https://api.example.test/orders');
    const [other] = fetch.calls.filter((c) => c.url.startsWith('https://api.example.test/'));
    const headers = new Headers(other.init.headers);
    assert.equal(headers.get('Authorization'), 'Bearer a-token');
    assert.equal(headers.get('X-CSRF-Token'), null);
    assert.equal(other.init.credentials, undefined);
  });
});
