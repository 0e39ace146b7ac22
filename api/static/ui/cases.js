/* Ringwatch review page: cases ("My cases", one case, "Add to case" on a ring or an account).
 *
 * A client of /cases (docs/api.md), apart from app.js so that the ring and account views stay
 * as they are: app.js routes #/cases[/ID] here (window.RingwatchCases.route) and this file
 * finds the ring or account to add from the page's hash (#/rings/ID, #/accounts/TYPE/ID).
 * Every change sends the case's ETag as If-Match, as a review does, so an edit made from an
 * old page is refused (412) instead of overwriting someone else's. Text only ever goes in as
 * textContent: titles, notes and ids are other users' input.
 */
(function () {
  "use strict";

  const KEY_STORAGE = "ringwatch.apiKey";
  const API_BASE = (function () {
    const path = window.location.pathname;
    const at = path.lastIndexOf("/ui/");
    return at >= 0 ? path.slice(0, at) : path.replace(/\/ui$/, "");
  })();
  const state = { current: null, etag: null, picking: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "text") node.textContent = value;
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function show(node, visible) { node.hidden = !visible; }

  function key() {
    try { return window.sessionStorage.getItem(KEY_STORAGE); } catch (_) { return null; }
  }

  /** One call of the API: the JSON body and the response; a problem's detail as the error's message. */
  async function call(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json", "X-API-Key": key() || "" }, opts.headers || {});
    let body;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const response = await fetch(API_BASE + path, { method: opts.method || "GET", headers, body });
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : response.statusText;
      const error = new Error(response.status + ": " + detail);
      error.status = response.status;
      throw error;
    }
    return { data, etag: response.headers.get("ETag") };
  }

  const count = (n, noun) => n + " " + noun + (n === 1 ? "" : "s");
  const casePath = (id) => "/cases/" + encodeURIComponent(id);

  function message(text, level) {
    const box = $("case-message");
    box.textContent = text;
    box.className = "message " + (level || "ok");
    show(box, Boolean(text));
  }

  // --- the list: my cases ---------------------------------------------------------------------

  async function loadList() {
    const status = $("cases-status").value;
    const query = "?owner=me" + (status ? "&status=" + encodeURIComponent(status) : "");
    const list = $("case-list");
    try {
      const { data } = await call("/cases" + query);
      list.replaceChildren(...data.items.map((c) => el("li", { "data-case-id": c.case_id },
        el("a", { href: "#/cases/" + encodeURIComponent(c.case_id) },
          el("strong", { text: c.title }), " ",
          el("span", { class: "badge case-" + c.status, text: c.status }), " ",
          el("span", { class: "muted small", text: count(c.rings.length, "ring") + " · " + count(c.accounts.length, "account") })))));
      show($("case-list-empty"), data.items.length === 0);
    } catch (error) {
      list.replaceChildren(el("li", { class: "error-text", text: "Loading cases: " + error.message }));
    }
  }

  async function onNewCase(event) {
    event.preventDefault();
    const title = $("case-new-title").value.trim();
    if (!title) return;
    try {
      const { data } = await call("/cases", { method: "POST", body: { title } });
      $("case-new-title").value = "";
      window.location.hash = "#/cases/" + encodeURIComponent(data.case_id);
    } catch (error) {
      message("Opening the case: " + error.message, "error");
    }
  }

  // --- one case ---------------------------------------------------------------------------------

  async function openCase(caseId) {
    try {
      const { data, etag } = await call(casePath(caseId));
      render(data, etag);
      message("");
    } catch (error) {
      state.current = null;
      show($("case-view"), true);
      $("case-title").textContent = "";
      message("Loading case " + caseId + ": " + error.message, "error");
    }
  }

  function render(data, etag) {
    state.current = data;
    state.etag = etag || '"' + data.version + '"';
    show($("case-view"), true);
    $("case-title").textContent = data.title;
    $("case-status").textContent = data.status;
    $("case-status").className = "badge case-" + data.status;
    $("case-id").textContent = data.case_id;
    $("case-owner").textContent = data.owner;
    $("case-version").textContent = String(data.version);
    $("case-outcome").textContent = data.outcome ? "Outcome: " + data.outcome : "";
    show($("case-outcome"), Boolean(data.outcome));
    $("case-status-select").value = data.status;
    $("case-outcome-input").value = data.outcome || "";
    $("case-rings").replaceChildren(...data.rings.map((ringId) => el("li", { "data-ring-id": ringId },
      el("a", { href: "#/rings/" + encodeURIComponent(ringId) }, el("code", { text: ringId })),
      el("button", { type: "button", class: "btn small ghost", text: "Remove",
                     onclick: () => change("DELETE", "/rings/" + encodeURIComponent(ringId)) }))));
    $("case-accounts").replaceChildren(...data.accounts.map((a) => el("li", { "data-account": a.type + ":" + a.id },
      el("a", { href: "#/accounts/" + encodeURIComponent(a.type) + "/" + encodeURIComponent(a.id) },
        a.type + " ", el("code", { text: a.id })),
      el("button", { type: "button", class: "btn small ghost", text: "Remove",
                     onclick: () => change("DELETE", "/accounts/" + encodeURIComponent(a.type) + "/" + encodeURIComponent(a.id)) }))));
    $("case-notes").replaceChildren(...data.notes.map((n) => el("li", {},
      el("span", { class: "muted small", text: n.at + " · " + n.actor }), el("br"), n.text)));
    if (data.rings.length === 0) $("case-rings").append(el("li", { class: "muted", text: "No rings yet." }));
    if (data.accounts.length === 0) $("case-accounts").append(el("li", { class: "muted", text: "No accounts yet." }));
  }

  /** One change of the open case under its ETag; a 412 reloads the case and says why. */
  async function change(method, tail, body) {
    if (!state.current) return;
    const id = state.current.case_id;
    try {
      const { data, etag } = await call(casePath(id) + tail, { method, body, headers: { "If-Match": state.etag } });
      render(data, etag);
      message("Saved (version " + data.version + ").", "ok");
      loadList();
    } catch (error) {
      if (error.status === 412) {
        await openCase(id);
        message("The case changed since you opened it: it is reloaded, check and try again. " + error.message, "conflict");
      } else {
        message(error.message, "error");
      }
    }
  }

  function onStatus(event) {
    event.preventDefault();
    const status = $("case-status-select").value;
    const outcome = $("case-outcome-input").value.trim();
    change("PUT", "/status", { status, outcome: status === "closed" ? outcome : null });
  }

  function onNote(event) {
    event.preventDefault();
    const text = $("case-note-text").value.trim();
    if (!text) return;
    change("POST", "/notes", { text }).then(() => { $("case-note-text").value = ""; });
  }

  // --- "Add to case" on a ring or an account ----------------------------------------------------------

  /** What the page shows now, from its hash: a ring or an account, as a change to a case. */
  function target(kind) {
    const hash = window.location.hash.replace(/^#/, "");
    if (kind === "ring") {
      const m = hash.match(/^\/rings\/(.+)$/);
      if (m) { const id = decodeURIComponent(m[1]); return { label: id, rings: [id], path: "/rings", body: { ring_id: id } }; }
    } else {
      const m = hash.match(/^\/accounts\/([^/]+)\/(.+)$/);
      if (m) {
        const account = { type: decodeURIComponent(m[1]), id: decodeURIComponent(m[2]) };
        return { label: account.type + ":" + account.id, accounts: [account], path: "/accounts", body: account };
      }
    }
    return null;
  }

  async function openPicker(kind) {
    const what = target(kind);
    if (!what) return;
    state.picking = what;
    $("case-picker-what").textContent = what.label;
    show($("case-picker-error"), false);
    const select = $("case-picker-case");
    select.replaceChildren(el("option", { value: "", text: "a new case" }));
    try {
      const { data } = await call("/cases?owner=me");
      for (const c of data.items.filter((item) => item.status !== "closed")) {
        select.append(el("option", { value: c.case_id, text: c.title + " (" + c.status + ")" }));
      }
    } catch (error) {
      pickerError("Loading your cases: " + error.message);
    }
    select.value = "";
    $("case-picker-title").value = "";
    syncPicker();
    show($("case-picker"), true);
    $("case-picker-title").focus();
  }

  function syncPicker() {
    const fresh = $("case-picker-case").value === "";
    show($("case-picker-title"), fresh);
    show($("case-picker-title-label"), fresh);
  }

  function pickerError(text) {
    $("case-picker-error").textContent = text;
    show($("case-picker-error"), true);
  }

  async function onPick(event) {
    event.preventDefault();
    const what = state.picking;
    if (!what) return;
    const chosen = $("case-picker-case").value;
    try {
      let caseId = chosen;
      if (!chosen) {
        const title = $("case-picker-title").value.trim() || what.label;
        const { data } = await call("/cases", { method: "POST",
          body: { title, rings: what.rings || [], accounts: what.accounts || [] } });
        caseId = data.case_id;
      } else {
        const { etag } = await call(casePath(chosen));
        await call(casePath(chosen) + what.path, { method: "POST", body: what.body, headers: { "If-Match": etag } });
      }
      show($("case-picker"), false);
      window.location.hash = "#/cases/" + encodeURIComponent(caseId);
    } catch (error) {
      pickerError(error.message);
    }
  }

  // --- wiring --------------------------------------------------------------------------------------

  function route(rest) {
    loadList();
    const m = (rest || "").match(/^\/(.+)$/);
    if (m) {
      openCase(decodeURIComponent(m[1]));
    } else {
      state.current = null;
      show($("case-view"), false);
    }
  }

  function init() {
    $("cases-status").addEventListener("change", loadList);
    $("case-new").addEventListener("submit", onNewCase);
    $("case-status-form").addEventListener("submit", onStatus);
    $("case-note-form").addEventListener("submit", onNote);
    $("case-picker-form").addEventListener("submit", onPick);
    $("case-picker-case").addEventListener("change", syncPicker);
    $("case-picker-cancel").addEventListener("click", () => show($("case-picker"), false));
    for (const button of document.querySelectorAll(".add-to-case")) {
      button.addEventListener("click", () => openPicker(button.getAttribute("data-case-target")));
    }
  }

  window.RingwatchCases = { route };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
