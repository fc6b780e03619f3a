// What the dashboard knows about the running simulation, kept up to date by polling `table_data`.
//
// Tables that grow over time are fetched incrementally: each round asks only for rows whose time
// column is at or after the latest time already held (`conds: [[col, ">=", t]]`), drops its rows at
// that time and appends the reply. Re-reading the latest step makes a step that was half-written
// at the previous read come out whole.

import { records, toFrame } from "./frames.js";

/** Tables the dashboard always shows, each with the column that says when a row was written. */
export const BASE_TABLES = {
  Info: null,
  TimeStepDur: null,
  Finish: null,
  AgentEntry: "EnterTime",
  AgentExit: "ExitTime",
  Transactions: "Time",
  Resources: "TimeCreated",
};

const SECONDS_PER_MONTH = 2629846;

export function isTimeSeries(name) {
  return name.startsWith("TimeSeries");
}

export class SimStore extends EventTarget {
  constructor() {
    super();
    this.reset();
  }

  reset() {
    this.tables = new Map();     // name -> array of row objects
    this.registry = null;         // last registry reply
    this.tableNames = [];         // last table_names reply
    this.loadedEvent = false;     // a `loaded` event arrived on this connection
    this.latestTime = null;       // latest time step seen in any time column
    this.lastAdvance = null;      // Date.now() when latestTime last grew
    this.version = 0;             // bumps whenever data changes
  }

  rows(name) {
    return this.tables.get(name) ?? [];
  }

  /** Every table the dashboard polls: the base tables plus every TimeSeries table the server has. */
  trackedTables() {
    const names = { ...BASE_TABLES };
    for (const name of [...this.tableNames, ...(this.registry ?? [])]) if (isTimeSeries(name)) names[name] = "Time";
    return names;
  }

  get info() {
    return this.rows("Info")[0] ?? null;
  }

  get duration() {
    return this.info?.Duration ?? null;
  }

  get finish() {
    return this.rows("Finish")[0] ?? null;
  }

  get loaded() {
    return this.loadedEvent || this.info !== null;
  }

  /** Simulated date of time step `t`, "YYYY-MM", from Info's start date and TimeStepDur. */
  date(t) {
    const info = this.info;
    if (!info || t === null || t === undefined) return "—";
    const dt = this.rows("TimeStepDur")[0]?.DurationSecs ?? SECONDS_PER_MONTH;
    const months = info.InitialMonth - 1 + Math.round((t * dt) / SECONDS_PER_MONTH);
    const year = info.InitialYear + Math.floor(months / 12);
    return `${String(year).padStart(4, "0")}-${String((months % 12) + 1).padStart(2, "0")}`;
  }

  /** Replace the rows of `name` at or after `since` (all rows when `since` is null) with `incoming`. */
  merge(name, column, since, incoming) {
    const kept = since === null || !column ? [] : this.rows(name).filter((r) => r[column] < since);
    const before = this.rows(name).length;
    const merged = kept.concat(incoming);
    this.tables.set(name, merged);
    let changed = merged.length !== before;
    if (column) {
      for (const row of incoming) {
        const t = row[column];
        if (typeof t === "number" && (this.latestTime === null || t > this.latestTime)) {
          this.latestTime = t;
          this.lastAdvance = Date.now();
          changed = true;
        }
      }
    }
    return changed;
  }

  /** One polling round: request every tracked table (in parallel), merge the replies. */
  async poll(conn) {
    const requests = Object.entries(this.trackedTables()).map(async ([name, column]) => {
      if (!column && name !== "Finish" && this.rows(name).length) return false;  // static tables: once
      const held = this.rows(name);
      const since = column && held.length ? held.reduce((m, r) => Math.max(m, r[column]), -Infinity) : null;
      const params = { table: name, conds: since === null ? null : [[column, ">=", since]], orient: "split" };
      const reply = await conn.request("table_data", params);
      let frame;
      try {
        frame = toFrame(reply.data, "split");
      } catch {
        return false;  // "<table> is not available." (not written yet)
      }
      return this.merge(name, column, since, records(frame));
    });
    const results = await Promise.allSettled(requests);
    const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    if (results.some((r) => r.status === "fulfilled" && r.value)) {
      this.version += 1;
      this.dispatchEvent(new Event("change"));
    }
    return failures;
  }

  // ---- views derived from the tables ----

  /** AgentId -> AgentEntry row. */
  agents() {
    return new Map(this.rows("AgentEntry").map((r) => [r.AgentId, r]));
  }

  /** AgentId -> ExitTime. */
  exits() {
    return new Map(this.rows("AgentExit").map((r) => [r.AgentId, r.ExitTime]));
  }

  /** Transactions joined with Resources (quantity, units) and AgentEntry (prototypes). */
  flows() {
    const resources = new Map(this.rows("Resources").map((r) => [r.ResourceId, r]));
    const agents = this.agents();
    const out = [];
    for (const tr of this.rows("Transactions")) {
      const res = resources.get(tr.ResourceId);
      if (!res) continue;
      out.push({
        time: tr.Time,
        commodity: tr.Commodity,
        sender: agents.get(tr.SenderId)?.Prototype ?? `#${tr.SenderId}`,
        receiver: agents.get(tr.ReceiverId)?.Prototype ?? `#${tr.ReceiverId}`,
        quantity: res.Quantity,
        units: res.Units,
      });
    }
    return out;
  }
}
