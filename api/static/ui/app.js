/* Ringwatch review page: a client of the HTTP API in docs/api.md, plain JS, no build step.
 *
 * Views (hash routes): #/rings[/ID] the ring list and one ring, #/accounts[/TYPE/ID] one account
 * (its rings, risk, shared identifiers and neighbourhood), #/dashboard. Graphs are drawn with the
 * rules of the HTML report (see "readable pictures" below) so that dense rings stay readable.
 *
 * Every id, label, note and evidence sentence comes from marketplace input or other
 * users and is untrusted: text reaches the page only through textContent (see el/svg),
 * never through innerHTML, and links are built from encodeURIComponent'ed hashes.
 */
(function () {
  "use strict";

  // --- constants shared with the HTML report (api/report.py) ------------------------------

  /** Member types (accounts and identifiers): the domain's type table, read from GET /vocabulary
   *  once a key is known (see loadVocabulary), never copied here. */
  const TYPES = { loaded: false, colours: {}, accounts: new Set(), order: [], labels: {}, plurals: {} };
  const OTHER_COLOUR = "#555555";
  const EDGE_STYLES = {
    USES: { colour: "#8d8d8d", style: "dashed" },
    // The two drawn edges that are a path in Neo4j say which (docs/contract.md, "Graph model").
    TRADES: { colour: "#d1495b", style: "solid", database: "orders ATTRIBUTED_TO the creator, FROM the shop" },
    BOUGHT: { colour: "#66a182", style: "solid", database: "PLACED orders" },
    OWNS: { colour: "#1b3a5c", style: "solid" },
  };
  /** Ring kinds' words and colours: the domain's kind table, from GET /vocabulary too. */
  const KINDS = { names: {}, plurals: {}, colours: {}, order: [] };
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
    account: null, accountToken: 0,
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

  /** ``node.replaceChildren`` with ``append``'s rules: null, undefined and false add nothing (the
   *  DOM's own would write "null"), arrays are flattened, text is text. */
  function setChildren(node, ...children) {
    node.replaceChildren();
    append(node, children);
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

  // --- scores: the rule of api/score_text.py (two decimals, more where two would hide a difference) ---

  const SCORE_MIN_DECIMALS = 2;
  const SCORE_MAX_DECIMALS = 4;

  function readableScore(score) { return typeof score === "number" && Number.isFinite(score); }

  /** Decimals so that a score that is not 0 or 1 never reads as 0.00 or 1.00. */
  function scoreAlone(score) {
    for (let d = SCORE_MIN_DECIMALS; d <= SCORE_MAX_DECIMALS; d++) {
      const shown = Number(score.toFixed(d));
      if (score === 0 || score === 1 || (shown !== 0 && shown !== 1)) return d;
    }
    return SCORE_MAX_DECIMALS;
  }

  /** Decimals so that two different scores read differently. */
  function scoresApart(a, b) {
    if (a === b) return SCORE_MIN_DECIMALS;
    for (let d = SCORE_MIN_DECIMALS; d <= SCORE_MAX_DECIMALS; d++) {
      if (a.toFixed(d) !== b.toFixed(d)) return d;
    }
    return SCORE_MAX_DECIMALS;
  }

  /** One score on its own (a ring's page, an account's risk). */
  function fmtScore(score) { return readableScore(score) ? score.toFixed(scoreAlone(score)) : "—"; }

  /** Scores as a list shows them, in its order: each as far apart from its neighbours as they differ;
   * a run of equal neighbours shares the decimals the widest of them needs. */
  function fmtScores(scores) {
    const decimals = scores.map((score, i) => {
      if (!readableScore(score)) return 0;
      let d = scoreAlone(score);
      for (const j of [i - 1, i + 1]) {
        if (j >= 0 && j < scores.length && readableScore(scores[j])) d = Math.max(d, scoresApart(score, scores[j]));
      }
      return d;
    });
    let start = 0;
    for (let i = 1; i <= scores.length; i++) {
      if (i === scores.length || scores[i] !== scores[start]) {
        const widest = Math.max(...decimals.slice(start, i));
        for (let k = start; k < i; k++) decimals[k] = widest;
        start = i;
      }
    }
    return scores.map((score, i) => (readableScore(score) ? score.toFixed(decimals[i]) : "—"));
  }

  // --- end of scores ---

  /** Write the scores of a list of ring items (``li`` in the rings' order) by the list rule. */
  function relabelScores(ul, rings) {
    const texts = fmtScores(rings.map((r) => r.score));
    const items = Array.from(ul.querySelectorAll(":scope > li[data-ring-id]"));
    items.forEach((li, i) => {
      const pill = li.querySelector("[data-testid=score]");
      if (pill && i < texts.length) pill.textContent = texts[i];
    });
  }

  /** Metrics that are sums of money: shown with the ring's currency (the report's MONEY_METRICS). */
  const MONEY_METRICS = new Set(["commission_total", "gmv", "amount", "commission_held", "refunded_amount"]);
  const MONEY_SUFFIXES = ["_gmv", "_amount", "_commission_total"];
  const moneyFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 });

  function isMoney(name) { return MONEY_METRICS.has(name) || MONEY_SUFFIXES.some((s) => String(name).endsWith(s)); }

  function currencyOf(metrics) { return metrics && metrics.currency ? String(metrics.currency) : null; }

  /** An amount with its currency: "1,830.50 USD"; the number alone when the snapshot had no currency. */
  function money(value, currency) {
    if (typeof value !== "number" || !Number.isFinite(value)) return fmtNumber(value);
    const number = moneyFormat.format(value);
    if (!currency) return number;
    return currency === "mixed" ? number + " (summed over mixed currencies)" : number + " " + currency;
  }

  /** A metric's value as shown: money with its currency, other numbers as numbers. */
  function fmtMetric(name, value, metrics) {
    if (isMoney(name) && typeof value === "number") return money(value, currencyOf(metrics));
    if (typeof value === "object" && value !== null) return JSON.stringify(value);
    return fmtNumber(value);
  }

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
  function typeColour(type) { return TYPES.colours[type] || OTHER_COLOUR; }
  function kindName(kind) { return KINDS.names[kind] || humanise(kind || ""); }
  function humanise(name) { return String(name).replace(/_/g, " "); }

  function kindColour(kind, index) {
    return KINDS.colours[kind] || EXTRA_KIND_COLOURS[index % EXTRA_KIND_COLOURS.length];
  }

  function statusBadge(status) {
    return el("span", { class: "badge status-" + String(status || "").replace(/[^a-z_]/g, ""),
      "data-testid": "status", text: status || "—" });
  }

  function scorePill(score) {
    return el("span", { class: "score", "data-testid": "score", style: { background: scoreColour(score) }, text: fmtScore(score) });
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
    if (hash.startsWith("/cases")) return { view: "cases", casePath: hash.slice("/cases".length) };
    const account = hash.match(/^\/accounts\/([^/]+)\/(.+)$/);
    if (account) {
      try {
        return { view: "account", accountType: decodeURIComponent(account[1]), accountId: decodeURIComponent(account[2]) };
      } catch (_) { /* fall through */ }
    }
    if (hash.startsWith("/accounts")) return { view: "account", accountType: null, accountId: null };
    const match = hash.match(/^\/rings\/(.+)$/);
    if (match) {
      try { return { view: "rings", ringId: decodeURIComponent(match[1]) }; } catch (_) { /* fall through */ }
    }
    return { view: "rings", ringId: null };
  }

  /** The kind filter's choices: every ring kind of the table, in its words (the page keeps no list). */
  function fillKindFilter() {
    const select = $("filter-kind");
    const chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const kind of KINDS.order) {
      select.appendChild(el("option", { value: kind, text: KINDS.plurals[kind] }));
    }
    select.value = KINDS.order.includes(chosen) ? chosen : "";
  }

  /** The member types' colours, words and order, from the API; the legends are drawn from them. */
  async function loadVocabulary() {
    const { data } = await api("/vocabulary");
    const rows = data.account_types.concat(data.identifier_types);
    TYPES.colours = Object.fromEntries(rows.map((t) => [t.name, t.colour]));
    TYPES.labels = Object.fromEntries(rows.map((t) => [t.name, t.label]));
    TYPES.plurals = Object.fromEntries(rows.map((t) => [t.name, t.plural]));
    TYPES.accounts = new Set(data.account_types.map((t) => t.name));
    TYPES.order = data.type_order.slice();
    KINDS.names = Object.fromEntries(data.ring_kinds.map((k) => [k.name, k.label]));
    KINDS.plurals = Object.fromEntries(data.ring_kinds.map((k) => [k.name, k.plural]));
    KINDS.colours = Object.fromEntries(data.ring_kinds.map((k) => [k.name, k.colour]));
    KINDS.order = data.ring_kinds.map((k) => k.name);
    fillKindFilter();
    TYPES.loaded = true;
    renderLegend(panels.ring);
    renderLegend(panels.account);
  }

  function route() {
    if (!state.key) { askForKey(); return; }
    if (!TYPES.loaded) {
      loadVocabulary().then(route, (error) => reportError("Loading the member types", error));
      return;
    }
    const next = parseRoute();
    state.route = next;
    show($("view-rings"), next.view === "rings");
    show($("view-dashboard"), next.view === "dashboard");
    show($("view-account"), next.view === "account");
    show($("view-cases"), next.view === "cases");
    $("nav-rings").classList.toggle("active", next.view === "rings");
    $("nav-dashboard").classList.toggle("active", next.view === "dashboard");
    $("nav-accounts").classList.toggle("active", next.view === "account");
    $("nav-cases").classList.toggle("active", next.view === "cases");
    if (next.view === "cases") { if (window.RingwatchCases) window.RingwatchCases.route(next.casePath); return; }
    if (next.view === "dashboard") { loadStats(); loadReliability(); return; }
    if (next.view === "account") {
      if (!next.accountId) { closeAccount(); $("account-id").focus(); return; }
      const current = state.account;
      if (!current || current.type !== next.accountType || current.id !== next.accountId) {
        openAccount(next.accountType, next.accountId);
      }
      return;
    }
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
    if (replace) setChildren(ul);
    for (const ring of added) ul.append(ringListItem(ring));
    const list = state.list;
    relabelScores(ul, list.items);
    const count = list.items.length;
    const meta = $("ring-list-meta");
    setChildren(meta, 
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
            el("span", { class: "muted", "data-testid": "ring-commission",
              text: money(ring.metrics.commission_total, currencyOf(ring.metrics)) + " commission" })]
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
    destroyPanel(panels.ring);
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
      drawGraph(panels.ring, state.graph, graphResult.error, { truncatedText: "accounts first, not every member is drawn",
        evidence: state.ring.evidence || [] });
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
    score.title = "Estimated probability that the ring is mostly fraudulent; of rings scored about 0.8, about eight in ten are.";
    score.style.background = scoreColour(ring.score);
    $("ring-status").replaceWith(Object.assign(statusBadge(ring.status), { id: "ring-status" }));
    $("ring-status").setAttribute("data-testid", "ring-status");
    const accounts = (ring.members || []).filter((m) => TYPES.accounts.has(m.type)).length;
    const facts = [
      ["first detected", fmtTime(ring.first_detected)],
      ["last seen in", ring.last_seen_run || ring.run_id],
      ["accounts", fmtNumber(accounts)],
      ["members", fmtNumber((ring.members || []).length)],
    ];
    if (ring.dissolved_in_run) facts.push(["dissolved in", ring.dissolved_in_run]);
    setChildren($("ring-facts"), ...facts.filter(([, v]) => v).map(([k, v]) =>
      el("span", { class: "fact" }, el("span", { class: "muted", text: k + " " }), el("strong", { text: v }))));
    const note = $("ring-note");
    note.textContent = ring.note ? "Note: " + ring.note : "";
    show(note, Boolean(ring.note));
    $("review-version").textContent = state.etag ? "ring version " + state.etag.replace(/^W\//, "").replace(/"/g, "") : "";
    renderOverlaps(ring.overlaps || []);
    renderEvidence(ring.evidence || []);
    renderMetrics(ring.metrics || {});
    renderReviews(ring.reviews || []);
    renderHistory(ring.history || []);
    renderLineage(ring.lineage || {});
    renderMembers(ring.members || []);
  }

  /** "shares 3 accounts with ring R-x", one line per open ring sharing accounts, each a link to it. */
  function renderOverlaps(overlaps) {
    const items = overlaps.map((o) => el("li", { "data-ring-id": o.ring_id, "data-testid": "overlap" },
      "shares " + fmtNumber(o.shared_accounts) + (o.shared_accounts === 1 ? " account" : " accounts") + " with ",
      kindName(o.kind) + " ",
      el("a", { href: ringHash(o.ring_id) }, el("code", { text: o.ring_id })),
      el("span", { class: "muted", text: " (" + String(o.status || "") + ", score " + fmtScore(o.score) + ")" })));
    setChildren($("ring-overlaps"), ...items);
    show($("ring-overlaps"), items.length > 0);
  }

  function renderEvidence(evidence) {
    // Items of weight 0 add nothing to the score but say why it was discounted: kept, muted, last.
    const ordered = [...evidence.filter((ev) => Number(ev.weight || 0) !== 0), ...evidence.filter((ev) => Number(ev.weight || 0) === 0)];
    const items = ordered.map((ev) => el("li", { class: Number(ev.weight || 0) === 0 ? "context" : "", "data-code": ev.code || "" },
      el("span", { class: "weight", title: ev.code || "", text: fmtScore(Number(ev.weight || 0)) }),
      el("span", { class: "ev-text", text: ev.text || ev.code || "" }),
      ev.code ? el("span", { class: "ev-code", text: humanise(ev.code) }) : null));
    setChildren($("ring-evidence"), ...(items.length ? items : [el("li", { class: "muted", text: "No evidence recorded." })]));
  }

  /** Every metric by its whole name (it wraps, never cut); money with the ring's currency. */
  function renderMetrics(metrics) {
    const cells = Object.entries(metrics).filter(([name]) => name !== "currency").map(([name, value]) =>
      el("div", { class: "metric", "data-metric": name },
        el("dt", { text: humanise(name) }),
        el("dd", { text: fmtMetric(name, value, metrics) })));
    setChildren($("ring-metrics"), ...cells);
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
    setChildren($("review-list"), ...(items.length ? items : [el("li", { class: "muted empty-entry", text: "Not reviewed yet." })]));
  }

  function renderHistory(history) {
    const shown = history.slice().reverse();
    const texts = fmtScores(shown.map((h) => h.score));
    const rows = shown.map((h, i) => el("tr", {},
      el("td", {}, el("code", { text: h.run_id || "" })),
      el("td", { title: fmtTime(h.at), text: fmtDate(h.at) }),
      el("td", { class: "num" }, el("span", { class: "score mini", style: { background: scoreColour(h.score) }, text: texts[i] })),
      el("td", { class: "num", text: fmtNumber(h.accounts) })));
    $("ring-history").tBodies[0].replaceChildren(...rows);
    setChildren($("history-chart"), history.length > 1 ? historyChart(history) : el("span", { class: "muted small",
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
    setChildren($("ring-lineage"), ...(parts.length ? parts : [el("dd", { class: "muted", text: "No split or merge recorded." })]));
  }

  function renderMembers(members) {
    const groups = new Map();
    for (const m of members) {
      if (!groups.has(m.type)) groups.set(m.type, []);
      groups.get(m.type).push(String(m.id));
    }
    const rank = (t) => { const i = TYPES.order.indexOf(t); return i < 0 ? TYPES.order.length : i; };
    const types = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || String(a).localeCompare(String(b)));
    $("members-title").textContent = "Members (" + members.length + ")";
    setChildren($("ring-members"), ...types.map((type) => el("div", { class: "member-group" },
      el("div", { class: "member-type" },
        el("span", { class: TYPES.accounts.has(type) ? "dot" : "dot square", style: { background: typeColour(type) } }),
        el("span", { text: type + " (" + groups.get(type).length + ")" })),
      el("div", { class: "member-ids" }, groups.get(type).sort().map((id) => el("button", {
        type: "button", class: "member-id", "data-member": type + ":" + id, title: "Show in graph",
        onclick: () => focusNode(type + ":" + id), text: id,
      }))))));
  }

  // --- readable pictures: the rules of the report (core/reporting.py, ring_picture) -------
  //
  // A dense ring drawn by a force layout is a hairball, so the page draws like the report:
  // a type with more than groupAbove members is folded into one node ("40 buyers") and the
  // edges it gathers are merged with their count; rings whose edges are all USES are drawn
  // as two circles (hub identifiers inside, accounts around), every other graph in columns
  // by type (sellers | shops | creators | buyers | identifiers); labels are whole (long ids
  // wrap) and the layout grows until no label overlaps another label or a node.

  const PICTURE = { font: 13, edgeFont: 12, lineHeight: 16, labelChars: 22, groupAbove: 12, labelGap: 6,
    columnGap: 140, pad: 16 };
  PICTURE.charWidth = 0.62 * PICTURE.font; // a monospace character is about 0.6 em wide
  PICTURE.edgeCharWidth = 0.62 * PICTURE.edgeFont;
  /** Below this zoom the label font would be drawn smaller than 11 px: the page pans instead. */
  const MIN_READABLE_ZOOM = 11 / PICTURE.font;
  const FOLD_WHOLE = new Set(["buyer"]);
  const COLUMN_ORDER = ["seller", "shop", "creator", "buyer"];
  const EDGE_NUMBERS = ["events", "orders", "gmv", "commission_total"];

  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function cmpLines(a, b) { return cmp(a.join("\n"), b.join("\n")); }
  function typeRank(type) { const i = TYPES.order.indexOf(type); return i < 0 ? TYPES.order.length : i; }
  function cmpType(a, b) { return typeRank(a) - typeRank(b) || cmp(a, b); }

  function plural(type, n) {
    if (n === 1) return TYPES.labels[type] || humanise(type);
    return TYPES.plurals[type] || humanise(type) + "s";
  }

  function wrapLabel(text) {
    const value = String(text);
    const lines = [];
    for (let i = 0; i < value.length; i += PICTURE.labelChars) lines.push(value.slice(i, i + PICTURE.labelChars));
    return lines.length ? lines : [""];
  }

  function edgeWeight(e) {
    const w = Number(e.weight);
    return Number.isFinite(w) ? Math.max(w, 0) : 1; // the neighbourhood's edges carry no weight
  }

  /** Drawn nodes and merged edges: crowded types folded into one node each (see the report's _fold). */
  function foldGraph(graph) {
    const raw = graph.nodes || [];
    const ids = new Set(raw.map((n) => String(n.id)));
    const edges = (graph.edges || []).filter((e) => ids.has(String(e.source)) && ids.has(String(e.target))
      && String(e.source) !== String(e.target));
    const strength = new Map();
    for (const e of edges) {
      for (const end of [String(e.source), String(e.target)]) strength.set(end, (strength.get(end) || 0) + edgeWeight(e));
    }
    const labelOf = (n) => String(n.label !== undefined && n.label !== null ? n.label : n.id);
    const byType = new Map();
    for (const n of raw) {
      const type = String(n.type || "");
      if (!byType.has(type)) byType.set(type, []);
      byType.get(type).push(n);
    }
    const nodes = [];
    const owner = new Map();
    const folded = {};
    for (const type of [...byType.keys()].sort(cmpType)) {
      const group = byType.get(type).slice().sort((a, b) =>
        (strength.get(String(b.id)) || 0) - (strength.get(String(a.id)) || 0) || cmp(labelOf(a), labelOf(b)));
      let keep = group;
      if (group.length > PICTURE.groupAbove) keep = FOLD_WHOLE.has(type) ? [] : group.slice(0, PICTURE.groupAbove - 1);
      for (const n of keep) {
        const key = String(n.id);
        owner.set(key, key);
        nodes.push({ key, type, lines: wrapLabel(labelOf(n)), members: [labelOf(n)], memberKeys: [key],
          strength: strength.get(key) || 0, folded: false, flagged: n.flagged !== false });
      }
      const rest = group.slice(keep.length);
      if (rest.length) {
        const key = "group:" + type;
        const text = rest.length + " " + (keep.length ? "more " : "") + plural(type, rest.length);
        nodes.push({ key, type, lines: wrapLabel(text), members: rest.map(labelOf), memberKeys: rest.map((n) => String(n.id)),
          strength: rest.reduce((s, n) => s + (strength.get(String(n.id)) || 0), 0), folded: true,
          flagged: rest.some((n) => n.flagged !== false) });
        folded[type] = rest.length;
        for (const n of rest) owner.set(String(n.id), key);
      }
    }
    const merged = new Map();
    for (const e of edges) {
      const source = owner.get(String(e.source));
      const target = owner.get(String(e.target));
      const type = String(e.type || "");
      const key = source + "\u0000" + target + "\u0000" + type;
      if (!merged.has(key)) merged.set(key, { source, target, type, weight: 0, count: 0, numbers: {}, labels: [] });
      const m = merged.get(key);
      m.weight += edgeWeight(e);
      m.count += 1;
      if (e.label) m.labels.push(String(e.label));
      for (const name of EDGE_NUMBERS) {
        if (typeof e[name] === "number") m.numbers[name] = (m.numbers[name] || 0) + e[name];
      }
    }
    return { nodes, edges: [...merged.values()], folded };
  }

  function neighbours(edges) {
    const out = new Map();
    for (const e of edges) {
      if (!out.has(e.source)) out.set(e.source, []);
      if (!out.has(e.target)) out.set(e.target, []);
      out.get(e.source).push(e.target);
      out.get(e.target).push(e.source);
    }
    return out;
  }

  function columnOf(type) { const i = COLUMN_ORDER.indexOf(type); return i < 0 ? COLUMN_ORDER.length : i; }

  function labelSize(node) {
    return [Math.max(...node.lines.map((l) => l.length)) * PICTURE.charWidth, node.lines.length * PICTURE.lineHeight];
  }

  function labelBox(node) {
    const [w, h] = labelSize(node);
    let x0, y0;
    if (node.place === "start") { x0 = node.x + node.r + PICTURE.labelGap; y0 = node.y - h / 2; }
    else if (node.place === "end") { x0 = node.x - node.r - PICTURE.labelGap - w; y0 = node.y - h / 2; }
    else if (node.place === "above") { x0 = node.x - w / 2; y0 = node.y - node.r - 2 - h; }
    else { x0 = node.x - w / 2; y0 = node.y + node.r + 2; }
    return [x0, y0, x0 + w, y0 + h];
  }

  function nodeBox(node) { return [node.x - node.r, node.y - node.r, node.x + node.r, node.y + node.r]; }

  function hit(a, b) {
    return Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > 1 && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 1;
  }

  function overlaps(nodes) {
    const labels = nodes.map(labelBox);
    const shapes = nodes.map(nodeBox);
    for (let i = 0; i < nodes.length; i++) {
      for (let j = 0; j < nodes.length; j++) {
        if (j !== i && (hit(labels[i], shapes[j]) || (j > i && hit(labels[i], labels[j])))) return true;
      }
    }
    return false;
  }

  function extent(node, side) {
    const [w] = labelSize(node);
    if (node.place === "below" || node.place === "above") return Math.max(node.r, w / 2);
    return (node.place === "start") === (side === "right") ? node.r + PICTURE.labelGap + w : node.r;
  }

  function rowHeight(node) {
    const [, h] = labelSize(node);
    return node.place === "below" || node.place === "above" ? 2 * node.r + 2 + h + 10 : Math.max(2 * node.r, h) + 10;
  }

  /** Reorder each column by the mean row of its nodes' neighbours in other columns (barycentre sweeps). */
  function uncross(columns, nbrs) {
    const columnOfKey = new Map();
    const row = new Map();
    columns.forEach((col, c) => col.forEach((n, i) => { columnOfKey.set(n.key, c); row.set(n.key, i - (col.length - 1) / 2); }));
    for (let sweep = 0; sweep < 8; sweep++) {
      const order = columns.map((_, c) => c);
      if (sweep % 2 === 1) order.reverse();
      for (const c of order) {
        const mean = new Map();
        for (const node of columns[c]) {
          const others = (nbrs.get(node.key) || []).filter((k) => columnOfKey.has(k) && columnOfKey.get(k) !== c).map((k) => row.get(k));
          mean.set(node.key, others.length ? others.reduce((s, v) => s + v, 0) / others.length : row.get(node.key));
        }
        columns[c].sort((a, b) => mean.get(a.key) - mean.get(b.key) || row.get(a.key) - row.get(b.key));
        columns[c].forEach((n, i) => row.set(n.key, i - (columns[c].length - 1) / 2));
      }
    }
  }

  function layered(nodes, edges) {
    const present = [...new Set(nodes.map((n) => columnOf(n.type)))].sort((a, b) => a - b);
    const columns = present.map((c) => nodes.filter((n) => columnOf(n.type) === c).sort((a, b) =>
      cmpType(a.type, b.type) || b.strength - a.strength || cmpLines(a.lines, b.lines)));
    columns.forEach((col, i) => col.forEach((n) => { n.column = i; }));
    uncross(columns, neighbours(edges));
    const last = columns.length - 1;
    for (const n of nodes) n.place = last === 0 || n.column === last ? "start" : n.column === 0 ? "end" : "below";
    let scale = 1;
    for (let attempt = 0; attempt < 12; attempt++) {
      let x = 0;
      columns.forEach((col, c) => {
        if (c > 0) {
          x += Math.max(PICTURE.columnGap * scale, Math.max(...columns[c - 1].map((n) => extent(n, "right")))
            + Math.max(...col.map((n) => extent(n, "left"))) + 28);
        }
        const pitch = Math.max(...col.map(rowHeight)) * scale;
        col.forEach((n, i) => { n.x = x; n.y = (i - (col.length - 1) / 2) * pitch; });
      });
      if (!overlaps(nodes)) return;
      scale *= 1.2;
    }
  }

  function outward(angle) {
    if (Math.abs(Math.cos(angle)) < 0.3) return Math.sin(angle) < 0 ? "above" : "below";
    return Math.cos(angle) > 0 ? "start" : "end";
  }

  function concentric(nodes, edges) {
    const accounts = nodes.filter((n) => TYPES.accounts.has(n.type));
    const idents = nodes.filter((n) => !TYPES.accounts.has(n.type));
    const [inner, outer] = idents.length <= accounts.length ? [idents, accounts] : [accounts, idents];
    inner.sort((a, b) => cmpType(a.type, b.type) || cmpLines(a.lines, b.lines));
    const m = inner.length, n = outer.length;
    const step = 2 * Math.PI / Math.max(m, 1);
    const angle = new Map(inner.map((node, i) => [node.key, -Math.PI / 2 + i * step]));
    const nbrs = neighbours(edges);
    const meanAngle = (node) => {
      const around = (nbrs.get(node.key) || []).filter((k) => angle.has(k)).map((k) => angle.get(k));
      if (!around.length || m === 1) return 0;
      const a = Math.atan2(around.reduce((s, t) => s + Math.sin(t), 0), around.reduce((s, t) => s + Math.cos(t), 0));
      return (((a + Math.PI / 2) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
    };
    const means = new Map(outer.map((node) => [node.key, Math.round(meanAngle(node) * 1e6) / 1e6]));
    outer.sort((a, b) => means.get(a.key) - means.get(b.key) || cmpType(a.type, b.type) || b.strength - a.strength
      || cmpLines(a.lines, b.lines));
    const innerWidth = Math.max(0, ...inner.map((node) => labelSize(node)[0]));
    let rIn = m === 1 ? 0 : Math.max(60, m * 40 / (2 * Math.PI));
    let rOut = Math.max(140, n * 36 / (2 * Math.PI), rIn + (m > 1 ? innerWidth + 50 : 90));
    for (let attempt = 0; attempt < 16; attempt++) {
      inner.forEach((node, i) => {
        const a = -Math.PI / 2 + i * step;
        node.x = rIn * Math.cos(a); node.y = rIn * Math.sin(a);
        node.place = m === 1 ? "below" : outward(a);
      });
      outer.forEach((node, i) => {
        const a = -Math.PI / 2 + i * 2 * Math.PI / Math.max(n, 1);
        node.x = rOut * Math.cos(a); node.y = rOut * Math.sin(a);
        node.place = outward(a);
      });
      if (!overlaps(nodes)) return;
      rOut *= 1.15;
      rIn *= 1.08;
    }
  }

  /** The control point of an edge that skips a column, so that it does not run through nodes. */
  function curveControl(a, b) {
    if (a.column < 0 || b.column < 0 || Math.abs(a.column - b.column) === 1) return null;
    const dx = b.x - a.x, dy = b.y - a.y;
    const length = Math.hypot(dx, dy) || 1;
    const bow = 0.18 * length;
    return { x: (a.x + b.x) / 2 + (dy / length) * bow, y: (a.y + b.y) / 2 - (dx / length) * bow, bow };
  }

  function pointOn(a, b, t) {
    const c = curveControl(a, b);
    if (!c) return [a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t];
    return [(1 - t) ** 2 * a.x + 2 * (1 - t) * t * c.x + t * t * b.x, (1 - t) ** 2 * a.y + 2 * (1 - t) * t * c.y + t * t * b.y];
  }

  /** Where the count of each merged edge goes (a fraction t from its source), where it covers nothing. */
  function placeEdgeTexts(nodes, edges) {
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const taken = nodes.flatMap((n) => [labelBox(n), nodeBox(n)]);
    const sorted = edges.slice().sort((a, b) => b.count - a.count || b.weight - a.weight || cmp(a.source, b.source) || cmp(a.target, b.target));
    for (const edge of sorted) {
      if (edge.count < 2) continue;
      const a = byKey.get(edge.source), b = byKey.get(edge.target);
      // A folded end joined to a single node: that many of its members; two folded ends: pairs.
      const foldedEnd = a.folded ? a : b.folded ? b : null;
      edge.text = a.folded && b.folded ? edge.count + " links"
        : foldedEnd ? edge.count + " " + plural(foldedEnd.type, edge.count) : "×" + edge.count;
      const w = edge.text.length * PICTURE.edgeCharWidth + 4, h = PICTURE.edgeFont + 3;
      let spots = [0.5, 0.4, 0.6, 0.3, 0.7];
      if (a.folded !== b.folded) {
        spots = [0.78, 0.7, 0.86, 0.62, 0.54];
        if (!a.folded) spots = spots.map((t) => 1 - t);
      }
      for (const t of spots) {
        const [x, y] = pointOn(a, b, t);
        const box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
        if (!taken.some((other) => hit(box, other))) {
          edge.textT = t;
          taken.push(box);
          break;
        }
      }
    }
  }

  /**
   * The identifiers the ring's case rests on: those its heaviest identifier evidence names.
   *
   * A reviewer's first look should land on "the payout account ten creators share", not on the
   * tangle around it. Evidence sentences name the identifiers they are about, so an identifier is
   * weighed by the heaviest item naming it; the decisive ones weigh at least half the heaviest
   * (one strong tie stands out alone; a weak IP beside it does not). Without evidence (an account's
   * neighbourhood) nothing is decisive.
   */
  function decisiveKeys(nodes, evidence) {
    const weighted = (evidence || []).filter((ev) => Number(ev.weight) > 0 && ev.text);
    const weight = new Map();
    for (const node of nodes) {
      if (node.folded || TYPES.accounts.has(node.type)) continue;
      const id = node.members[0];
      for (const ev of weighted) {
        const named = new RegExp("(^|[\\s(,])" + id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "($|[\\s),;:'])").test(ev.text);
        if (named) weight.set(node.key, Math.max(weight.get(node.key) || 0, Number(ev.weight)));
      }
    }
    const heaviest = Math.max(0, ...weight.values());
    return new Set([...weight.entries()].filter(([, w]) => w >= heaviest / 2 && w > 0).map(([key]) => key));
  }

  /** Fold, merge and lay out a graph from the API: what drawGraph hands to Cytoscape. */
  function readablePicture(graph, evidence) {
    const { nodes, edges, folded } = foldGraph(graph);
    const degree = new Map();
    for (const e of edges) for (const end of [e.source, e.target]) degree.set(end, (degree.get(end) || 0) + 1);
    const decisive = decisiveKeys(nodes, evidence);
    for (const node of nodes) {
      node.decisive = decisive.has(node.key);
      node.r = node.decisive ? 20 : node.folded ? 15 : Math.min(7 + 1.3 * Math.sqrt(degree.get(node.key) || 0), 13);
      node.column = -1;
    }
    const types = new Set(nodes.map((n) => n.type));
    const hasAccounts = [...types].some((t) => TYPES.accounts.has(t));
    const hasIdentifiers = [...types].some((t) => !TYPES.accounts.has(t));
    const isConcentric = edges.length > 0 && edges.every((e) => e.type === "USES") && hasAccounts && hasIdentifiers;
    if (isConcentric) concentric(nodes, edges); else layered(nodes, edges);
    placeEdgeTexts(nodes, edges);
    const boxes = nodes.flatMap((n) => [labelBox(n), nodeBox(n)]);
    const width = Math.max(...boxes.map((b) => b[2])) - Math.min(...boxes.map((b) => b[0])) + 2 * PICTURE.pad;
    const height = Math.max(...boxes.map((b) => b[3])) - Math.min(...boxes.map((b) => b[1])) + 2 * PICTURE.pad;
    return { nodes, edges, folded, width, height, layout: isConcentric ? "concentric" : "layered" };
  }

  /** Stroke width among edges of one type: 1 to 4.5 px by the square root of weight, 2 px when all weigh the same. */
  function edgeWidth(weight, weights) {
    const heaviest = Math.max(0, ...weights), lightest = Math.min(...weights);
    if (heaviest <= 0 || heaviest === lightest) return 2;
    return 1 + 3.5 * Math.sqrt(Math.max(weight, 0) / heaviest);
  }

  function pictureElements(pic, focusKey) {
    const byKey = new Map(pic.nodes.map((n) => [n.key, n]));
    const weights = {};
    for (const e of pic.edges) (weights[e.type] = weights[e.type] || []).push(e.weight);
    const nodes = pic.nodes.map((n) => ({
      group: "nodes",
      classes: ["place-" + n.place, n.folded ? "folded" : "", n.decisive ? "decisive" : "",
        n.key === focusKey ? "focus" : ""].join(" ").trim(),
      position: { x: n.x, y: n.y },
      data: {
        id: n.key, type: n.type, label: n.lines.join("\n"), full: n.folded ? n.lines.join("") : n.members[0],
        members: n.members, memberKeys: n.memberKeys, folded: n.folded, flagged: n.flagged, size: 2 * n.r,
        decisive: n.decisive,
        colour: typeColour(n.type), home: { x: n.x, y: n.y },
        shape: TYPES.accounts.has(n.type) || !TYPES.colours[n.type] ? "ellipse" : "round-rectangle",
      },
    }));
    const edges = pic.edges.map((e, i) => {
      const style = EDGE_STYLES[e.type] || { colour: OTHER_COLOUR, style: "solid" };
      const a = byKey.get(e.source), b = byKey.get(e.target);
      const control = curveControl(a, b);
      const length = Math.hypot(b.x - a.x, b.y - a.y);
      const data = Object.assign({}, e.numbers, {
        id: "e" + i, source: e.source, target: e.target, type: e.type, count: e.count, weight: e.weight,
        colour: style.colour, lineStyle: style.style, width: edgeWidth(e.weight, weights[e.type]),
        // Cytoscape measures a control point's distance on the other side of the line than the report.
        bow: control ? -control.bow : 0, text: e.text || "", edgeLabel: e.labels.length === 1 ? e.labels[0] : "",
      });
      const classes = [control ? "curved" : ""];
      if (e.textT !== undefined) {
        const fromSource = e.textT <= 0.5;
        classes.push(fromSource ? "count-source" : "count-target");
        // Cytoscape measures the offset from where the edge leaves the node, not from its centre.
        data.textOffset = Math.max(0, (fromSource ? e.textT : 1 - e.textT) * length - (fromSource ? a.r : b.r));
      }
      return { group: "edges", classes: classes.join(" ").trim(), data };
    });
    return nodes.concat(edges);
  }

  const GRAPH_STYLE = [
    { selector: "node", style: {
      "background-color": "data(colour)", shape: "data(shape)", width: "data(size)", height: "data(size)",
      label: "data(label)", "font-size": PICTURE.font, "line-height": PICTURE.lineHeight / PICTURE.font,
      "min-zoomed-font-size": 0, "text-wrap": "wrap", "text-max-width": 1000,
      "font-family": "ui-monospace, SFMono-Regular, Menlo, \"DejaVu Sans Mono\", monospace", color: "#1f2328",
      "text-outline-color": "#fbfbfc", "text-outline-width": 2, "border-width": 1.5, "border-color": "#ffffff",
      // Labels sit on an opaque plate, drawn with their node above every edge: a line may pass
      // behind a label, never through its letters.
      "text-background-color": "#fbfbfc", "text-background-opacity": 1, "text-background-padding": 3,
      "z-index-compare": "manual", "z-index": 10,
    } },
    { selector: "node.place-start", style: { "text-halign": "right", "text-valign": "center", "text-margin-x": PICTURE.labelGap, "text-justification": "left" } },
    { selector: "node.place-end", style: { "text-halign": "left", "text-valign": "center", "text-margin-x": -PICTURE.labelGap, "text-justification": "right" } },
    { selector: "node.place-below", style: { "text-halign": "center", "text-valign": "bottom", "text-margin-y": 2 } },
    { selector: "node.place-above", style: { "text-halign": "center", "text-valign": "top", "text-margin-y": -2 } },
    { selector: "node.folded", style: { "border-color": "#1f2328", "border-style": "dashed", "border-width": 2 } },
    { selector: "node.decisive", style: { "border-color": "#b3261e", "border-width": 4, "font-weight": "bold",
      "font-size": PICTURE.font + 1, "z-index": 11 } },
    { selector: "node.focus", style: { "border-color": "#1f2328", "border-width": 4, "font-weight": "bold" } },
    { selector: "node[!flagged]", style: { opacity: 0.55 } },
    { selector: "edge", style: {
      "line-color": "data(colour)", "line-style": "data(lineStyle)", width: "data(width)", opacity: 0.7,
      "curve-style": "straight", "target-arrow-shape": "none", "font-size": PICTURE.edgeFont, color: "#57606a",
      "font-family": "ui-monospace, SFMono-Regular, Menlo, \"DejaVu Sans Mono\", monospace",
      "text-outline-color": "#fbfbfc", "text-outline-width": 2, "min-zoomed-font-size": 0,
      "z-index-compare": "manual", "z-index": 1,
    } },
    { selector: "edge.curved", style: { "curve-style": "unbundled-bezier", "control-point-distances": "data(bow)",
      "control-point-weights": 0.5 } },
    // A count sits on a plate, its edge drawn above the plain ones: no other line runs through it.
    { selector: "edge.count-source, edge.count-target", style: { "text-background-color": "#fbfbfc",
      "text-background-opacity": 1, "text-background-padding": 1, "z-index": 2 } },
    { selector: "edge.count-source", style: { "source-label": "data(text)", "source-text-offset": "data(textOffset)" } },
    { selector: "edge.count-target", style: { "target-label": "data(text)", "target-text-offset": "data(textOffset)" } },
    { selector: "node:selected", style: { "border-color": "#1f2328", "border-width": 3, "font-weight": "bold" } },
    { selector: "edge:selected", style: { opacity: 1, "underlay-color": "#1f2328", "underlay-opacity": 0.15, "underlay-padding": 3 } },
    { selector: ".faded", style: { opacity: 0.15 } },
    // Under a layout other than "by type" counts and curves would land anywhere: plain lines.
    { selector: "edge.free", style: { "source-label": "", "target-label": "", "curve-style": "straight" } },
  ];

  // --- graph panels: the ring's graph and the account's neighbourhood -------------------------

  const panels = {
    ring: { graph: "ring-graph", note: "graph-note", selection: "graph-selection", legend: "graph-legend",
      layout: "graph-layout", cy: null, picture: null, global: "ringwatchCy" },
    account: { graph: "account-graph", note: "account-graph-note", selection: "account-selection",
      legend: "account-legend", layout: "account-layout", cy: null, picture: null, global: "ringwatchAccountCy" },
  };

  /** Show the drawing at a zoom where labels read at 11 px or more; pan instead of shrinking below it. */
  function readableZoom(cy) {
    cy.fit(undefined, PICTURE.pad);
    if (cy.zoom() > 1.3) { cy.zoom(1.3); cy.center(); }
    if (cy.zoom() < MIN_READABLE_ZOOM) { cy.zoom(MIN_READABLE_ZOOM); cy.center(); }
  }

  function layoutOptions(name, count) {
    if (name === "concentric") {
      return { name: "concentric", animate: false, fit: false, padding: 24, minNodeSpacing: 36, avoidOverlap: true,
        nodeDimensionsIncludeLabels: true, concentric: (node) => node.degree() };
    }
    if (name === "cose") {
      return { name: "cose", animate: false, fit: false, padding: 24, randomize: true, nodeDimensionsIncludeLabels: true,
        idealEdgeLength: () => (count > 80 ? 40 : 55), nodeRepulsion: () => 6000, gravity: 1, numIter: 2000,
        componentSpacing: 60 };
    }
    return { name: "preset", animate: false, fit: false, positions: (node) => node.data("home") };
  }

  /** Run the layout the panel's menu names (by type unless chosen otherwise), then zoom to read. */
  function runLayout(panel) {
    const cy = panel.cy;
    if (!cy) return;
    const name = $(panel.layout) ? $(panel.layout).value : "typed";
    // Only the typed layout knows where merged-edge counts fit; others show them on selection.
    cy.edges().toggleClass("free", name !== "typed");
    const layout = cy.layout(layoutOptions(name, cy.nodes().length));
    layout.one("layoutstop", () => readableZoom(cy));
    layout.run();
  }

  function destroyPanel(panel) {
    if (panel.cy) { panel.cy.destroy(); panel.cy = null; }
    panel.picture = null;
    window[panel.global] = null;
  }

  /** Draw ``graph`` (nodes and edges from the API) into a panel; ``focusKey`` marks one node. */
  function drawGraph(panel, graph, error, options) {
    const opts = options || {};
    const container = $(panel.graph);
    destroyPanel(panel);
    setChildren(container);
    container.dataset.state = "empty";
    for (const name of ["owner", "hops", "layout"]) delete container.dataset[name];
    container.style.height = "";
    resetSelection(panel);
    const note = $(panel.note);
    if (error || !graph) {
      note.textContent = "";
      container.append(el("p", { class: "graph-empty", text: "The graph could not be loaded" + (error ? ": " + error.message : ".") }));
      return;
    }
    const nodeCount = (graph.nodes || []).length;
    const edgeCount = (graph.edges || []).length;
    if (typeof window.cytoscape !== "function") {
      container.append(el("p", { class: "graph-empty", text: "Cytoscape.js did not load (vendor/cytoscape)." }));
      return;
    }
    if (nodeCount === 0) {
      note.textContent = "";
      container.append(el("p", { class: "graph-empty", text: "No members to draw." }));
      return;
    }
    const pic = readablePicture(graph, opts.evidence);
    const folded = Object.entries(pic.folded).map(([type, n]) => n + " " + plural(type, n));
    note.textContent = nodeCount + " nodes · " + edgeCount + " edges" +
      (folded.length ? " · drawn as one node each: " + folded.join(", ") : "") +
      (graph.truncated ? " · truncated: " + (opts.truncatedText || "not every node is drawn") : "");
    note.classList.toggle("warn", Boolean(graph.truncated));
    // Tall enough for the drawing at full size, so that it need not shrink below readable.
    container.style.height = Math.round(Math.min(860, Math.max(360, pic.height + 2 * PICTURE.pad))) + "px";
    const cy = window.cytoscape({
      container, elements: pictureElements(pic, opts.focusKey), style: GRAPH_STYLE,
      layout: { name: "preset", fit: false }, minZoom: 0.1, maxZoom: 4, boxSelectionEnabled: false,
    });
    panel.cy = cy;
    panel.picture = pic;
    window[panel.global] = cy;
    runLayout(panel);
    cy.on("tap", "node", (event) => selectNode(panel, event.target));
    cy.on("tap", "edge", (event) => selectEdge(panel, event.target));
    cy.on("tap", (event) => { if (event.target === cy) resetSelection(panel); });
    container.dataset.state = "drawn";
    container.dataset.layout = pic.layout;
    if (opts.ownerId !== undefined) container.dataset.owner = opts.ownerId;
    if (opts.hops !== undefined) container.dataset.hops = opts.hops;
    if (panel === panels.ring) container.dataset.ringId = state.ring ? state.ring.ring_id : "";
  }

  function resetSelection(panel) {
    if (panel.cy) panel.cy.elements().removeClass("faded");
    if (panel === panels.ring) for (const b of document.querySelectorAll(".member-id.active")) b.classList.remove("active");
    setChildren($(panel.selection), el("span", { class: "muted", text: "Click a node or an edge for details." }));
  }

  function accountLink(type, id, text) {
    return el("a", { href: accountHash(type, id), class: "btn small ghost account-link", "data-testid": "open-account",
      text: text || "Open account" });
  }

  function selectNode(panel, node) {
    const cy = panel.cy;
    cy.elements().addClass("faded");
    node.closedNeighborhood().removeClass("faded");
    const type = node.data("type");
    const keys = node.data("memberKeys") || [node.id()];
    if (panel === panels.ring) {
      for (const b of document.querySelectorAll(".member-id")) b.classList.toggle("active", keys.includes(b.dataset.member));
    }
    const kinds = {};
    node.connectedEdges().forEach((e) => { kinds[e.data("type")] = (kinds[e.data("type")] || 0) + e.data("count"); });
    const edgeText = Object.keys(kinds).length ? " (" + Object.entries(kinds).map(([k, n]) => n + " " + k).join(", ") + ")" : "";
    const dot = el("span", { class: TYPES.accounts.has(type) ? "dot" : "dot square", style: { background: typeColour(type) } });
    if (node.data("folded")) {
      // Every folded member, each a link to its account: the fold hides them from the picture only.
      const members = node.data("members");
      setChildren($(panel.selection), dot, el("strong", { text: node.data("full") }),
        el("span", { class: "muted", text: edgeText + ":" }),
        el("span", { class: "folded-members", "data-testid": "folded-members" }, members.map((id) => TYPES.accounts.has(type)
          ? el("a", { href: accountHash(type, id), class: "member-link" }, el("code", { text: id }))
          : el("code", { text: id }))));
      return;
    }
    const id = node.data("full");
    setChildren($(panel.selection), dot, el("strong", { text: (TYPES.labels[type] || humanise(type)) + " " }), el("code", { text: id }),
      node.data("decisive") ? el("span", { class: "decisive-tag", text: " decisive: the ring's heaviest evidence names it" }) : null,
      el("span", { class: "muted", text: " · " + node.degree() + " edges" + edgeText }),
      TYPES.accounts.has(type) ? accountLink(type, id) : null,
      TYPES.accounts.has(type) || panel === panels.account ? el("button", { type: "button", class: "btn small ghost",
        "data-testid": "find-member-rings", text: "Rings with this " + (TYPES.accounts.has(type) ? "account" : "identifier"),
        onclick: () => filterByMember(type + ":" + id) }) : null);
  }

  function selectEdge(panel, edge) {
    const cy = panel.cy;
    cy.elements().addClass("faded");
    edge.removeClass("faded").connectedNodes().removeClass("faded");
    const data = edge.data();
    const skip = new Set(["id", "source", "target", "type", "colour", "lineStyle", "width", "label", "bow", "text",
      "textOffset", "edgeLabel"]);
    const numbers = Object.entries(data).filter(([k, v]) => !skip.has(k) && v !== null && typeof v !== "object"
      && !(k === "count" && v === 1));
    setChildren($(panel.selection), 
      el("strong", { text: data.type + " " }),
      el("code", { text: edge.source().data("full") }), " → ", el("code", { text: edge.target().data("full") }),
      data.edgeLabel ? el("span", { class: "muted", text: " · " + data.edgeLabel }) : null,
      el("span", { class: "edge-facts" }, numbers.map(([k, v]) =>
        el("span", {}, el("span", { class: "muted", text: " · " + (k === "count" ? "edges merged" : humanise(k)) + " " }),
          el("strong", { text: isMoney(k) ? money(v, panel === panels.ring && state.ring ? currencyOf(state.ring.metrics) : null)
            : fmtNumber(v) })))));
  }

  function focusNode(nodeId) {
    const panel = panels.ring;
    const cy = panel.cy;
    if (!cy) return;
    const node = cy.nodes().filter((n) => (n.data("memberKeys") || []).includes(nodeId));
    if (!node || node.empty()) {
      setChildren($(panel.selection), el("span", { class: "muted", text: "Not drawn (the graph was truncated): " }),
        el("code", { text: nodeId }));
      return;
    }
    const target = node.first();
    cy.elements().unselect();
    target.select();
    selectNode(panel, target);
    cy.animate({ center: { eles: target }, zoom: Math.max(cy.zoom(), 1.2) }, { duration: 250 });
    $(panel.graph).scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function filterByMember(member) {
    const form = $("ring-filters");
    form.elements.member.value = member;
    form.elements.status.value = "all";
    if (state.route && state.route.view !== "rings") {
      window.location.hash = "#/rings";
      state.list.params = null; // route() reloads the list with this filter
      return;
    }
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

  function renderLegend(panel) {
    const keys = Object.entries(TYPES.colours).map(([type, colour]) => el("span", { class: "key" },
      el("span", { class: TYPES.accounts.has(type) ? "swatch" : "swatch square", style: { background: colour } }), type));
    for (const [rel, style] of Object.entries(EDGE_STYLES)) {
      keys.push(el("span", { class: "key", title: style.database || rel, "data-relationship": rel },
        el("span", { class: "line", style: { borderTop: "3px " + style.style + " " + style.colour } }), rel,
        style.database ? el("span", { class: "muted small", text: " (" + style.database + ")" }) : null));
    }
    keys.push(el("span", { class: "key" }, el("span", { class: "swatch decisive" }), "decisive identifier"));
    keys.push(el("span", { class: "key" }, el("span", { class: "swatch folded" }), "several members as one node"));
    keys.push(el("span", { class: "muted small", text: "line width: events or orders; a number on a line: how many edges it stands for" }));
    setChildren($(panel.legend), ...keys);
  }

  // --- one account: its rings, risk, shared identifiers and neighbourhood ----------------------

  function accountHash(type, id) {
    return "#/accounts/" + encodeURIComponent(type) + "/" + encodeURIComponent(id);
  }

  function closeAccount() {
    state.account = null;
    state.accountToken++;
    destroyPanel(panels.account);
    show($("account-detail"), false);
    show($("account-loading"), false);
    show($("account-missing"), false);
    show($("account-empty"), true);
  }

  async function openAccount(type, id) {
    const token = ++state.accountToken;
    const form = $("account-search");
    form.elements.type.value = TYPES.accounts.has(type) ? type : "creator";
    form.elements.id.value = id;
    show($("account-empty"), false);
    show($("account-missing"), false);
    show($("account-loading"), true);
    const path = "/accounts/" + encodeURIComponent(type) + "/" + encodeURIComponent(id);
    try {
      const { data } = await api(path);
      if (token !== state.accountToken) return;
      state.account = data;
      show($("account-loading"), false);
      show($("account-detail"), true);
      renderAccount(data);
      await loadNeighbourhood(token);
    } catch (error) {
      if (token !== state.accountToken) return;
      show($("account-loading"), false);
      show($("account-detail"), false);
      if (error.status === 404) {
        $("account-missing").textContent = "No " + type + " with id " + id + " is known to this store.";
        show($("account-missing"), true);
      } else {
        show($("account-empty"), true);
        reportError("Opening " + type + " " + id, error);
      }
    }
  }

  async function loadNeighbourhood(token) {
    const account = state.account;
    if (!account) return;
    const hops = $("account-hops").value || "1";
    const path = "/accounts/" + encodeURIComponent(account.type) + "/" + encodeURIComponent(account.id) + "/neighbourhood";
    let graph = null, failure = null;
    try {
      graph = (await api(path, { params: { hops, limit: 200 } })).data;
    } catch (error) {
      failure = error;
    }
    if (token !== state.accountToken) return;
    drawGraph(panels.account, graph, failure, { focusKey: account.type + ":" + account.id,
      ownerId: account.type + ":" + account.id, hops, truncatedText: "capped at 200 nodes, or a hub had too many neighbours" });
  }

  function renderAccount(account) {
    setChildren($("paths-result"));
    $("account-type-label").textContent = account.type;
    $("account-name").textContent = account.id;
    const risk = Number(account.risk) || 0;
    const pill = $("account-risk");
    pill.textContent = "risk " + fmtScore(risk);
    pill.style.background = scoreColour(risk);
    const rings = Array.isArray(account.rings) ? account.rings : [];
    $("account-rings-title").textContent = "Rings (" + rings.length + ")";
    setChildren($("account-rings"), ...(rings.length ? rings.map(ringListItem)
      : [el("li", { class: "muted empty-entry", text: "This account is in no ring." })]));
    relabelScores($("account-rings"), rings);
    const identifiers = Array.isArray(account.identifiers) ? account.identifiers : [];
    const table = $("account-identifiers");
    setChildren(table, 
      el("thead", {}, el("tr", {}, el("th", { text: "type" }), el("th", { text: "identifier" }),
        el("th", { class: "num", text: "accounts using it" }), el("th", { text: "" }))),
      el("tbody", {}, identifiers.length ? identifiers.map((ident) => el("tr", {
        class: Number(ident.shared_by) > 1 ? "shared" : null, "data-testid": "account-identifier" },
      el("td", {}, el("span", { class: "dot square", style: { background: typeColour(ident.type) } }), String(ident.type)),
      el("td", {}, el("code", { text: String(ident.id) })),
      el("td", { class: "num", text: fmtNumber(ident.shared_by) }),
      el("td", {}, el("button", { type: "button", class: "btn small ghost", text: "Rings with it",
        onclick: () => filterByMember(ident.type + ":" + ident.id) }))))
        : [el("tr", {}, el("td", { colspan: 4, class: "muted", text: "No identifiers recorded for this account." }))]));
  }

  /** "How is this account connected to …": GET /paths, each path drawn as a row of nodes and hops. */
  async function onPathsSearch(event) {
    event.preventDefault();
    const account = state.account;
    const form = $("paths-form");
    const id = form.elements.id.value.trim();
    if (!account || !id) return;
    const token = state.accountToken;
    const box = $("paths-result");
    setChildren(box, el("p", { class: "muted", text: "Looking for paths…" }));
    try {
      const { data } = await api("/paths", { params: {
        from: account.type + ":" + account.id, to: form.elements.type.value + ":" + id,
        max_hops: $("paths-hops").value } });
      if (token !== state.accountToken) return;
      renderPaths(box, data);
    } catch (error) {
      if (token !== state.accountToken) return;
      setChildren(box, el("p", { class: "ring-note", "data-testid": "paths-missing",
        text: error.status === 404 ? "No " + form.elements.type.value + " with id " + id + " is known to this store."
          : "The path search failed: " + error.message }));
    }
  }

  function renderPaths(box, data) {
    const paths = Array.isArray(data.paths) ? data.paths : [];
    if (!paths.length) {
      setChildren(box, el("p", { class: "muted", "data-testid": "paths-none",
        text: data.reason || "No path found." }));
      return;
    }
    const head = el("p", { class: "small", "data-testid": "paths-summary", text:
      paths.length + (paths.length === 1 ? " shortest path" : " shortest paths") + " of " + data.length
      + (data.length === 1 ? " hop" : " hops") + (data.complete ? "" : " (the search stopped at its time limit)") });
    setChildren(box, head, ...paths.map(pathRow));
  }

  function pathRow(path) {
    const parts = [];
    path.nodes.forEach((node, i) => {
      if (i > 0) {
        const hop = path.hops[i - 1] || {};
        parts.push(el("span", { class: "path-hop", title: hop.type || "" },
          el("span", { class: "path-edge", text: (hop.type || "") + (hop.label ? " · " + hop.label : "") })));
      }
      const isAccount = TYPES.accounts.has(node.type);
      const words = (TYPES.labels[node.type] || humanise(node.type)) + " " + node.label;
      const chip = el("span", { class: "path-node" + (node.hub ? " hub" : "") + (node.flagged ? " flagged" : ""),
        "data-testid": "path-node", title: node.hub ? "a hub: used by " + (node.shared_by || "many")
          + " accounts; a path through it proves little" : words },
      el("span", { class: "dot" + (isAccount ? "" : " square"), style: { background: typeColour(node.type) } }),
      words, node.hub ? el("span", { class: "hub-mark", text: "hub" }) : null,
      !node.hub && node.shared_by ? el("span", { class: "muted small", text: " (" + node.shared_by + " accounts)" }) : null);
      if (isAccount) {
        chip.classList.add("clickable");
        chip.addEventListener("click", () => { window.location.hash = accountHash(node.type, node.label); });
      }
      parts.push(chip);
    });
    return el("div", { class: "path-row", "data-testid": "path-row" }, ...parts);
  }

  function onAccountSearch(event) {
    event.preventDefault();
    const form = $("account-search");
    const id = form.elements.id.value.trim();
    if (!id) return;
    const target = accountHash(form.elements.type.value, id);
    if (window.location.hash === target) route(); else window.location.hash = target;
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
    setChildren(box, ...(parts || []));
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
      setChildren(list, ...(rows.length ? rows : [el("li", { class: "muted empty-entry", text: "No audit entries for this ring." })]));
      show($("audit-more"), Boolean(state.audit.next));
    } catch (error) {
      setChildren(list, el("li", { class: "muted empty-entry",
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

  async function loadReliability() {
    const table = $("stats-reliability");
    try {
      const { data } = await api("/stats/reliability");
      const rows = (data && data.rows) || [];
      setChildren(table, 
        el("thead", {}, el("tr", {}, ["kind", "score", "verdicts", "mean score", "confirmed"].map((h, i) =>
          el("th", { class: i > 1 ? "num" : null, text: h })))),
        el("tbody", {}, rows.length ? rows.map((r) => el("tr", {},
          el("td", { text: kindName(r.kind) }), el("td", { text: r.bucket }),
          el("td", { class: "num", text: fmtNumber(r.verdicts) }),
          el("td", { class: "num", text: Number(r.mean_score).toFixed(2) }),
          el("td", { class: "num strong", text: `${Math.round(100 * r.share_confirmed)} %` })))
          : el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No verdicts yet." }))));
    } catch (err) {
      setChildren(table, el("caption", { class: "muted", text: "Reliability unavailable." }));
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
      ["commission held by open rings", held === null ? "—" : money(Number(held), entryField(now, ["currency"]))],
      ["runs", fmtNumber(runs.length)]];
    const last = runs[runs.length - 1];
    if (last) tiles.push(["latest run", fmtTime(last.started_at || last.at)]);
    setChildren($("stats-now"), ...tiles.map(([name, value]) => el("div", { class: "tile" },
      el("span", { class: "value", text: value }), el("span", { class: "name", text: name }))));
    const table = $("stats-status");
    setChildren(table, 
      el("thead", {}, el("tr", {}, el("th", { text: "kind" }), columns.map((s) => el("th", { class: "num", text: s })),
        el("th", { class: "num", text: "open" }))),
      el("tbody", {}, Object.entries(byKindStatus).map(([kind, counts], i) => el("tr", {},
        el("th", {}, el("span", { class: "kind-dot", style: { background: kindColour(kind, i) } }), kindName(kind)),
        columns.map((s) => el("td", { class: "num", text: fmtNumber((counts || {})[s] || 0) })),
        el("td", { class: "num strong", text: fmtNumber(open(counts)) })))));
    setChildren($("stats-chart"), runs.length ? runsChart(runs) : el("p", { class: "muted", text: "No runs yet." }));
    const runsTable = $("stats-runs");
    setChildren(runsTable, 
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
    $("graph-layout").addEventListener("change", () => runLayout(panels.ring));
    $("graph-fit").addEventListener("click", () => { if (panels.ring.cy) readableZoom(panels.ring.cy); });
    $("account-layout").addEventListener("change", () => runLayout(panels.account));
    $("account-fit").addEventListener("click", () => { if (panels.account.cy) readableZoom(panels.account.cy); });
    $("account-hops").addEventListener("change", () => loadNeighbourhood(state.accountToken));
    $("account-search").addEventListener("submit", onAccountSearch);
    $("paths-form").addEventListener("submit", onPathsSearch);
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
