// Live line plots (uPlot): material traded per commodity, facilities per prototype, and one plot
// per TimeSeries table with a line per prototype. Each plot is updated in place every step.

import { fill, formatNumber, h } from "./dom.js";
import { isTimeSeries } from "./store.js";

export const PALETTE = ["#2f6fdf", "#e0672b", "#2ca02c", "#b03aa8", "#c79a00", "#17becf", "#d62728", "#7f7f7f", "#8c564b", "#1f3f7f"];

/** A readable name for a TimeSeries table: "TimeSeriesPower" -> "Power", "TimeSeriessupplyuox" -> "supply · uox". */
export function seriesTitle(table) {
  const rest = table.slice("TimeSeries".length) || table;
  const m = /^(supply|demand)(.+)$/.exec(rest);
  return m ? `${m[1]} · ${m[2]}` : rest;
}

/** The unit of a TimeSeries table's Value, as Cycamore records them ("" when not known). */
export function seriesUnit(table) {
  const rest = table.slice("TimeSeries".length);
  if (rest === "Power" || /^(supply|demand)power$/i.test(rest)) return "MWe";
  if (rest === "EnrichmentSWU") return "kg SWU";
  if (rest === "EnrichmentFeed" || /^(supply|demand)/.test(rest)) return "kg";
  return "";
}

/** The x axis of every plot: time steps, ticked with their simulated month. */
const X_LABEL = "simulated month (time step)";

/** TimeSeries tables plotted before the user picks: the ones people look at first. */
const FAVOURITES = ["TimeSeriesPower", "TimeSeriesEnrichmentSWU", "TimeSeriesEnrichmentFeed"];
const DEFAULT_SHOWN = 3;

/** Sum `value(row)` per (group(row), time) into aligned arrays over time steps 0..last. */
function aligned(rows, group, time, value, last, fillValue) {
  const groups = new Map();
  for (const row of rows) {
    const g = group(row);
    const t = time(row);
    if (t < 0 || t > last) continue;
    if (!groups.has(g)) groups.set(g, new Array(last + 1).fill(fillValue));
    const ys = groups.get(g);
    ys[t] = (ys[t] ?? 0) + value(row);
  }
  const labels = [...groups.keys()].sort();
  return { labels, ys: labels.map((l) => groups.get(l)) };
}

/** Every plot the current data supports: [{key, title, unit, labels, ys}]. */
export function plotSpecs(store, shownSeries = null) {
  const last = Math.max(store.latestTime ?? 0, 0);
  const specs = [];
  const flows = store.flows();
  const traded = aligned(flows, (f) => f.commodity, (f) => f.time, (f) => f.quantity, last, 0);
  const massUnit = flows[0]?.units ?? "kg";
  specs.push({ key: "traded", title: "Material traded per time step, by commodity", unit: massUnit,
    yLabel: `${massUnit} per time step`, ...traded });
  const shipped = aligned(flows, (f) => f.sender, (f) => f.time, (f) => f.quantity, last, 0);
  specs.push({ key: "shipped", title: "Material shipped per time step, by sending prototype", unit: massUnit,
    yLabel: `${massUnit} per time step`, ...shipped });

  const exits = store.exits();
  const facilities = store.rows("AgentEntry").filter((a) => a.Kind === "Facility");
  const counts = new Map();
  for (const a of facilities) {
    if (!counts.has(a.Prototype)) counts.set(a.Prototype, new Array(last + 1).fill(0));
    const end = Math.min(exits.get(a.AgentId) ?? last, last);
    for (let t = Math.max(a.EnterTime, 0); t <= end; t++) counts.get(a.Prototype)[t] += 1;
  }
  const labels = [...counts.keys()].sort();
  specs.push({ key: "facilities", title: "Facilities operating, by prototype (stacked)", unit: "", stacked: true,
    yLabel: "facilities", labels, ys: labels.map((l) => counts.get(l)) });

  const agents = store.agents();
  for (const table of [...store.tables.keys()].filter(isTimeSeries).sort()) {
    if (shownSeries && !shownSeries.has(table)) continue;
    const series = aligned(store.rows(table), (r) => agents.get(r.AgentId)?.Prototype ?? `#${r.AgentId}`,
      (r) => r.Time, (r) => r.Value, last, null);
    const unit = seriesUnit(table);
    specs.push({ key: table, title: `${seriesTitle(table)}, by prototype`, unit, yLabel: unit || "value", ...series });
  }
  return specs;
}

/** Running sums of the series, so each line sits on top of the ones before it. */
function stack(ys) {
  const out = [];
  let below = null;
  for (const y of ys) {
    const sum = y.map((v, i) => (v ?? 0) + (below ? below[i] : 0));
    out.push(sum);
    below = sum;
  }
  return out;
}

/** A pale, opaque version of a "#rrggbb" colour for filled areas. */
function lighten(hex, amount = 0.7) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

class PlotCard {
  constructor(store, spec) {
    this.store = store;
    this.key = spec.key;
    this.labelsKey = null;
    this.plot = null;
    this.legendNote = h("span", { class: "plot-note" });
    this.body = h("div", { class: "plot-body" });
    this.el = h("figure", { class: "plot-card", "data-plot": spec.key },
      h("figcaption", {}, h("span", { class: "plot-title" }, spec.title), this.legendNote), this.body);
  }

