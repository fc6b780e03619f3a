// The dashboard: connects to the websocket named by /config.json, polls the tables it shows,
// and wires the header (status and controls), plots, table browser, agent tree and flow view.
// A server started with --token-file needs its token: from #token=... or typed into the prompt.

import { AgentTree } from "./agents.js";
import { TableBrowser } from "./browser.js";
import { Connection } from "./client.js";
import { fill, h } from "./dom.js";
import { FlowView } from "./flows.js";
import { PlotsView } from "./plots.js";
import { SimStore } from "./store.js";
import { storedToken, storeToken, takeTokenFromFragment } from "./token.js";

const POLL_MS = 400;
const NAMES_MS = 5000;
const RUNNING_WINDOW_MS = 3000;
const $ = (id) => document.getElementById(id);

/** The websocket URL: `?ws=` if given, else /config.json, with a wildcard host replaced by this page's host. */
async function websocketUrl() {
  const override = new URLSearchParams(location.search).get("ws");
  let url = override;
  if (!url) {
    const response = await fetch("config.json", { cache: "no-store" });
    url = (await response.json()).ws_url;
  }
  const parsed = new URL(url);
  if (["0.0.0.0", "[::]", "::", ""].includes(parsed.hostname)) parsed.hostname = location.hostname;
  return parsed.toString();
}

/**
 * Whether a handshake that failed was refused rather than unanswered: this page's own server
 * (the same process as the websocket) still answers. Browsers hide the 401/403 itself.
 */
async function pageServerAnswers() {
  try {
    return (await fetch("config.json", { cache: "no-store" })).ok;
  } catch {
    return false;
  }
}

