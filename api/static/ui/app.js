/* Ringwatch review page: a client of the HTTP API in docs/api.md, plain JS, no build step.
 *
 * Every id, label, note and evidence sentence comes from marketplace input or other
 * users and is untrusted: text reaches the page only through textContent (see el/svg),
 * never through innerHTML, and links are built from encodeURIComponent'ed hashes.
 */
(function () {
  "use strict";

  // --- constants shared with the HTML report (api/report.py) ------------------------------

  const TYPE_COLOURS = {
    creator: "#d1495b", shop: "#2e86ab", seller: "#1b3a5c", buyer: "#66a182",
    device: "#8d6a9f", ip: "#9a9a9a", payout_account: "#edae49", phone: "#f28482", email: "#00a6a6",
  };
  const ACCOUNT_TYPES = new Set(["creator", "shop", "seller", "buyer"]);
  const TYPE_PRIORITY = ["creator", "shop", "seller", "buyer", "payout_account", "phone", "device", "email", "ip"];
  const OTHER_COLOUR = "#555555";
  const EDGE_STYLES = {
    USES: { colour: "#8d8d8d", style: "dashed" },
    TRADES: { colour: "#d1495b", style: "solid" },
    BOUGHT: { colour: "#66a182", style: "solid" },
    OWNS: { colour: "#1b3a5c", style: "solid" },
  };
  const KIND_NAMES = {
    identity_ring: "identity ring", collusion_ring: "collusion ring", commission_abuse: "commission abuse",
  };
  const KIND_COLOURS = {
    identity_ring: "#8d6a9f", collusion_ring: "#d1495b", commission_abuse: "#edae49",
  };
  const EXTRA_KIND_COLOURS = ["#2e86ab", "#66a182", "#00a6a6", "#1b3a5c", "#f28482"];
  const KEY_STORAGE = "ringwatch.apiKey";
  const PAGE_SIZE = 50;

  const API_BASE = (function () {
    const path = window.location.pathname;
    const at = path.lastIndexOf("/ui/");
    return at >= 0 ? path.slice(0, at) : path.replace(/\/ui$/, "");
  })();

  const state = {
    key: null,
    list: { items: [], next: null, asOf: null, params: null, loading: false, token: 0 },
    ring: null, etag: null, graph: null, ringToken: 0,
    audit: { items: [], next: null },
    cy: null,
    route: null,
  };

  // --- DOM helpers: text only ever goes in as textContent ---------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "style" && typeof value === "object") Object.assign(node.style, value);
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function show(node, visible) { node.hidden = !visible; }

  function ringHash(ringId) { return "#/rings/" + encodeURIComponent(ringId); }

  // --- formatting -------------------------------------------------------------------------

  const intFormat = new Intl.NumberFormat("en-US");
  const floatFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });

  function fmtNumber(value) {
    if (typeof value === "boolean" || typeof value !== "number" || !Number.isFinite(value)) {
      return value === null || value === undefined ? "—" : String(value);
    }
    if (Number.isInteger(value)) return intFormat.format(value);
    return Math.abs(value) < 1 ? value.toPrecision(3).replace(/\.?0+$/, "") : floatFormat.format(value);
  }

  function fmtScore(score) { return typeof score === "number" ? score.toFixed(2) : "—"; }

  function fmtTime(value) {
    if (!value) return "—";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toISOString().replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
  }

  function fmtDate(value) {
    const text = fmtTime(value);
    return /^\d{4}-\d\d-\d\d/.test(text) ? text.slice(0, 10) : text;
  }

  function scoreColour(score) { return score >= 0.85 ? "#b3261e" : score >= 0.7 ? "#d9822b" : "#6b7280"; }
  function typeColour(type) { return TYPE_COLOURS[type] || OTHER_COLOUR; }
  function kindName(kind) { return KIND_NAMES[kind] || String(kind || ""); }
  function humanise(name) { return String(name).replace(/_/g, " "); }

  function kindColour(kind, index) {
    return KIND_COLOURS[kind] || EXTRA_KIND_COLOURS[index % EXTRA_KIND_COLOURS.length];
  }

  function statusBadge(status) {
    return el("span", { class: "badge status-" + String(status || "").replace(/[^a-z_]/g, ""),
      "data-testid": "status", text: status || "—" });
  }

  function scorePill(score) {
    return el("span", { class: "score", style: { background: scoreColour(score) }, text: fmtScore(score) });
  }

  // --- API access -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, problem, fallback) {
      const title = problem && problem.title ? problem.title : fallback;
      const detail = problem && problem.detail ? problem.detail : "";
      super(detail ? title + ": " + detail : title);
      this.status = status;
      this.problem = problem || {};
    }
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
    }
    const text = search.toString();
    return text ? "?" + text : "";
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (state.key) headers["X-API-Key"] = state.key;
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(API_BASE + path + query(opts.params), { method: opts.method || "GET", headers, body });
    } catch (err) {
      throw new ApiError(0, null, "The server cannot be reached (" + err.message + ")");
    }
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (_) { problem = null; }
      const error = new ApiError(response.status, problem, response.status + " " + response.statusText);
      if (response.status === 401) {
        forgetKey();
        askForKey("The server did not accept this key (401). Enter a valid API key.");
      }
      throw error;
    }
    if (opts.raw) return { response, data: null };
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    return { response, data };
  }

  function requestId(error) {
    return error && error.problem && error.problem.request_id ? " (request " + error.problem.request_id + ")" : "";
  }

  // --- notices ------------------------------------------------------------------------------

  function notify(message, level) {
    const box = $("notice");
    $("notice-text").textContent = message;
    box.className = "notice " + (level || "error");
    show(box, true);
  }

  function reportError(context, error) {
    if (error && error.status === 401) return; // the key panel says it
    notify(context + ": " + (error && error.message ? error.message : String(error)) + requestId(error));
  }

  // --- the API key ------------------------------------------------------------------------

  function loadKey() {
    try { return window.sessionStorage.getItem(KEY_STORAGE); } catch (_) { return null; }
  }

  function forgetKey() {
    state.key = null;
    try { window.sessionStorage.removeItem(KEY_STORAGE); } catch (_) { /* storage disabled */ }
    updateKeyStatus();
  }

  function updateKeyStatus() {
    $("key-status").textContent = state.key ? "key ···" + state.key.slice(-4) : "no key";
    show($("key-change"), Boolean(state.key));
  }

  function askForKey(message) {
    const error = $("key-error");
    error.textContent = message || "";
    show(error, Boolean(message));
    show($("key-panel"), true);
    $("api-key").value = "";
    $("api-key").focus();
  }

  function onKeySubmit(event) {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) return;
    state.key = key;
    try { window.sessionStorage.setItem(KEY_STORAGE, key); } catch (_) { /* kept in memory only */ }
    updateKeyStatus();
    show($("key-panel"), false);
    state.list.params = null; // reload with the new key
    route();
  }

  // --- routing ------------------------------------------------------------------------------

  function parseRoute() {
    const hash = window.location.hash.replace(/^#/, "");
    if (hash.startsWith("/dashboard")) return { view: "dashboard" };
    const match = hash.match(/^\/rings\/(.+)$/);
    if (match) {
      try { return { view: "rings", ringId: decodeURIComponent(match[1]) }; } catch (_) { /* fall through */ }
    }
    return { view: "rings", ringId: null };
  }

  function route() {
    if (!state.key) { askForKey(); return; }
    const next = parseRoute();
    state.route = next;
    show($("view-rings"), next.view === "rings");
    show($("view-dashboard"), next.view === "dashboard");
    $("nav-rings").classList.toggle("active", next.view === "rings");
    $("nav-dashboard").classList.toggle("active", next.view === "dashboard");
    if (next.view === "dashboard") { loadStats(); return; }
    if (!state.list.params) loadRings(false);
    if (next.ringId) {
      if (!state.ring || state.ring.ring_id !== next.ringId) openRing(next.ringId);
    } else {
      closeRing();
    }
    markSelected();
  }

  // --- the ring list ----------------------------------------------------------------------

  function filterParams() {
    const form = $("ring-filters");
    const minScore = form.elements.min_score.value;
    return {
      kind: form.elements.kind.value,
      status: form.elements.status.value,
      min_score: minScore === "" ? "" : String(Math.min(1, Math.max(0, Number(minScore)))),
      member: form.elements.member.value.trim(),
      sort: form.elements.sort.value,
    };
  }

  async function loadRings(more) {
    const list = state.list;
    const params = more ? list.params : filterParams();
    const token = ++list.token;
    list.loading = true;
    $("ring-list").dataset.state = "loading";
    $("load-more").disabled = true;
    if (!more) {
      list.params = params;
      $("ring-list-meta").textContent = "Loading rings…";
    }
    try {
      const pageParams = Object.assign({}, params, { limit: PAGE_SIZE });
      if (more && list.next) pageParams.cursor = list.next;
      const { data } = await api("/rings", { params: pageParams });
      if (token !== list.token) return;
      const items = Array.isArray(data.items) ? data.items : [];
      list.items = more ? list.items.concat(items) : items;
      list.next = data.next_cursor || null;
      list.asOf = data.as_of_run || list.asOf;
      renderRingList(!more, items);
    } catch (error) {
      if (token !== list.token) return;
      if (!more) {
        list.items = [];
        list.next = null;
        renderRingList(true, []);
      }
      $("ring-list-meta").textContent = error.status === 422 || error.status === 400
        ? "Filter not accepted: " + error.message : "Could not load rings.";
      reportError("Loading rings", error);
    } finally {
      if (token === list.token) {
        list.loading = false;
        $("ring-list").dataset.state = "ready";
        $("load-more").disabled = false;
      }
    }
  }

  function renderRingList(replace, added) {
    const ul = $("ring-list");
    if (replace) ul.replaceChildren();
    for (const ring of added) ul.append(ringListItem(ring));
    const list = state.list;
    const count = list.items.length;
    const meta = $("ring-list-meta");
    meta.replaceChildren(
      el("strong", { text: count === 0 ? "No rings match" : count + (list.next ? "+ rings" : count === 1 ? " ring" : " rings") }),
      list.asOf ? el("span", { class: "muted", text: " · as of " }) : null,
      list.asOf ? el("code", { text: list.asOf }) : null,
    );
    show($("load-more"), Boolean(list.next));
    markSelected();
  }

  function ringListItem(ring) {
    const li = el("li", { "data-ring-id": ring.ring_id, "data-testid": "ring-item" });
    const link = el("a", { href: ringHash(ring.ring_id), class: "ring-link" },
      el("div", { class: "row1" },
        scorePill(ring.score),
        el("code", { class: "rid", text: ring.ring_id }),
        el("span", { class: "spacer" }),
        el("span", { class: "muted small", title: "first detected " + fmtTime(ring.first_detected),
          text: fmtDate(ring.first_detected) }),
        statusBadge(ring.status)),
      el("div", { class: "row2" },
        el("span", {}, el("span", { class: "kind-dot", style: { background: kindColour(ring.kind, 0) } }),
          kindName(ring.kind)),
        el("span", { class: "sep", text: "·" }),
        el("span", { class: "muted", text: fmtNumber(ring.accounts) + " accounts" }),
        ring.metrics && typeof ring.metrics.commission_total === "number"
          ? [el("span", { class: "sep", text: "·" }),
            el("span", { class: "muted", text: fmtNumber(ring.metrics.commission_total) + " commission" })]
          : null),
      ring.top_evidence ? el("div", { class: "row3", text: ring.top_evidence }) : null);
    li.append(link);
    return li;
  }

  function markSelected() {
    const current = state.route && state.route.ringId;
    for (const li of $("ring-list").children) {
      const selected = li.dataset.ringId === current;
      li.classList.toggle("selected", selected);
      if (selected) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
    }
  }

  function updateListItem(ring) {
    for (const li of $("ring-list").children) {
      if (li.dataset.ringId !== ring.ring_id) continue;
      const summary = state.list.items.find((r) => r.ring_id === ring.ring_id);
      if (summary) summary.status = ring.status;
      const old = li.querySelector("[data-testid=status]");
      if (old) old.replaceWith(statusBadge(ring.status));
    }
  }

  // --- one ring ---------------------------------------------------------------------------

  function closeRing() {
    state.ring = null;
    state.etag = null;
    state.ringToken++;
    if (state.cy) { state.cy.destroy(); state.cy = null; window.ringwatchCy = null; }
    show($("ring-view"), false);
    show($("ring-loading"), false);
    show($("ring-empty"), true);
  }

  async function openRing(ringId, keepForm) {
    const token = ++state.ringToken;
    show($("ring-empty"), false);
    show($("ring-loading"), true);
    try {
      const [ringResult, graphResult] = await Promise.all([
        api("/rings/" + encodeURIComponent(ringId)),
        api("/rings/" + encodeURIComponent(ringId) + "/graph").catch((error) => ({ error })),
      ]);
      if (token !== state.ringToken) return;
      state.ring = ringResult.data;
      state.etag = ringResult.response.headers.get("ETag");
      state.graph = graphResult.error ? null : graphResult.data;
      show($("ring-loading"), false);
      show($("ring-view"), true);
      if (!keepForm) resetReviewForm();
      renderRing();
      drawGraph(state.graph, graphResult.error);
      loadAudit(false);
      $("ring-detail").scrollTop = 0;
    } catch (error) {
      if (token !== state.ringToken) return;
      show($("ring-loading"), false);
      show($("ring-empty"), true);
      reportError(error.status === 404 ? "No such ring " + ringId : "Opening ring " + ringId, error);
    }
  }

  function renderRing() {
    const ring = state.ring;
    $("ring-id").textContent = ring.ring_id;
    $("ring-kind").textContent = kindName(ring.kind);
    const score = $("ring-score");
    score.textContent = "score " + fmtScore(ring.score);
    score.style.background = scoreColour(ring.score);
    $("ring-status").replaceWith(Object.assign(statusBadge(ring.status), { id: "ring-status" }));
    $("ring-status").setAttribute("data-testid", "ring-status");
    const accounts = (ring.members || []).filter((m) => ACCOUNT_TYPES.has(m.type)).length;
    const facts = [
      ["first detected", fmtTime(ring.first_detected)],
      ["last seen in", ring.last_seen_run || ring.run_id],
      ["accounts", fmtNumber(accounts)],
      ["members", fmtNumber((ring.members || []).length)],
    ];
    if (ring.dissolved_in_run) facts.push(["dissolved in", ring.dissolved_in_run]);
    $("ring-facts").replaceChildren(...facts.filter(([, v]) => v).map(([k, v]) =>
      el("span", { class: "fact" }, el("span", { class: "muted", text: k + " " }), el("strong", { text: v }))));
    const note = $("ring-note");
    note.textContent = ring.note ? "Note: " + ring.note : "";
    show(note, Boolean(ring.note));
    $("review-version").textContent = state.etag ? "ring version " + state.etag.replace(/^W\//, "").replace(/"/g, "") : "";
    renderEvidence(ring.evidence || []);
    renderMetrics(ring.metrics || {});
    renderReviews(ring.reviews || []);
    renderHistory(ring.history || []);
    renderLineage(ring.lineage || {});
    renderMembers(ring.members || []);
  }

  function renderEvidence(evidence) {
    const items = evidence.map((ev) => el("li", {},
      el("span", { class: "weight", title: ev.code || "", text: fmtScore(Number(ev.weight || 0)) }),
      el("span", { class: "ev-text", text: ev.text || ev.code || "" }),
      ev.code ? el("span", { class: "ev-code", text: humanise(ev.code) }) : null));
    $("ring-evidence").replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: "No evidence recorded." })]));
  }

  function renderMetrics(metrics) {
    const cells = Object.entries(metrics).map(([name, value]) => el("div", { class: "metric" },
      el("dt", { text: humanise(name), title: humanise(name) }),
      el("dd", { text: typeof value === "object" && value !== null ? JSON.stringify(value) : fmtNumber(value) })));
    $("ring-metrics").replaceChildren(...cells);
  }

  function entryField(entry, names) {
    for (const name of names) if (entry[name] !== undefined && entry[name] !== null && entry[name] !== "") return entry[name];
    return null;
  }

  function renderEntry(entry, skip) {
    const at = entryField(entry, ["at", "created_at", "time", "timestamp", "reviewed_at"]);
    const actor = entryField(entry, ["actor", "reviewer", "by", "key_label", "user"]);
    const action = entryField(entry, ["action", "event", "decision"]);
    const note = entryField(entry, ["note", "comment"]);
    const from = entryField(entry, ["from_status", "previous_status", "status_before"]);
    const to = entryField(entry, ["to_status", "status", "status_after"]);
    const known = new Set(["at", "created_at", "time", "timestamp", "reviewed_at", "actor", "reviewer", "by",
      "key_label", "user", "action", "event", "decision", "note", "comment", "from_status", "previous_status",
      "status_before", "to_status", "status", "status_after", ...(skip || [])]);
    const extra = Object.entries(entry).filter(([k, v]) => !known.has(k) && v !== null && v !== undefined && v !== ""
      && typeof v !== "object");
    const li = el("li", { "data-action": action || "" },
      el("div", { class: "entry-head" },
        action ? el("span", { class: "action action-" + String(action).replace(/[^a-z]/g, ""), text: action }) : null,
        from || to ? el("span", { class: "muted", text: (from ? from + " → " : "→ ") + (to || "") }) : null,
        el("span", { class: "spacer" }),
        actor ? el("span", { class: "actor", text: String(actor) }) : null,
        el("time", { class: "muted", text: fmtTime(at) })),
      note ? el("p", { class: "entry-note", text: String(note) }) : null,
      extra.length ? el("div", { class: "entry-extra" },
        extra.map(([k, v]) => el("span", {}, el("span", { class: "muted", text: humanise(k) + " " }), el("code", { text: String(v) })))) : null);
    return li;
  }

  function renderReviews(reviews) {
    const items = reviews.map((r) => renderEntry(r, ["ring_id", "version"]));
    $("review-list").replaceChildren(...(items.length ? items : [el("li", { class: "muted empty-entry", text: "Not reviewed yet." })]));
  }

  function renderHistory(history) {
    const rows = history.slice().reverse().map((h) => el("tr", {},
      el("td", {}, el("code", { text: h.run_id || "" })),
      el("td", { title: fmtTime(h.at), text: fmtDate(h.at) }),
      el("td", { class: "num" }, el("span", { class: "score mini", style: { background: scoreColour(h.score) }, text: fmtScore(h.score) })),
      el("td", { class: "num", text: fmtNumber(h.accounts) })));
    $("ring-history").tBodies[0].replaceChildren(...rows);
    $("history-chart").replaceChildren(history.length > 1 ? historyChart(history) : el("span", { class: "muted small",
      text: history.length === 1 ? "Found in one run so far." : "No history." }));
  }

  function historyChart(history) {
    const width = 360, height = 90, padX = 28, padY = 12;
    const xs = (i) => padX + (i * (width - 2 * padX)) / Math.max(1, history.length - 1);
    const ys = (score) => height - padY - Math.max(0, Math.min(1, score)) * (height - 2 * padY);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img", "aria-label": "score per run" });
    for (const level of [0, 0.5, 1]) {
      chart.append(svg("line", { x1: padX, x2: width - padX, y1: ys(level), y2: ys(level), class: "grid" }),
        svg("text", { x: padX - 4, y: ys(level) + 3, class: "axis", "text-anchor": "end", text: level.toFixed(1) }));
    }
    const points = history.map((h, i) => `${xs(i).toFixed(1)},${ys(Number(h.score) || 0).toFixed(1)}`).join(" ");
    chart.append(svg("polyline", { points, class: "line" }));
    history.forEach((h, i) => {
      chart.append(svg("circle", { cx: xs(i), cy: ys(Number(h.score) || 0), r: 3.5, fill: scoreColour(h.score) },
        svg("title", { text: `${h.run_id || ""}: score ${fmtScore(h.score)}, ${fmtNumber(h.accounts)} accounts` })));
    });
    return chart;
  }

  function renderLineage(lineage) {
    const labels = { split_from: "split from", merged_from: "merged from", became: "became" };
    const parts = [];
    for (const [relation, ids] of Object.entries(lineage)) {
      if (!Array.isArray(ids) || ids.length === 0) continue;
      parts.push(el("dt", { text: labels[relation] || humanise(relation) }),
        el("dd", {}, ids.map((id) => el("a", { href: ringHash(id), class: "ring-ref" }, el("code", { text: id })))));
    }
    $("ring-lineage").replaceChildren(...(parts.length ? parts : [el("dd", { class: "muted", text: "No split or merge recorded." })]));
  }

  function renderMembers(members) {
    const groups = new Map();
    for (const m of members) {
      if (!groups.has(m.type)) groups.set(m.type, []);
      groups.get(m.type).push(String(m.id));
    }
    const rank = (t) => { const i = TYPE_PRIORITY.indexOf(t); return i < 0 ? TYPE_PRIORITY.length : i; };
    const types = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || String(a).localeCompare(String(b)));
    $("members-title").textContent = "Members (" + members.length + ")";
    $("ring-members").replaceChildren(...types.map((type) => el("div", { class: "member-group" },
      el("div", { class: "member-type" },
        el("span", { class: ACCOUNT_TYPES.has(type) ? "dot" : "dot square", style: { background: typeColour(type) } }),
        el("span", { text: type + " (" + groups.get(type).length + ")" })),
      el("div", { class: "member-ids" }, groups.get(type).sort().map((id) => el("button", {
        type: "button", class: "member-id", "data-member": type + ":" + id, title: "Show in graph",
        onclick: () => focusNode(type + ":" + id), text: id,
      }))))));
  }

  // --- the graph (Cytoscape.js) -----------------------------------------------------------

  function shortLabel(label) {
    const text = String(label == null ? "" : label);
    return text.length <= 16 ? text : text.slice(0, 15) + "…";
  }

  function graphElements(graph) {
    const nodes = (graph.nodes || []).map((n) => ({
      group: "nodes",
      data: {
        id: String(n.id), type: String(n.type || ""), label: shortLabel(n.label !== undefined ? n.label : n.id),
        full: String(n.label !== undefined ? n.label : n.id), flagged: n.flagged !== false,
        colour: typeColour(n.type), shape: ACCOUNT_TYPES.has(n.type) || !TYPE_COLOURS[n.type] ? "ellipse" : "round-rectangle",
      },
    }));
    const byId = new Map(nodes.map((n) => [n.data.id, n.data]));
    const edges = (graph.edges || []).filter((e) => byId.has(String(e.source)) && byId.has(String(e.target)));
    for (const n of nodes) n.data.degree = 0;
    for (const e of edges) { byId.get(String(e.source)).degree++; byId.get(String(e.target)).degree++; }
    const heaviest = {};
    for (const e of edges) heaviest[e.type] = Math.max(heaviest[e.type] || 0, Number(e.weight) || 0);
    const edgeElements = edges.map((e, i) => {
      const style = EDGE_STYLES[e.type] || { colour: OTHER_COLOUR, style: "solid" };
      const most = heaviest[e.type] || 1;
      return {
        group: "edges",
        data: Object.assign({}, e, {
          id: "e" + i, source: String(e.source), target: String(e.target), type: String(e.type || ""),
          colour: style.colour, lineStyle: style.style,
          width: 0.8 + 3.4 * Math.sqrt(Math.max(Number(e.weight) || 0, 0) / most),
        }),
      };
    });
    return nodes.concat(edgeElements);
  }

  const GRAPH_STYLE = [
    { selector: "node", style: {
      "background-color": "data(colour)", shape: "data(shape)", width: "mapData(degree, 1, 20, 16, 36)",
      height: "mapData(degree, 1, 20, 16, 36)", label: "data(label)", "font-size": 9, "min-zoomed-font-size": 5,
      "font-family": "ui-monospace, SFMono-Regular, Menlo, monospace", color: "#3b4148",
      "text-valign": "bottom", "text-margin-y": 3, "text-outline-color": "#fbfbfc", "text-outline-width": 2,
      "border-width": 1.5, "border-color": "#ffffff",
    } },
    { selector: "node[!flagged]", style: { opacity: 0.55 } },
    { selector: "edge", style: {
      "line-color": "data(colour)", "line-style": "data(lineStyle)", width: "data(width)", opacity: 0.7,
      "curve-style": "bezier", "target-arrow-shape": "none",
    } },
    { selector: "node:selected", style: { "border-color": "#1f2328", "border-width": 3, "font-weight": "bold" } },
    { selector: "edge:selected", style: { opacity: 1, "underlay-color": "#1f2328", "underlay-opacity": 0.15, "underlay-padding": 3 } },
    { selector: ".faded", style: { opacity: 0.15 } },
  ];

  function layoutOptions(name, count) {
    if (name === "concentric") {
      return { name: "concentric", animate: false, fit: true, padding: 24, minNodeSpacing: 36, avoidOverlap: true,
        concentric: (node) => node.degree() };
    }
    return { name: "cose", animate: false, fit: true, padding: 24, randomize: true, nodeDimensionsIncludeLabels: true,
      idealEdgeLength: () => (count > 80 ? 40 : 55), nodeRepulsion: () => 6000, gravity: 1, numIter: 2000,
      componentSpacing: 60 };
  }

  /** Run a layout; a small ring is not blown up beyond a readable zoom. */
  function runLayout(cy) {
    const layout = cy.layout(layoutOptions($("graph-layout").value, cy.nodes().length));
    layout.one("layoutstop", () => {
      if (cy.zoom() > 1.6) { cy.zoom(1.6); cy.center(); }
    });
    layout.run();
  }

  function drawGraph(graph, error) {
    const container = $("ring-graph");
    if (state.cy) { state.cy.destroy(); state.cy = null; }
    window.ringwatchCy = null;
    container.replaceChildren();
    container.dataset.state = "empty";
    resetSelection();
    const note = $("graph-note");
    if (error || !graph) {
      note.textContent = "";
      container.append(el("p", { class: "graph-empty", text: "The graph could not be loaded" + (error ? ": " + error.message : ".") }));
      return;
    }
    const nodeCount = (graph.nodes || []).length;
    const edgeCount = (graph.edges || []).length;
    note.textContent = nodeCount + " nodes · " + edgeCount + " edges" +
      (graph.truncated ? " · truncated: accounts first, not every member is drawn" : "");
    note.classList.toggle("warn", Boolean(graph.truncated));
    if (typeof window.cytoscape !== "function") {
      container.append(el("p", { class: "graph-empty", text: "Cytoscape.js did not load (vendor/cytoscape)." }));
      return;
    }
    if (nodeCount === 0) {
      container.append(el("p", { class: "graph-empty", text: "No members to draw." }));
      return;
    }
    const cy = window.cytoscape({
      container, elements: graphElements(graph), style: GRAPH_STYLE, layout: { name: "preset" },
      minZoom: 0.1, maxZoom: 4, boxSelectionEnabled: false,
    });
    runLayout(cy);
    cy.on("tap", "node", (event) => selectNode(event.target));
    cy.on("tap", "edge", (event) => selectEdge(event.target));
    cy.on("tap", (event) => { if (event.target === cy) resetSelection(); });
    state.cy = cy;
    window.ringwatchCy = cy;
    container.dataset.state = "drawn";
    container.dataset.ringId = state.ring ? state.ring.ring_id : "";
  }

  function resetSelection() {
    if (state.cy) state.cy.elements().removeClass("faded");
    for (const b of document.querySelectorAll(".member-id.active")) b.classList.remove("active");
    $("graph-selection").replaceChildren(el("span", { class: "muted", text: "Click a node or an edge for details." }));
  }

  function selectNode(node) {
    const cy = state.cy;
    cy.elements().addClass("faded");
    node.closedNeighborhood().removeClass("faded");
    const type = node.data("type");
    const id = node.data("full");
    for (const b of document.querySelectorAll(".member-id")) b.classList.toggle("active", b.dataset.member === node.id());
    const kinds = {};
    node.connectedEdges().forEach((e) => { kinds[e.data("type")] = (kinds[e.data("type")] || 0) + 1; });
    $("graph-selection").replaceChildren(
      el("span", { class: ACCOUNT_TYPES.has(type) ? "dot" : "dot square", style: { background: typeColour(type) } }),
      el("strong", { text: type + " " }), el("code", { text: id }),
      el("span", { class: "muted", text: " · " + node.degree() + " edges" +
        (Object.keys(kinds).length ? " (" + Object.entries(kinds).map(([k, n]) => n + " " + k).join(", ") + ")" : "") }),
      ACCOUNT_TYPES.has(type) ? el("button", { type: "button", class: "btn small ghost", "data-testid": "find-member-rings",
        text: "Rings of this account", onclick: () => filterByMember(type + ":" + id) }) : null);
  }

  function selectEdge(edge) {
    const cy = state.cy;
    cy.elements().addClass("faded");
    edge.removeClass("faded").connectedNodes().removeClass("faded");
    const data = edge.data();
    const skip = new Set(["id", "source", "target", "type", "colour", "lineStyle", "width", "label"]);
    const numbers = Object.entries(data).filter(([k, v]) => !skip.has(k) && v !== null && typeof v !== "object");
    $("graph-selection").replaceChildren(
      el("strong", { text: data.type + " " }),
      el("code", { text: edge.source().data("full") }), " → ", el("code", { text: edge.target().data("full") }),
      el("span", { class: "edge-facts" }, numbers.map(([k, v]) =>
        el("span", {}, el("span", { class: "muted", text: " · " + humanise(k) + " " }), el("strong", { text: fmtNumber(v) })))));
  }

  function focusNode(nodeId) {
    const cy = state.cy;
    if (!cy) return;
    const node = cy.getElementById(nodeId);
    if (!node || node.empty()) {
      $("graph-selection").replaceChildren(el("span", { class: "muted", text: "Not drawn (the graph was truncated): " }),
        el("code", { text: nodeId }));
      return;
    }
    cy.elements().unselect();
    node.select();
    selectNode(node);
    cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 250 });
    $("ring-graph").scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function filterByMember(member) {
    const form = $("ring-filters");
    form.elements.member.value = member;
    form.elements.status.value = "all";
    loadRings(false);
  }

  async function exportGraph(format) {
    if (!state.ring) return;
    const ringId = state.ring.ring_id;
    try {
      const { response } = await api("/rings/" + encodeURIComponent(ringId) + "/graph",
        { params: { format }, raw: true, headers: { Accept: "*/*" } });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: ringId.replace(/[^A-Za-z0-9_.-]/g, "_") + "." + format });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      reportError("Exporting " + format, error);
    }
  }

  function renderLegend() {
    const keys = Object.entries(TYPE_COLOURS).map(([type, colour]) => el("span", { class: "key" },
      el("span", { class: ACCOUNT_TYPES.has(type) ? "swatch" : "swatch square", style: { background: colour } }), type));
    for (const [rel, style] of Object.entries(EDGE_STYLES)) {
      keys.push(el("span", { class: "key" },
        el("span", { class: "line", style: { borderTop: "3px " + style.style + " " + style.colour } }), rel));
    }
    keys.push(el("span", { class: "muted small", text: "line width: events or orders" }));
    $("graph-legend").replaceChildren(...keys);
  }

  // --- reviews and audit ------------------------------------------------------------------

  function resetReviewForm() {
    const form = $("review-form");
    form.reset();
    setReviewMessage(null);
  }

  function setReviewMessage(kind, parts) {
    const box = $("review-message");
    box.className = "message" + (kind ? " " + kind : "");
    box.replaceChildren(...(parts || []));
    show(box, Boolean(kind));
  }

  async function onReviewSubmit(event) {
    event.preventDefault();
    const ring = state.ring;
    if (!ring) return;
    const form = $("review-form");
    const action = form.elements.action.value;
    if (!action) {
      setReviewMessage("error", [el("span", { text: "Choose confirm, dismiss or escalate." })]);
      return;
    }
    const note = form.elements.note.value.trim();
    const submit = $("review-submit");
    submit.disabled = true;
    setReviewMessage("pending", [el("span", { text: "Saving…" })]);
    try {
      const headers = {};
      if (state.etag) headers["If-Match"] = state.etag;
      const { data, response } = await api("/rings/" + encodeURIComponent(ring.ring_id) + "/reviews",
        { method: "POST", body: { action, note }, headers });
      if (state.ring !== ring) return;
      if (data && typeof data === "object" && data.ring_id === ring.ring_id) state.ring = data;
      state.etag = response.headers.get("ETag") || state.etag;
      if (!(data && data.ring_id === ring.ring_id)) {
        await openRing(ring.ring_id, true);
      } else {
        renderRing();
      }
      form.reset();
      updateListItem(state.ring);
      setReviewMessage("ok", [el("span", { text: "Review saved: " + action + ". The ring is now " + (state.ring.status || "updated") + "." })]);
      await loadAudit(false);
    } catch (error) {
      if (error.status === 412) {
        setReviewMessage("conflict", [
          el("strong", { text: "Someone else reviewed this ring; reload." }),
          el("span", { text: " Your review was not saved. Reload the ring to see the other review, then decide again (your note is kept)." }),
          el("button", { type: "button", class: "btn small", id: "review-reload", "data-testid": "review-reload",
            text: "Reload ring", onclick: () => openRing(ring.ring_id, true) }),
        ]);
        loadAudit(false);
      } else if (error.status === 403) {
        setReviewMessage("error", [el("span", { text: "Your key may not post reviews: the investigator role is needed." + requestId(error) })]);
      } else if (error.status === 428) {
        setReviewMessage("error", [el("span", { text: "The ring's version is unknown; reload the ring and try again." })]);
      } else if (error.status !== 401) {
        setReviewMessage("error", [el("span", { text: "The review was not saved: " + error.message + requestId(error) })]);
      }
    } finally {
      submit.disabled = false;
    }
  }

  async function loadAudit(more) {
    const ring = state.ring;
    if (!ring) return;
    const list = $("audit-list");
    const params = { ring_id: ring.ring_id, limit: 100 };
    if (more && state.audit.next) params.cursor = state.audit.next;
    try {
      const { data } = await api("/audit", { params });
      if (state.ring === null || state.ring.ring_id !== ring.ring_id) return;
      const items = Array.isArray(data) ? data : Array.isArray(data.items) ? data.items : [];
      state.audit.items = more ? state.audit.items.concat(items) : items;
      state.audit.next = data && data.next_cursor ? data.next_cursor : null;
      const rows = state.audit.items.map((entry) => renderEntry(entry, ["ring_id", "audit_id"]));
      list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted empty-entry", text: "No audit entries for this ring." })]));
      show($("audit-more"), Boolean(state.audit.next));
    } catch (error) {
      list.replaceChildren(el("li", { class: "muted empty-entry",
        text: error.status === 403 ? "Your key may not read the audit log." : "Could not load the audit trail: " + error.message }));
    }
  }

  // --- dashboard ----------------------------------------------------------------------------

  function statsRuns(stats) {
    const runs = stats.runs || stats.per_run || stats.by_run || [];
    return Array.isArray(runs) ? runs : Object.entries(runs).map(([runId, r]) => Object.assign({ run_id: runId }, r));
  }

  function statsNow(stats) { return stats.now || stats.current || {}; }

  async function loadStats() {
    try {
      const { data } = await api("/stats");
      renderStats(data || {});
    } catch (error) {
      reportError("Loading statistics", error);
    }
  }

  function renderStats(stats) {
    const runs = statsRuns(stats);
    const now = statsNow(stats);
    // "now": rings by kind and status, commission held by open rings
    const byKindStatus = now.rings_by_kind_and_status || now.rings_by_kind_status || now.by_kind_status || {};
    const statuses = new Set();
    for (const counts of Object.values(byKindStatus)) {
      if (counts && typeof counts === "object") Object.keys(counts).forEach((s) => statuses.add(s));
    }
    const statusOrder = ["new", "confirmed", "escalated", "dismissed", "dissolved"];
    const columns = [...statuses].sort((a, b) => (statusOrder.indexOf(a) + 1 || 99) - (statusOrder.indexOf(b) + 1 || 99));
    const open = (counts) => Object.entries(counts || {}).filter(([s]) => s !== "dismissed" && s !== "dissolved")
      .reduce((sum, [, n]) => sum + (Number(n) || 0), 0);
    const openCount = entryField(now, ["open_rings"]);
    const totalOpen = typeof openCount === "number" ? openCount
      : Object.values(byKindStatus).reduce((sum, c) => sum + open(c), 0);
    const held = entryField(now, ["commission_held_by_open_rings", "commission_held"]);
    const tiles = [["open rings", fmtNumber(totalOpen)],
      ["commission held by open rings", held === null ? "—" : fmtNumber(Number(held))],
      ["runs", fmtNumber(runs.length)]];
    const last = runs[runs.length - 1];
    if (last) tiles.push(["latest run", fmtTime(last.started_at || last.at)]);
    $("stats-now").replaceChildren(...tiles.map(([name, value]) => el("div", { class: "tile" },
      el("span", { class: "value", text: value }), el("span", { class: "name", text: name }))));
    const table = $("stats-status");
    table.replaceChildren(
      el("thead", {}, el("tr", {}, el("th", { text: "kind" }), columns.map((s) => el("th", { class: "num", text: s })),
        el("th", { class: "num", text: "open" }))),
      el("tbody", {}, Object.entries(byKindStatus).map(([kind, counts], i) => el("tr", {},
        el("th", {}, el("span", { class: "kind-dot", style: { background: kindColour(kind, i) } }), kindName(kind)),
        columns.map((s) => el("td", { class: "num", text: fmtNumber((counts || {})[s] || 0) })),
        el("td", { class: "num strong", text: fmtNumber(open(counts)) })))));
    $("stats-chart").replaceChildren(runs.length ? runsChart(runs) : el("p", { class: "muted", text: "No runs yet." }));
    const runsTable = $("stats-runs");
    runsTable.replaceChildren(
      el("thead", {}, el("tr", {}, ["run", "started", "rings", "new", "persisting", "dissolved"].map((h, i) =>
        el("th", { class: i > 1 ? "num" : null, text: h })))),
      el("tbody", {}, runs.slice().reverse().map((r) => el("tr", {},
        el("td", {}, el("code", { text: r.run_id || "" })),
        el("td", { text: fmtTime(r.started_at || r.at) }),
        el("td", { class: "num", text: fmtNumber(runTotal(r)) }),
        el("td", { class: "num", text: fmtNumber(r.new) }),
        el("td", { class: "num", text: fmtNumber(r.persisting) }),
        el("td", { class: "num", text: fmtNumber(r.dissolved) })))));
  }

  function runKinds(run) { return run.rings_by_kind || run.by_kind || {}; }

  function runTotal(run) {
    if (typeof run.rings === "number") return run.rings;
    return Object.values(runKinds(run)).reduce((s, n) => s + (Number(n) || 0), 0);
  }

  function runsChart(runs) {
    const kinds = [];
    for (const run of runs) for (const kind of Object.keys(runKinds(run))) if (!kinds.includes(kind)) kinds.push(kind);
    const shown = runs.slice(-30);
    const width = 960, height = 300, left = 44, right = 16, top = 16, bottom = 56;
    const plotW = width - left - right, plotH = height - top - bottom;
    const maxTotal = Math.max(1, ...shown.map((r) => Object.values(runKinds(r)).reduce((s, n) => s + (Number(n) || 0), 0)));
    const step = niceStep(maxTotal);
    const yMax = Math.ceil(maxTotal / step) * step;
    const y = (v) => top + plotH - (v / yMax) * plotH;
    const slot = plotW / shown.length;
    const barW = Math.min(56, slot * 0.7);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "bars", role: "img",
      "aria-label": "rings by kind per run", "data-testid": "stats-bars" });
    for (let v = 0; v <= yMax; v += step) {
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }),
        svg("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end", text: fmtNumber(v) }));
    }
    shown.forEach((run, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      let base = 0;
      const group = svg("g", { class: "bar", "data-run-id": run.run_id || "" });
      kinds.forEach((kind, k) => {
        const n = Number(runKinds(run)[kind]) || 0;
        if (n <= 0) return;
        group.append(svg("rect", { x, y: y(base + n), width: barW, height: Math.max(0.5, y(base) - y(base + n)),
          fill: kindColour(kind, k) }, svg("title", { text: `${run.run_id || ""}\n${kindName(kind)}: ${n}` })));
        base += n;
      });
      group.append(svg("text", { x: x + barW / 2, y: y(base) - 4, class: "total", "text-anchor": "middle", text: fmtNumber(base) }));
      const label = fmtTime(run.started_at || run.at);
      group.append(svg("text", { x: x + barW / 2, y: height - bottom + 16, class: "axis", "text-anchor": "middle",
        text: label.slice(0, 10) }), svg("text", { x: x + barW / 2, y: height - bottom + 29, class: "axis", "text-anchor": "middle",
        text: label.slice(11, 16) }));
      chart.append(group);
    });
    const legend = el("div", { class: "legend" }, kinds.map((kind, k) => el("span", { class: "key" },
      el("span", { class: "swatch square", style: { background: kindColour(kind, k) } }), kindName(kind))),
    runs.length > shown.length ? el("span", { class: "muted small", text: "last " + shown.length + " of " + runs.length + " runs" }) : null);
    return el("div", {}, chart, legend);
  }

  function niceStep(max) {
    const raw = max / 5;
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return Math.max(1, m * power);
    return Math.max(1, 10 * power);
  }

  // --- start ------------------------------------------------------------------------------

  function start() {
    renderLegend();
    $("key-form").addEventListener("submit", onKeySubmit);
    $("key-change").addEventListener("click", () => { forgetKey(); askForKey(); });
    $("notice-close").addEventListener("click", () => show($("notice"), false));
    $("ring-filters").addEventListener("submit", (event) => { event.preventDefault(); loadRings(false); });
    for (const name of ["kind", "status", "sort"]) {
      $("ring-filters").elements[name].addEventListener("change", () => loadRings(false));
    }
    $("filter-reset").addEventListener("click", () => { $("ring-filters").reset(); loadRings(false); });
    $("load-more").addEventListener("click", () => loadRings(true));
    $("review-form").addEventListener("submit", onReviewSubmit);
    $("audit-more").addEventListener("click", () => loadAudit(true));
    $("graph-layout").addEventListener("change", () => {
      if (state.cy) runLayout(state.cy);
    });
    $("graph-fit").addEventListener("click", () => { if (state.cy) state.cy.fit(undefined, 24); });
    $("graph-export-graphml").addEventListener("click", () => exportGraph("graphml"));
    $("graph-export-gexf").addEventListener("click", () => exportGraph("gexf"));
    window.addEventListener("hashchange", route);
    state.key = loadKey();
    updateKeyStatus();
    route();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
