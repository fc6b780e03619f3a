// The websocket client: one connection to the cycsrv server, reconnecting when it drops.
//
// It speaks only the public protocol: messages are JSON objects with "event", "params", "data".
// Requests have no ids, so a reply is matched to the oldest pending request with the same event
// name and the same params (the server echoes the params it was sent).
//
// A handshake the server refuses (401/403: no token or a wrong one) looks to the page like any
// other failed connection, since browsers do not expose the HTTP status. When one fails before
// opening, `isRefused()` (given by the page) tells the two apart; a refused connection stops
// retrying (state "refused") until `useToken()` is called.

import { subprotocolsFor } from "./token.js";

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;

/** Key under which a request waits for its reply: event name plus the params that identify it. */
function replyKey(event, params) {
  if (event === "table_data") {
    return JSON.stringify([event, params?.table ?? null, params?.conds ?? null, params?.orient ?? "split"]);
  }
  if (event === "echo") return JSON.stringify([event, params?.s ?? null]);
  if (event === "agent_annotations") return JSON.stringify([event, params?.spec ?? null]);
  return JSON.stringify([event]);
}

/** Which reply event answers a request event. */
const REPLY_EVENT = {
  registry_request: "registry",
  register_tables: "registry",
  deregister_tables: "registry",
  table_names_request: "table_names",
  table_data: "table_data",
  echo: "echo",
  agent_annotations: "agent_annotations",
  load: "loaded",
};

export class ServerError extends Error {
  constructor(message, event) {
    super(message);
    this.event = event;
  }
}

export class Connection extends EventTarget {
  constructor(url, { token = null, isRefused = async () => false } = {}) {
    super();
    this.url = url;
    this.token = token;
    this.isRefused = isRefused;
    this.socket = null;
    this.retryTimer = null;
    this.state = "connecting";  // connecting | open | lost | refused
    this.pending = new Map();    // replyKey -> [{resolve, reject}]
    this.retryMs = RECONNECT_MIN_MS;
    this.retryAt = null;
    this.heartbeat = { last: null, period: null, count: 0 };
    this.connect();
  }

  connect() {
    this.retryTimer = null;
    this.setState("connecting");
    const protocols = subprotocolsFor(this.token);
    const socket = protocols.length ? new WebSocket(this.url, protocols) : new WebSocket(this.url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.retryMs = RECONNECT_MIN_MS;
      this.setState("open");
    });
    socket.addEventListener("message", (msg) => this.receive(msg.data));
    socket.addEventListener("close", async (ev) => {
      if (this.socket !== socket) return;
      this.failPending(new ServerError(`connection lost (close code ${ev.code})`));
      if (!opened && await this.isRefused()) {
        if (this.socket !== socket) return;  // useToken() was called meanwhile
        this.socket = null;
        this.retryAt = null;
        this.setState("refused", { withToken: Boolean(this.token) });
        return;
      }
      if (this.socket !== socket) return;
      this.retryAt = Date.now() + this.retryMs;
      this.setState("lost", { code: ev.code });
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    });
  }

  /** Connect again now, offering `token` (null: none) on the handshake. */
  useToken(token) {
    this.token = token || null;
    clearTimeout(this.retryTimer);
    const old = this.socket;
    this.socket = null;  // its close event is no longer ours
    old?.close();
    this.failPending(new ServerError("reconnecting with another token"));
    this.retryMs = RECONNECT_MIN_MS;
    this.connect();
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  /** Send an event without waiting for anything. */
  send(event, params) {
    if (this.state !== "open") throw new ServerError(`not connected: cannot send ${event}`);
    const message = params === undefined ? { event } : { event, params };
    this.socket.send(JSON.stringify(message));
    this.dispatchEvent(new CustomEvent("sent", { detail: message }));
  }

  /** Send an event and resolve with the server's reply event (rejects on an error event or a lost connection). */
  request(event, params) {
    const replyEvent = REPLY_EVENT[event];
    const key = replyKey(replyEvent, params);
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key) ?? [];
      waiters.push({ resolve, reject, event, params });
      this.pending.set(key, waiters);
      try {
        this.send(event, params);
      } catch (err) {
        waiters.pop();
        reject(err);
      }
    });
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.dispatchEvent(new CustomEvent("error-event", { detail: { message: `unparseable message from server: ${String(text).slice(0, 200)}` } }));
      return;
    }
    const event = message.event;
    if (event === "heartbeat") {
      this.heartbeat = { last: Date.now(), period: Number(message.data), count: this.heartbeat.count + 1 };
      this.dispatchEvent(new CustomEvent("heartbeat", { detail: this.heartbeat }));
      return;
    }
    if (event === "error") {
      this.receiveError(message);
      return;
    }
    const key = replyKey(event, message.params);
    const waiters = this.pending.get(key);
    if (waiters?.length) {
      waiters.shift().resolve(message);
      if (!waiters.length) this.pending.delete(key);
    }
    this.dispatchEvent(new CustomEvent("server-event", { detail: message }));
  }

  receiveError(message) {
    const text = message.data?.message ?? JSON.stringify(message.data);
    // An error names the event it answers (data.event) and carries the params that were sent.
    const sentEvent = message.data?.event;
    if (typeof sentEvent === "string" && REPLY_EVENT[sentEvent]) {
      const key = replyKey(REPLY_EVENT[sentEvent], message.params);
      const waiters = this.pending.get(key);
      if (waiters?.length) {
        waiters.shift().reject(new ServerError(text, message));
        if (!waiters.length) this.pending.delete(key);
      }
    }
    this.dispatchEvent(new CustomEvent("error-event", { detail: { message: text, event: message } }));
  }

  failPending(error) {
    for (const waiters of this.pending.values()) for (const w of waiters) w.reject(error);
    this.pending.clear();
  }
}
