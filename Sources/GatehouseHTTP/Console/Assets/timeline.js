// The key ring as a timeline: each key's spans as next, active and retiring, with the
// scheduled activations and the ends of retention. `layout` is pure (tested under node);
// `render` draws it as SVG.

import { s } from "./dom.js";

/** Seconds a key that stopped signing keeps verifying: the longest token lifetime plus the leeway (as the scheduler counts). */
export function retention(settings) {
  const lifetimes = [settings.access_token_lifetime ?? 900, settings.refresh_token_lifetime ?? 1209600];
  if (settings.sliding_tokens) lifetimes.push(settings.sliding_token_lifetime ?? 300);
  return Math.max(...lifetimes) + (settings.leeway ?? 30);
}

const time = (value) => (value ? Date.parse(value) : null);

/**
 * Rows of spans and marks for `keys` (the keys list's items), given the environment's
 * settings and the instant `now` (ms). Spans: `{state, from, to, open}` (open: still going
 * at `now`); marks: `{kind: "activation" | "retention-end" | "revoked", at}`.
 */
export function layout(keys, settings, now) {
  const keep = retention(settings) * 1000;
  const rows = keys.map((key) => {
    const created = time(key.created_at) ?? now;
    const activated = time(key.activated_at);
    const retiring = time(key.retiring_at);
    const ended = time(key.revoked_at) ?? time(key.retired_at);
    const scheduled = time(key.activate_at);
    const spans = [];
    const marks = [];
    const close = (to) => (to === null ? { to: now, open: true } : { to, open: false });
    spans.push({ state: "next", from: created, ...close(activated ?? retiring ?? ended) });
    if (activated !== null) spans.push({ state: "active", from: activated, ...close(retiring ?? ended) });
    if (retiring !== null) spans.push({ state: "retiring", from: retiring, ...close(ended) });
    if (key.state === "next" && scheduled !== null) marks.push({ kind: "activation", at: scheduled });
    if (retiring !== null && key.state === "retiring") marks.push({ kind: "retention-end", at: retiring + keep });
    if (time(key.revoked_at) !== null) marks.push({ kind: "revoked", at: time(key.revoked_at) });
    return { kid: key.kid, alg: key.alg, state: key.state, spans: spans.filter((span) => span.to >= span.from), marks };
  });
  let start = now;
  let end = now;
  for (const row of rows) {
    for (const span of row.spans) start = Math.min(start, span.from);
    for (const mark of row.marks) end = Math.max(end, mark.at);
  }
  // A margin after the last instant, so that "now" and the last mark are not on the edge.
  const margin = Math.max((end - start) * 0.05, 60_000);
  return { start, end: end + margin, now, rows };
}

const WIDTH = 800;
const LABEL = 150;
const ROW = 34;
const AXIS = 28;

/** The timeline as an SVG element, scaled to its box (`viewBox`), with a title per span and mark. */
export function render(plan, describe) {
  const height = AXIS + ROW * Math.max(plan.rows.length, 1) + 8;
  const x = (at) => LABEL + ((at - plan.start) / (plan.end - plan.start || 1)) * (WIDTH - LABEL - 10);
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${height}`, className: "timeline", role: "img", "aria-labelledby": "timeline-title" });
  svg.append(s("title", { id: "timeline-title" }, "Key ring timeline: each key's spans as next, active and retiring"));
  for (let i = 0; i <= 4; i += 1) {
    const at = plan.start + ((plan.end - plan.start) * i) / 4;
    svg.append(
      s("line", { x1: x(at), x2: x(at), y1: AXIS - 6, y2: height, className: "grid" }),
      s("text", { x: x(at), y: 14, className: "tick", "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" }, describe(at)),
    );
  }
  plan.rows.forEach((row, index) => {
    const y = AXIS + index * ROW;
    svg.append(s("text", { x: 0, y: y + 20, className: "kid" }, row.kid.length > 18 ? `${row.kid.slice(0, 17)}…` : row.kid));
    for (const span of row.spans) {
      svg.append(
        s(
          "rect",
          { x: x(span.from), y: y + 6, width: Math.max(x(span.to) - x(span.from), 6), height: 20, rx: 3, className: `span span-${span.state}${span.open ? " open" : ""}` },
          s("title", {}, `${row.kid}: ${span.state} from ${describe(span.from)}${span.open ? ", still" : ` to ${describe(span.to)}`}`),
        ),
      );
    }
    for (const mark of row.marks) {
      const at = x(mark.at);
      svg.append(
        s(
          "path",
          { d: `M ${at} ${y + 2} l 6 -6 l -12 0 z M ${at} ${y + 2} L ${at} ${y + 30}`, className: `mark mark-${mark.kind}` },
          s("title", {}, `${row.kid}: ${mark.kind.replace("-", " ")} at ${describe(mark.at)}`),
        ),
      );
    }
  });
  svg.append(s("line", { x1: x(plan.now), x2: x(plan.now), y1: AXIS - 8, y2: height, className: "now" }, s("title", {}, "now")));
  return svg;
}
