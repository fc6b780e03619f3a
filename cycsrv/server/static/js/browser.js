// The table browser: pick a table, add conditions, choose the orient, page through the rows.
// It sends exactly the `table_data` request a script would, and shows the reply as a table.

import { fill, h } from "./dom.js";
import { ORIENTS, replyData, toFrame } from "./frames.js";

const OPS = ["==", "!=", "<", "<=", ">", ">="];
const PAGE_SIZE = 25;

/** A condition value as typed: numbers become numbers, anything else stays a string. */
function parseValue(text) {
  const trimmed = text.trim();
  if (trimmed !== "" && Number.isFinite(Number(trimmed))) return Number(trimmed);
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return text;
}

/** A cell exactly as the server sent it (no rounding), so what you see is what `table_data` gave. */
function rawCell(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export class TableBrowser {
  constructor(el, conn, store, onError) {
    this.conn = conn;
    this.store = store;
    this.onError = onError;
    this.frame = null;
    this.page = 0;
    this.columns = [];

    this.tableSelect = h("select", { id: "tb-table", "aria-label": "table", onchange: () => this.fetch() });
    this.orientSelect = h("select", { id: "tb-orient", "aria-label": "orient" }, ORIENTS.map((o) => h("option", { value: o }, o)));
    this.conds = h("div", { class: "conds", id: "tb-conds" });
    this.status = h("span", { class: "tb-status", id: "tb-status" });
    this.pager = h("span", { class: "pager" },
      h("button", { id: "tb-prev", onclick: () => this.turn(-1) }, "‹ prev"),
      h("span", { id: "tb-range" }),
      h("button", { id: "tb-next", onclick: () => this.turn(1) }, "next ›"));
    this.tableEl = h("div", { class: "tb-table-wrap" });
    this.raw = h("pre", { class: "raw", id: "tb-raw" });
    this.fieldList = h("datalist", { id: "tb-fields" });
    fill(el,
      h("div", { class: "tb-controls" },
        h("label", {}, "Table ", this.tableSelect),
        h("label", {}, "Orient ", this.orientSelect),
        h("button", { onclick: () => this.addCondition() }, "+ condition"),
        h("button", { class: "primary", id: "tb-fetch", onclick: () => this.fetch() }, "Fetch"),
        this.status),
      this.conds, this.fieldList, this.tableEl,
      h("div", { class: "tb-footer" }, this.pager),
      h("details", {}, h("summary", {}, "Raw reply"), this.raw));
    this.renderTableList();
  }

  /** Refresh the table picker from the server's table names and registry (keeps the selection). */
  renderTableList() {
    const names = [...new Set([...this.store.tableNames, ...(this.store.registry ?? [])])].sort();
    const current = this.tableSelect.value;
    const known = [...this.tableSelect.options].map((o) => o.value);
    if (JSON.stringify(known) === JSON.stringify(["", ...names])) return;
    fill(this.tableSelect, h("option", { value: "" }, "— pick a table —"),
      names.map((n) => h("option", { value: n, selected: n === current }, n)));
  }

  addCondition(field = "", op = "==", value = "") {
    const row = h("div", { class: "cond" },
      h("input", { class: "cond-field", list: "tb-fields", placeholder: "column", value: field, "aria-label": "condition column" }),
      h("select", { class: "cond-op", "aria-label": "condition operator" }, OPS.map((o) => h("option", { value: o, selected: o === op }, o))),
      h("input", { class: "cond-value", placeholder: "value", value: String(value), "aria-label": "condition value" }),
      h("button", { class: "icon", title: "remove condition", onclick: () => row.remove() }, "×"));
    this.conds.append(row);
  }

  conditions() {
    const out = [];
    for (const row of this.conds.querySelectorAll(".cond")) {
      const field = row.querySelector(".cond-field").value.trim();
      if (!field) continue;
      out.push([field, row.querySelector(".cond-op").value, parseValue(row.querySelector(".cond-value").value)]);
    }
    return out.length ? out : null;
  }

  async fetch() {
    const table = this.tableSelect.value;
    if (!table) return;
    const orient = this.orientSelect.value;
    const params = { table, conds: this.conditions(), orient };
    this.status.textContent = "fetching…";
    this.status.className = "tb-status";
    let reply;
    try {
      // A non-empty registry keeps only the tables it names: register before asking.
      if (this.store.registry?.length && !this.store.registry.includes(table)) {
        await this.conn.request("register_tables", { tables: [table] });
      }
      reply = await this.conn.request("table_data", params);
    } catch (err) {
      this.status.textContent = `failed: ${err.message}`;
      this.status.className = "tb-status bad";
      return;
    }
    const data = replyData(reply.data);
    const text = typeof reply.data === "string" ? reply.data : JSON.stringify(reply.data);
    this.raw.textContent = text.length > 20000 ? `${text.slice(0, 20000)}… (${text.length} characters)` : text;
    try {
      this.frame = toFrame(data, orient);
    } catch (err) {
      this.frame = null;
      this.status.textContent = typeof data === "string" ? data : `cannot show orient ${orient}: ${err.message}`;
      this.status.className = "tb-status bad";
      fill(this.tableEl);
      this.renderPager();
      return;
    }
    this.columns = this.frame.columns;
    fill(this.fieldList, this.columns.map((c) => h("option", { value: c })));
    this.status.textContent = `${this.frame.rows.length} rows · ${table} · ${orient}`;
    this.page = 0;
    this.renderPage();
  }

  turn(delta) {
    if (!this.frame) return;
    const pages = Math.max(1, Math.ceil(this.frame.rows.length / PAGE_SIZE));
    this.page = Math.min(Math.max(this.page + delta, 0), pages - 1);
    this.renderPage();
  }

  renderPager() {
    const n = this.frame?.rows.length ?? 0;
    const start = this.page * PAGE_SIZE;
    const end = Math.min(start + PAGE_SIZE, n);
    this.pager.querySelector("#tb-range").textContent = n ? `rows ${start + 1}–${end} of ${n}` : "no rows";
    this.pager.querySelector("#tb-prev").disabled = this.page === 0;
    this.pager.querySelector("#tb-next").disabled = end >= n;
  }

  renderPage() {
    const { columns, index, rows } = this.frame;
    const start = this.page * PAGE_SIZE;
    const body = rows.slice(start, start + PAGE_SIZE).map((row, i) =>
      h("tr", {}, h("th", { scope: "row" }, rawCell(index[start + i])),
        row.map((v) => h("td", { class: typeof v === "number" ? "num" : null }, rawCell(v)))));
    fill(this.tableEl, h("table", { class: "data", id: "tb-result" },
      h("thead", {}, h("tr", {}, h("th", {}, "index"), columns.map((c) => h("th", {}, c)))),
      h("tbody", {}, body)));
    this.renderPager();
  }
}