  update(spec) {
    const xs = Array.from({ length: spec.ys[0]?.length ?? 0 }, (_, i) => i);
    this.raw = spec.ys;
    const data = [xs, ...(spec.stacked ? stack(spec.ys) : spec.ys)];
    const labelsKey = JSON.stringify(spec.labels);
    this.el.dataset.points = String(spec.ys.reduce((n, ys) => n + ys.filter((y) => y !== null).length, 0));
    if (!spec.labels.length) {
      this.plot?.destroy();
      this.plot = null;
      this.labelsKey = null;
      fill(this.body, h("p", { class: "empty" }, "No data yet."));
      return;
    }
    if (this.plot && labelsKey === this.labelsKey) {
      this.plot.setData(this.arrange(data, spec));
      return;
    }
    this.plot?.destroy();
    this.body.replaceChildren();
    this.labelsKey = labelsKey;
    const store = this.store;
    const opts = {
      width: Math.max(this.body.clientWidth, 300),
      height: 220,
      scales: {
        x: { time: false, range: (u, min, max) => [0, Math.max(max, (store.duration ?? 1) - 1)] },
        y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] },
      },
      series: [
        { label: "step", value: (u, v) => (v === null ? "—" : `${v} · ${store.date(v)}`) },
        ...spec.labels.map((label, i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          fill: spec.stacked ? lighten(PALETTE[i % PALETTE.length]) : undefined,
          paths: spec.stacked ? window.uPlot.paths.stepped({ align: 1 }) : undefined,
          width: spec.stacked ? 1 : 2,
          points: { show: false },
          // the legend shows each series' own value, also when the lines are stacked
          value: (u, v, _si, idx) => {
            const own = idx === null || idx === undefined ? v : this.raw[i]?.[idx];
            return own === null || own === undefined ? "—" : `${formatNumber(own)} ${spec.unit}`.trim();
          },
        })),
      ],
      axes: [
        { label: X_LABEL, labelSize: 18, values: (u, splits) => splits.map((s) => (Number.isInteger(s) ? store.date(s) : "")),
          stroke: "#556", grid: { stroke: "#eef0f4" } },
        { label: spec.yLabel, labelSize: 18, values: (u, splits) => splits.map((s) => formatNumber(s)), size: 70,
          stroke: "#556", grid: { stroke: "#eef0f4" } },
      ],
      legend: { live: true },
    };
    if (spec.stacked) {
      // draw the tallest (cumulative) series first so each lower band paints over it
      opts.series = [opts.series[0], ...opts.series.slice(1).reverse()];
    }
    this.plot = new window.uPlot(opts, this.arrange(data, spec), this.body);
    // what the axes say, for whoever reads the page without seeing the canvas
    this.el.dataset.xAxis = this.plot.axes[0].label;
    this.el.dataset.yAxis = this.plot.axes[1].label;
  }

  /** Stacked plots list their series tallest first (see `update`); others keep their order. */
  arrange(data, spec) {
    if (!spec.stacked) return data;
    return [data[0], ...data.slice(1).reverse()];
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: Math.max(this.body.clientWidth, 300), height: 220 });
  }
}

export class PlotsView {
  constructor(el, store) {
    this.el = el;
    this.store = store;
    this.cards = new Map();
    this.grid = h("div", { class: "plot-grid" });
    this.note = h("p", { class: "hint" });
    this.chips = h("div", { class: "chips", id: "series-chips" });
    this.chosen = null;  // TimeSeries tables the user picked; null until the first ones appear
    fill(el, this.chips, this.grid, this.note);
    new ResizeObserver(() => this.cards.forEach((c) => c.resize())).observe(this.grid);
  }

  /** The TimeSeries tables to plot: the user's pick, or a few favourites until they pick. */
  shownSeries(available) {
    if (this.chosen) return this.chosen;
    const ranked = [...available].sort((a, b) => {
      const fa = FAVOURITES.indexOf(a), fb = FAVOURITES.indexOf(b);
      return (fa < 0 ? 99 : fa) - (fb < 0 ? 99 : fb) || a.localeCompare(b);
    });
    return new Set(ranked.slice(0, DEFAULT_SHOWN));
  }

  renderChips(available, shown) {
    const key = JSON.stringify([available, [...shown].sort()]);
    if (key === this.chipsKey) return;
    this.chipsKey = key;
    const toggle = (table) => {
      const next = new Set(this.shownSeries(available));
      if (next.has(table)) next.delete(table); else next.add(table);
      this.chosen = next;
      this.render();
    };
    fill(this.chips, available.length ? h("span", { class: "chips-label" }, "TimeSeries tables:") : null,
      available.map((t) => h("button", { class: `chip${shown.has(t) ? " on" : ""}`, title: t, "data-table": t,
        "aria-pressed": String(shown.has(t)), onclick: () => toggle(t) }, seriesTitle(t))));
  }

  render() {
    const available = [...this.store.tables.keys()].filter(isTimeSeries).sort();
    const shown = this.shownSeries(available);
    this.renderChips(available, shown);
    const specs = plotSpecs(this.store, shown);
    for (const spec of specs) {
      let card = this.cards.get(spec.key);
      if (!card) {
        card = new PlotCard(this.store, spec);
        this.cards.set(spec.key, card);
        this.grid.append(card.el);
      }
      card.update(spec);
    }
    const keys = new Set(specs.map((s) => s.key));
    for (const [key, card] of this.cards) {
      if (keys.has(key)) continue;
      card.plot?.destroy();
      card.el.remove();
      this.cards.delete(key);
    }
    this.note.textContent = available.length ? "" :
      "No TimeSeries tables in this simulation yet (Cycamore archetypes such as Reactor, Enrichment and Source write them).";
  }
}
