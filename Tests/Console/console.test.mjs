// The console's pure logic under node's test runner: reading /metrics into rates, the key
// ring's timeline, and the settings form. `node --test Tests/Console/`.

import assert from "node:assert/strict";
import { test } from "node:test";

import { classify, History, parse, rates, totals } from "../../Sources/GatehouseHTTP/Console/Assets/metrics.js";
import { changes, display, fieldErrors, parse as parseSetting, SETTINGS } from "../../Sources/GatehouseHTTP/Console/Assets/settings.js";
import { layout, retention } from "../../Sources/GatehouseHTTP/Console/Assets/timeline.js";

const METRICS = `# HELP gatehouse_http_requests_total HTTP requests answered, by method, route template and status.
# TYPE gatehouse_http_requests_total counter
gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token",status="200"} 7
gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token",status="401"} 2
gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token/refresh",status="200"} 5
gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token/sliding/refresh",status="200"} 1
gatehouse_http_requests_total{method="GET",route="/t/{tenant}/{environment}/api/me",status="403"} 1
gatehouse_http_requests_total{method="POST",route="/t/{tenant}/{environment}/api/token",status="429"} 3
gatehouse_http_requests_total{method="GET",route="/admin/v1/tenants",status="401"} 9
gatehouse_http_requests_total{method="GET",route="/metrics",status="200"} 40
gatehouse_http_request_duration_seconds_bucket{method="GET",route="/metrics",status="200",le="0.001"} 40
not a sample
`;

test("parse reads names, labels and values and skips comments", () => {
  const samples = parse(METRICS);
  assert.equal(samples.length, 9);
  assert.deepEqual(samples[0], {
    name: "gatehouse_http_requests_total",
    labels: { method: "POST", route: "/t/{tenant}/{environment}/api/token", status: "200" },
    value: 7,
  });
  assert.deepEqual(parse('m{a="x\\"y"} 1.5')[0].labels, { a: 'x"y' });
});

test("classify counts realm logins, refreshes and refusals, and 429s anywhere", () => {
  assert.equal(classify({ method: "POST", route: "/t/{tenant}/{environment}/api/token", status: "200" }), "logins");
  assert.equal(classify({ method: "POST", route: "/t/{tenant}/{environment}/api/token/sliding", status: "200" }), "logins");
  assert.equal(classify({ method: "POST", route: "/t/{tenant}/{environment}/api/token/refresh", status: "200" }), "refreshes");
  assert.equal(classify({ method: "POST", route: "/t/{tenant}/{environment}/api/token/verify", status: "200" }), null);
  assert.equal(classify({ method: "GET", route: "/admin/v1/tenants", status: "401" }), null);
  assert.equal(classify({ method: "GET", route: "/admin/v1/tenants", status: "429" }), "throttled");
});

test("totals sum the series of one reading", () => {
  assert.deepEqual(totals(METRICS), { logins: 7, refreshes: 6, failures: 3, throttled: 3 });
});

test("rates divide growth by seconds and restart from zero after a reset", () => {
  const before = { at: 0, totals: { logins: 10, refreshes: 4, failures: 0, throttled: 5 } };
  const after = { at: 2000, totals: { logins: 16, refreshes: 4, failures: 2, throttled: 1 } };
  assert.deepEqual(rates(before, after), { logins: 3, refreshes: 0, failures: 1, throttled: 0.5 });
});

test("History keeps the last readings' rates, oldest first", () => {
  const history = new History(2);
  assert.equal(history.add(0, METRICS), null);
  assert.equal(history.peak(), 1);
  const grown = METRICS.replace('status="200"} 7', 'status="200"} 17');
  assert.equal(history.add(1000, grown).logins, 10);
  history.add(2000, grown);
  history.add(3000, grown);
  assert.equal(history.points.length, 2);
  assert.deepEqual(history.points.map((point) => point.at), [2000, 3000]);
});

