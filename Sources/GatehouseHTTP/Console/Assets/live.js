// A live chart of this instance's logins, refreshes, failures and 429s per second, from
// the deltas of /metrics read every second.

import { metrics } from "./api.js";
import { h, replace, s } from "./dom.js";
import { History, SERIES } from "./metrics.js";

const WIDTH = 600;
const HEIGHT = 200;
const PAD = 30;

function chart(history) {
  const peak = history.peak();
  const span = history.capacity - 1;
  const x = (index) => PAD + (index / span) * (WIDTH - PAD - 4);
  const y = (rate) => HEIGHT - PAD + 4 - (rate / peak) * (HEIGHT - PAD - 4);
  const offset = history.capacity - history.points.length;
  return s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, className: "chart", role: "img", "aria-label": "Requests per second over the last minute" },
    s("line", { x1: PAD, x2: WIDTH, y1: y(0), y2: y(0), className: "axis" }),
    s("line", { x1: PAD, x2: WIDTH, y1: y(peak), y2: y(peak), className: "axis" }),
    s("text", { x: 0, y: y(peak) + 4 }, peak >= 10 ? Math.round(peak) : peak.toFixed(1)),
    s("text", { x: 0, y: y(0) + 4 }, "0"),
    s("text", { x: PAD, y: HEIGHT - 4 }, "60 s ago"),
    s("text", { x: WIDTH - 4, y: HEIGHT - 4, "text-anchor": "end" }, "now"),
    SERIES.map(({ name }) =>
      s("polyline", { className: `line-${name}`, points: history.points.map((point, index) => `${x(index + offset).toFixed(1)},${y(point[name]).toFixed(1)}`).join(" ") }),
    ),
  );
}

/** `#/live`; answers the function that stops the polling when the page is left. */
export async function page(view, _, context) {
  const history = new History(60);
  const figure = h("div", { id: "live-chart" });
  const numbers = h("div", { className: "counts", id: "live-rates" });
  const state = h("p", { id: "live-state" }, "Reading /metrics…");

  async function tick() {
    const text = await metrics();
    if (text === null) {
      state.textContent = "Gatehouse did not answer /metrics; retrying every second.";
      state.className = "field-error";
      return;
    }
    state.className = "";
    const point = history.add(Date.now(), text);
    state.textContent = point ? `Updated ${new Date(point.at).toLocaleTimeString()}.` : "First reading taken; rates follow.";
    if (point) {
      replace(numbers, SERIES.map(({ name, label }) => h("div", { "data-series": name }, h("strong", {}, point[name].toFixed(1)), `${label} /s`)));
    }
    replace(figure, chart(history));
  }

  replace(
    view,
    h("h1", {}, "Live: this instance"),
    h("p", {}, "Per second, from the growth of gatehouse_http_requests_total between readings: logins and refreshes answered 200, realm answers 401 or 403, and 429s anywhere. Other instances count their own."),
    h("ul", { className: "legend" }, SERIES.map(({ name, label }) => h("li", { className: `series-${name}` }, label))),
    figure,
    numbers,
    state,
  );
  await tick();
  const timer = setInterval(tick, 1000);
  context.notify("");
  return () => clearInterval(timer);
}
