// Rates for the live chart from /metrics: gatehouse_http_requests_total is counted per
// method, route template and status, so each rate is the growth of some of its series
// between two readings, divided by the seconds between them. Pure: tested under node.

/** The series the chart draws, in order. */
export const SERIES = [
  { name: "logins", label: "Logins" },
  { name: "refreshes", label: "Refreshes" },
  { name: "failures", label: "Failures (401/403)" },
  { name: "throttled", label: "Throttled (429)" },
];

const REQUESTS = "gatehouse_http_requests_total";

/** Samples of Prometheus' text format 0.0.4: `[{name, labels, value}]`; comments and malformed lines are skipped. */
export function parse(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line.trim());
    if (!match) continue;
    const labels = {};
    const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let label = pattern.exec(match[3] ?? ""); label; label = pattern.exec(match[3])) {
      labels[label[1]] = label[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    const value = Number(match[4]);
    if (!Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

const LOGIN = /^\/t\/\{[^}]+\}\/\{[^}]+\}\/api\/token(\/sliding)?\/?$/;
const REFRESH = /^\/t\/\{[^}]+\}\/\{[^}]+\}\/api\/token(\/sliding)?\/refresh\/?$/;

/** Which series a request count belongs to, or null. */
export function classify({ method, route, status }) {
  if (status === "429") return "throttled";
  if (!route?.startsWith("/t/")) return null;
  if (status === "401" || status === "403") return "failures";
  if (method === "POST" && status === "200" && LOGIN.test(route)) return "logins";
  if (method === "POST" && status === "200" && REFRESH.test(route)) return "refreshes";
  return null;
}

/** The running totals of each series in a /metrics text. */
export function totals(text) {
  const sums = Object.fromEntries(SERIES.map(({ name }) => [name, 0]));
  for (const sample of parse(text)) {
    if (sample.name !== REQUESTS) continue;
    const series = classify(sample.labels);
    if (series) sums[series] += sample.value;
  }
  return sums;
}

/** Per-second rates between two readings `{at (ms), totals}`; a total that went down (a restart) counts from zero. */
export function rates(before, after) {
  const seconds = (after.at - before.at) / 1000;
  const result = {};
  for (const { name } of SERIES) {
    const grown = after.totals[name] - before.totals[name];
    const delta = grown < 0 ? after.totals[name] : grown;
    result[name] = seconds > 0 ? delta / seconds : 0;
  }
  return result;
}

/** The last `capacity` rates, oldest first. */
export class History {
  constructor(capacity = 60) {
    this.capacity = capacity;
    this.points = [];
    this.last = null;
  }

  /** Adds a reading; answers the new rates, or null for the first reading. */
  add(at, text) {
    const reading = { at, totals: totals(text) };
    const previous = this.last;
    this.last = reading;
    if (!previous) return null;
    const point = { at, ...rates(previous, reading) };
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.shift();
    return point;
  }

  /** The largest rate shown, at least 1, so an idle chart has a scale. */
  peak() {
    let peak = 1;
    for (const point of this.points) for (const { name } of SERIES) peak = Math.max(peak, point[name]);
    return peak;
  }
}
