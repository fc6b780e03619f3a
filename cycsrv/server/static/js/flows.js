// Material flow between prototypes, per commodity, over a chosen window of time steps:
// a sender x receiver matrix built from Transactions joined with Resources and AgentEntry.

import { fill, formatNumber, h } from "./dom.js";

export class FlowView {
  constructor(el, store) {
    this.el = el;
    this.store = store;
    this.signature = null;
    const rerender = () => { this.signature = null; this.render(); };
    this.commodity = h("select", { id: "flow-commodity", "aria-label": "commodity", onchange: rerender });
    this.from = h("input", { type: "number", id: "flow-from", min: 0, value: 0, "aria-label": "from step", oninput: rerender });
    this.to = h("input", { type: "number", id: "flow-to", min: 0, value: "", placeholder: "latest", "aria-label": "to step", oninput: rerender });
    this.windowNote = h("span", { class: "hint" });
    this.matrices = h("div", { class: "flow-matrices", id: "flow-matrices" });
    fill(el,
      h("div", { class: "flow-controls" },
        h("label", {}, "Commodity ", this.commodity),
        h("label", {}, "Steps ", this.from), h("label", {}, " to ", this.to), this.windowNote),
      this.matrices);
  }

  render() {
    const flows = this.store.flows();
    const latest = this.store.latestTime ?? 0;
    const from = Number.isFinite(this.from.valueAsNumber) ? this.from.valueAsNumber : 0;
    const to = Number.isFinite(this.to.valueAsNumber) ? this.to.valueAsNumber : latest;
    const signature = JSON.stringify([flows.length, from, to, this.commodity.value, this.store.rows("AgentEntry").length]);
    if (signature === this.signature) return;
    this.signature = signature;

    const commodities = [...new Set(flows.map((f) => f.commodity))].sort();
    const chosen = this.commodity.value;
    fill(this.commodity, h("option", { value: "" }, "all commodities"),
      commodities.map((c) => h("option", { value: c, selected: c === chosen }, c)));
    this.windowNote.textContent = `${this.store.date(from)} – ${this.store.date(to)}`;

    const inWindow = flows.filter((f) => f.time >= from && f.time <= to && (!chosen || f.commodity === chosen));
    const shown = chosen ? [chosen] : commodities;
    if (!inWindow.length) {
      fill(this.matrices, h("p", { class: "empty" }, flows.length ? "No transactions in this window." : "No transactions yet."));
      return;
    }
    fill(this.matrices, shown.map((c) => this.matrix(c, inWindow.filter((f) => f.commodity === c))).filter(Boolean));
  }

  matrix(commodity, flows) {
    if (!flows.length) return null;
    const senders = [...new Set(flows.map((f) => f.sender))].sort();
    const receivers = [...new Set(flows.map((f) => f.receiver))].sort();
    const cell = new Map();
    for (const f of flows) {
      const key = `${f.sender}\u0000${f.receiver}`;
      cell.set(key, (cell.get(key) ?? 0) + f.quantity);
    }
    const max = Math.max(...cell.values());
    const units = flows[0].units;
    const rowTotal = (s) => receivers.reduce((n, r) => n + (cell.get(`${s}\u0000${r}`) ?? 0), 0);
    const colTotal = (r) => senders.reduce((n, s) => n + (cell.get(`${s}\u0000${r}`) ?? 0), 0);
    const total = flows.reduce((n, f) => n + f.quantity, 0);
    return h("figure", { class: "flow-card", "data-commodity": commodity },
      h("figcaption", {}, h("strong", {}, commodity), ` · ${formatNumber(total)} ${units} in ${flows.length} transactions`),
      h("table", { class: "matrix" },
        h("thead", {}, h("tr", {}, h("th", { class: "corner" }, "from ↓ / to →"), receivers.map((r) => h("th", {}, r)), h("th", { class: "total" }, "sent"))),
        h("tbody", {},
          senders.map((s) => h("tr", {}, h("th", { scope: "row" }, s),
            receivers.map((r) => {
              const q = cell.get(`${s}\u0000${r}`);
              const alpha = q ? 0.12 + 0.68 * (q / max) : 0;
              return h("td", { class: "num", style: q ? `background: rgba(47, 111, 223, ${alpha.toFixed(3)})${alpha > 0.5 ? "; color: white" : ""}` : null,
                title: q ? `${s} → ${r}: ${q} ${units}` : null }, q ? formatNumber(q) : "·");
            }),
            h("td", { class: "num total" }, formatNumber(rowTotal(s))))),
          h("tr", { class: "total" }, h("th", { scope: "row" }, "received"), receivers.map((r) => h("td", { class: "num" }, formatNumber(colTotal(r)))),
            h("td", { class: "num" }, formatNumber(total))))));
  }
}