test("retention is the longest lifetime plus the leeway, sliding only when on", () => {
  assert.equal(retention({ access_token_lifetime: 900, refresh_token_lifetime: 3600, leeway: 30 }), 3630);
  assert.equal(retention({ access_token_lifetime: 900, refresh_token_lifetime: 600, leeway: 0, sliding_tokens: true, sliding_token_lifetime: 1200 }), 1200);
  assert.equal(retention({ access_token_lifetime: 900, refresh_token_lifetime: 600, leeway: 0, sliding_tokens: false, sliding_token_lifetime: 1200 }), 900);
});

test("layout draws each key's states as spans and marks activations and retention ends", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const settings = { access_token_lifetime: 600, refresh_token_lifetime: 3000, leeway: 0 };
  const plan = layout(
    [
      { kid: "old", alg: "ES256", state: "retiring", created_at: "2026-01-01T09:00:00Z", activated_at: "2026-01-01T09:00:00Z", retiring_at: "2026-01-01T11:00:00Z" },
      { kid: "cur", alg: "ES256", state: "active", created_at: "2026-01-01T10:00:00Z", activated_at: "2026-01-01T11:00:00Z" },
      { kid: "new", alg: "EdDSA", state: "next", created_at: "2026-01-01T11:30:00Z", activate_at: "2026-01-01T13:00:00Z" },
      { kid: "bad", alg: "ES256", state: "revoked", created_at: "2026-01-01T10:30:00Z", revoked_at: "2026-01-01T10:45:00Z" },
    ],
    settings,
    now,
  );
  const [old, cur, next, bad] = plan.rows;
  assert.deepEqual(old.spans.map((span) => [span.state, span.open]), [["next", false], ["active", false], ["retiring", true]]);
  assert.deepEqual(old.marks, [{ kind: "retention-end", at: Date.parse("2026-01-01T11:50:00Z") }]);
  assert.deepEqual(cur.spans.map((span) => span.state), ["next", "active"]);
  assert.equal(cur.spans[0].to, Date.parse("2026-01-01T11:00:00Z"));
  assert.equal(cur.spans[1].to, now);
  assert.deepEqual(next.spans, [{ state: "next", from: Date.parse("2026-01-01T11:30:00Z"), to: now, open: true }]);
  assert.deepEqual(next.marks, [{ kind: "activation", at: Date.parse("2026-01-01T13:00:00Z") }]);
  assert.deepEqual(bad.spans.map((span) => [span.state, span.open]), [["next", false]]);
  assert.deepEqual(bad.marks, [{ kind: "revoked", at: Date.parse("2026-01-01T10:45:00Z") }]);
  assert.equal(plan.start, Date.parse("2026-01-01T09:00:00Z"));
  assert.ok(plan.end > Date.parse("2026-01-01T13:00:00Z"));
});

test("settings: display, parse and the changes to send", () => {
  const byName = Object.fromEntries(SETTINGS.map((setting) => [setting.name, setting]));
  assert.equal(display(byName.audience, null), "");
  assert.equal(display(byName.cors_allowed_origins, ["https://a", "https://b"]), "https://a\nhttps://b");
  assert.equal(parseSetting(byName.audience, "  "), null);
  assert.equal(parseSetting(byName.access_token_lifetime, "600"), 600);
  assert.equal(parseSetting(byName.access_token_lifetime, "ten"), "ten");
  assert.equal(parseSetting(byName.key_rotation_period, ""), null);
  const current = { access_token_lifetime: 900, audience: null, cors_allowed_origins: [], refresh_cookie: false, algorithm: "ES256" };
  assert.deepEqual(
    changes(current, { access_token_lifetime: "900", audience: "", cors_allowed_origins: "https://a\n\n", refresh_cookie: true, algorithm: "ES256" }),
    { cors_allowed_origins: ["https://a"], refresh_cookie: true },
  );
});

test("settings: the admin API's refusal is mapped to the field it names", () => {
  assert.deepEqual(fieldErrors({ fields: { "settings.leeway": ["must be at most 300"] }, detail: "settings.leeway: must be at most 300" }), {
    leeway: ["must be at most 300"],
  });
  assert.deepEqual(fieldErrors({ detail: "sliding_token_lifetime must be shorter" }), { sliding_token_lifetime: ["sliding_token_lifetime must be shorter"] });
  assert.deepEqual(fieldErrors({ fields: { settings: ["must be an object"] } }), { "": ["must be an object"] });
});
