// Live line plots (uPlot): material traded per commodity, facilities per prototype, and one plot
// per TimeSeries table with a line per prototype. Each plot is updated in place every step.

import { fill, formatNumber, h } from "./dom.js";
import { isTimeSeries } from "./store.js";

export const PALETTE = ["#2f6fdf", "#e0672b", "#2ca02c", "#b03aa8", "#c79a00", "#17becf", "#d62728", "#7f7f7f", "#8c564b", "#1f3f7f"];

/** "TimeSeriesPower" -> "Power", "TimeSeriessupplyuox" -> "supply uox" is not knowable; keep the rest verbatim. */
function seriesTitle(table) {
  return table.slice("TimeSeries".length) || table;
}

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
export function plotSpecs(store) {
  const last = Math.max(store.latestTime ?? 0, 0);
  const specs = [];
  const flows = store.flows();
  const traded = aligned(flows, (f) => f.commodity, (f) => f.time, (f) => f.quantity, last, 0);
  specs.push({ key: "traded", title: "Material traded per time step, by commodity", unit: flows[0]?.units ?? "kg", ...traded });
  const shipped = aligned(flows, (f) => f.sender, (f) => f.time, (f) => f.quantity, last, 0);
  specs.push({ key: "shipped", title: "Material shipped per time step, by sending prototype", unit: flows[0]?.units ?? "kg", ...shipped });

  const exits = store.exits();
  const facilities = store.rows("AgentEntry").filter((a) => a.Kind === "Facility");
  const counts = new Map();
  for (const a of facilities) {
    if (!counts.has(a.Prototype)) counts.set(a.Prototype, new Array(last + 1).fill(0));
    const end = Math.min(exits.get(a.AgentId) ?? last, last);
    for (let t = Math.max(a.EnterTime, 0); t <= end; t++) counts.get(a.Prototype)[t] += 1;
  }
  const labels = [...counts.keys()].sort();
  specs.push({ key: "facilities", title: "Facilities operating, by prototype", unit: "count", labels, ys: labels.map((l) => counts.get(l)) });

  const agents = store.agents();
  for (const table of [...store.tables.keys()].filter(isTimeSeries).sort()) {
    const series = aligned(store.rows(table), (r) => agents.get(r.AgentId)?.Prototype ?? `#${r.AgentId}`,
      (r) => r.Time, (r) => r.Value, last, null);
    specs.push({ key: table, title: `${seriesTitle(table)} (${table}), by prototype`, unit: "", ...series });
  }
  return specs;
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
    const data = [xs, ...spec.ys];
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
      this.plot.setData(data);
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
          width: 2,
          points: { show: false },
          value: (u, v) => (v === null ? "—" : `${formatNumber(v)} ${spec.unit}`),
        })),
      ],
      axes: [
        { values: (u, splits) => splits.map((s) => (Number.isInteger(s) ? store.date(s) : "")), stroke: "#556", grid: { stroke: "#eef0f4" } },
        { values: (u, splits) => splits.map((s) => formatNumber(s)), size: 70, stroke: "#556", grid: { stroke: "#eef0f4" } },
      ],
      legend: { live: true },
    };
    this.plot = new window.uPlot(opts, data, this.body);
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
    fill(el, this.grid, this.note);
    new ResizeObserver(() => this.cards.forEach((c) => c.resize())).observe(this.grid);
  }

  render() {
    const specs = plotSpecs(this.store);
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
    const hasSeries = specs.some((s) => isTimeSeries(s.key));
    this.note.textContent = hasSeries ? "" :
      "No TimeSeries tables in this simulation yet (Cycamore archetypes such as Reactor, Enrichment and Source write them).";
  }
}