class Dashboard {
  constructor(url, token) {
    this.url = url;
    this.store = new SimStore();
    this.conn = new Connection(url, { token, isRefused: pageServerAnswers });
    this.generation = 0;
    this.pausedByUs = false;
    this.errors = [];
    $("ws-url").textContent = url;

    this.plots = new PlotsView($("plots"), this.store);
    this.browser = new TableBrowser($("browser"), this.conn, this.store, (msg) => this.showError(msg));
    this.agents = new AgentTree($("agents"), this.store);
    this.flows = new FlowView($("flows"), this.store);

    this.conn.addEventListener("state", (e) => this.onState(e.detail));
    this.conn.addEventListener("heartbeat", () => this.pulse());
    this.conn.addEventListener("error-event", (e) => this.showError(e.detail.message, e.detail.event));
    this.conn.addEventListener("server-event", (e) => this.onServerEvent(e.detail));
    this.store.addEventListener("change", () => this.renderData());

    $("btn-load").addEventListener("click", () => this.act("load"));
    $("btn-pause").addEventListener("click", () => { this.pausedByUs = true; this.act("pause"); });
    $("btn-unpause").addEventListener("click", () => { this.pausedByUs = false; this.act("unpause"); });
    $("btn-shutdown").addEventListener("click", () => $("shutdown-dialog").showModal());
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const token = $("token-input").value.trim();
      $("token-input").value = "";
      storeToken(this.url, token);
      $("token-prompt").hidden = true;
      this.conn.useToken(token);
    });
    $("shutdown-dialog").addEventListener("close", () => {
      const when = $("shutdown-dialog").returnValue;
      if (when === "now" || when === "empty") this.act("shutdown", { when });
    });
    setInterval(() => this.renderStatus(), 250);
    this.renderStatus();
  }

  act(event, params) {
    try {
      this.conn.send(event, params);
    } catch (err) {
      this.showError(err.message);
    }
    this.renderStatus();
  }

  onState({ state, code, withToken }) {
    $("token-prompt").hidden = state !== "refused";
    if (state === "refused") {
      $("token-message").textContent = withToken ? "The server refused this token." : "This server needs a token.";
      $("token-input").focus();
    }
    if (state === "open") {
      this.generation += 1;
      this.store.reset();
      this.pausedByUs = false;
      this.renderData();
      this.start(this.generation);
    } else if (state === "lost") {
      $("conn-detail").textContent = `close code ${code}`;
    }
    this.renderStatus();
  }

  onServerEvent(message) {
    if (message.event === "loaded") {
      this.store.loadedEvent = true;
      this.conn.request("table_names_request").catch(() => {});
    }
    if (message.event === "registry") {
      this.store.registry = Array.isArray(message.data) ? message.data : [];
      this.browser.renderTableList();
    }
    if (message.event === "table_names") {
      this.store.tableNames = Array.isArray(message.data) ? message.data : [];
      this.browser.renderTableList();
    }
    this.renderStatus();
  }

  /** After each (re)connection: learn the tables, register the ones shown, then poll until the connection changes. */
  async start(generation) {
    const live = () => generation === this.generation && this.conn.state === "open";
    try {
      await Promise.all([this.conn.request("registry_request"), this.conn.request("table_names_request")]);
      await this.registerTracked();
    } catch (err) {
      if (live()) this.showError(`setting up: ${err.message}`);
    }
    let lastNames = Date.now();
    while (live()) {
      const failures = await this.store.poll(this.conn);
      for (const err of failures) if (live()) this.showError(`polling: ${err.message}`);
      if (Date.now() - lastNames > NAMES_MS && live()) {
        lastNames = Date.now();
        try {
          await this.conn.request("table_names_request");
          await this.registerTracked();
        } catch (err) {
          if (live()) this.showError(`refreshing table names: ${err.message}`);
        }
      }
      this.renderStatus();
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Register every table the dashboard polls that the in-memory backend does not keep yet. */
  async registerTracked() {
    const registry = this.store.registry ?? [];
    if (!registry.length) return;  // an empty registry means every table is kept
    const missing = Object.keys(this.store.trackedTables()).filter((t) => !registry.includes(t));
    if (missing.length) await this.conn.request("register_tables", { tables: missing });
  }

  simState() {
    if (this.conn.state !== "open") return ["unknown", "unknown"];
    if (this.store.finish) return ["finished", "finished"];
    if (!this.store.loaded) return ["not loaded", "idle"];
    if (this.pausedByUs) return ["paused", "paused"];
    if (this.store.lastAdvance && Date.now() - this.store.lastAdvance < RUNNING_WINDOW_MS) return ["running", "running"];
    return ["waiting", "idle"];
  }

  renderStatus() {
    const conn = this.conn;
    const connLabel = { connecting: "connecting…", open: "connected", lost: "connection lost", refused: "refused" }[conn.state];
    $("conn").textContent = connLabel;
    $("conn").dataset.state = conn.state;
    if (conn.state === "lost" && conn.retryAt) {
      const secs = Math.max(0, (conn.retryAt - Date.now()) / 1000);
      $("conn-detail").textContent = `reconnecting in ${secs.toFixed(1)} s`;
    } else if (conn.state === "refused") {
      $("conn-detail").textContent = conn.token ? "wrong token" : "needs a token";
    } else if (conn.state === "open") {
      $("conn-detail").textContent = "";
    }

    const hb = conn.heartbeat;
    if (hb.last === null) {
      $("heartbeat").textContent = "no heartbeat yet";
      $("heartbeat").dataset.state = "none";
    } else {
      const age = (Date.now() - hb.last) / 1000;
      const late = Number.isFinite(hb.period) && age > 2 * hb.period + 1;
      $("heartbeat").textContent = `♥ ${age.toFixed(0)} s ago · every ${hb.period} s${late ? " · late!" : ""}`;
      $("heartbeat").dataset.state = late ? "late" : "ok";
    }

    const [label, state] = this.simState();
    $("sim-state").textContent = label;
    $("sim-state").dataset.state = state;
    const t = this.store.finish ? this.store.finish.EndTime : this.store.latestTime;
    const duration = this.store.duration;
    // while running: the step under way; once finished: the steps done (N / N for a whole run)
    const shown = this.store.finish ? t + 1 : t;
    $("time-step").textContent = t === null || t === undefined ? "—" : String(shown);
    $("time-step").dataset.step = t ?? "";
    $("duration").textContent = duration ?? "—";
    $("sim-date").textContent = this.store.date(t);
    $("progress").style.width = duration && t !== null ? `${Math.min(100, (100 * (t + 1)) / duration)}%` : "0%";

    const open = conn.state === "open";
    $("btn-load").disabled = !open || this.store.loaded;
    $("btn-pause").disabled = !open || !this.store.loaded || this.pausedByUs || Boolean(this.store.finish);
    $("btn-unpause").disabled = !open || !this.pausedByUs;
    $("btn-shutdown").disabled = !open;
  }

  renderData() {
    this.plots.render();
    this.agents.render();
    this.flows.render();
    this.browser.renderTableList();
    this.renderStatus();
  }

  pulse() {
    const el = $("heartbeat");
    el.classList.remove("beat");
    void el.offsetWidth;  // restart the animation
    el.classList.add("beat");
    this.renderStatus();
  }

  showError(message, event) {
    const last = this.errors[0];
    if (last && last.message === message) {
      last.count += 1;
      last.time = new Date();
    } else {
      this.errors.unshift({ message, event, count: 1, time: new Date() });
      this.errors.length = Math.min(this.errors.length, 50);
    }
    this.renderErrors();
  }

  renderErrors() {
    const panel = $("errors");
    panel.hidden = this.errors.length === 0;
    fill(panel,
      h("div", { class: "errors-head" }, h("strong", {}, `Server errors (${this.errors.length})`),
        h("button", { class: "icon", title: "clear", onclick: () => { this.errors = []; this.renderErrors(); } }, "clear")),
      h("ul", {}, this.errors.map((e) => h("li", { class: "error-item" },
        h("time", {}, e.time.toLocaleTimeString()), " ",
        h("span", { class: "error-message" }, e.message), e.count > 1 ? h("span", { class: "count" }, ` ×${e.count}`) : null,
        e.event ? h("details", {}, h("summary", {}, "event"), h("pre", {}, JSON.stringify(e.event, null, 1))) : null))));
  }
}

const fragmentToken = takeTokenFromFragment();  // before anything else: out of the address bar
websocketUrl().then(
  (url) => {
    if (fragmentToken) storeToken(url, fragmentToken);
    window.dashboard = new Dashboard(url, storedToken(url));
  },
  (err) => { document.body.prepend(h("p", { class: "fatal" }, `Cannot find the websocket URL: ${err.message}`)); },
);
