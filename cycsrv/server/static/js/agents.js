// The agent tree: regions > institutions > facilities, from AgentEntry and AgentExit, with when
// each agent was built and decommissioned.

import { fill, h } from "./dom.js";

const KIND_ORDER = { Region: 0, Inst: 1, Facility: 2 };

export class AgentTree {
  constructor(el, store) {
    this.el = el;
    this.store = store;
    this.showExited = true;
    this.summary = h("p", { class: "hint", id: "agents-summary" });
    this.tree = h("div", { class: "tree", id: "agents-tree" });
    const toggle = h("input", { type: "checkbox", checked: true, onchange: (e) => { this.showExited = e.target.checked; this.render(); } });
    fill(el, h("div", { class: "tree-controls" }, this.summary, h("label", {}, toggle, " show decommissioned")), this.tree);
    this.signature = null;
  }

  render() {
    const agents = this.store.rows("AgentEntry");
    const exits = this.store.exits();
    const now = this.store.latestTime;
    const signature = JSON.stringify([agents.length, exits.size, this.showExited, this.store.info?.InitialYear]);
    if (signature === this.signature) return;
    this.signature = signature;

    const children = new Map();
    for (const a of agents) {
      if (!children.has(a.ParentId)) children.set(a.ParentId, []);
      children.get(a.ParentId).push(a);
    }
    for (const list of children.values()) list.sort((x, y) => (KIND_ORDER[x.Kind] ?? 3) - (KIND_ORDER[y.Kind] ?? 3) || x.AgentId - y.AgentId);
    const ids = new Set(agents.map((a) => a.AgentId));
    const roots = agents.filter((a) => !ids.has(a.ParentId)).sort((x, y) => x.AgentId - y.AgentId);

    const node = (a) => {
      const exit = exits.get(a.AgentId);
      const gone = exit !== undefined && (now === null || exit <= now);
      if (gone && !this.showExited) return null;
      const kids = (children.get(a.AgentId) ?? []).map(node).filter(Boolean);
      const life = [h("span", { class: "built" }, `built ${this.store.date(a.EnterTime)} (t=${a.EnterTime})`)];
      if (exit !== undefined) life.push(h("span", { class: gone ? "exited" : "exiting" }, `${gone ? "decommissioned" : "retires"} ${this.store.date(exit)} (t=${exit})`));
      else if (a.Lifetime >= 0) life.push(h("span", { class: "lifetime" }, `lifetime ${a.Lifetime} steps`));
      const label = h("span", { class: `agent kind-${a.Kind}${gone ? " gone" : ""}` },
        h("span", { class: "kind" }, a.Kind === "Inst" ? "Institution" : a.Kind),
        h("strong", {}, a.Prototype), h("span", { class: "aid" }, `#${a.AgentId}`),
        h("code", { class: "spec" }, a.Spec), ...life);
      if (!kids.length) return h("li", { "data-agent": a.AgentId }, label);
      return h("li", { "data-agent": a.AgentId }, h("details", { open: true }, h("summary", {}, label), h("ul", {}, kids)));
    };

    const facilities = agents.filter((a) => a.Kind === "Facility");
    const exited = facilities.filter((a) => exits.has(a.AgentId) && (now === null || exits.get(a.AgentId) <= now)).length;
    this.summary.textContent = agents.length
      ? `${facilities.length - exited} facilities operating · ${exited} decommissioned · ${agents.length} agents in all`
      : "No agents yet (load the simulation).";
    fill(this.tree, h("ul", { class: "tree-root" }, roots.map(node).filter(Boolean)));
  }
}
