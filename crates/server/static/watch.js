// The poll watcher's page: the precinct's roster, a tap marks a voter as voted. Every report
// is first written to this phone's localStorage with a client id of its own (one key per
// report, so two tabs never overwrite each other's), then sent; it leaves only when the server
// has answered for it (accepted, duplicate, or rejected for good), so a dropped network, a
// reload or a dead battery loses nothing and a retry never counts twice. Reports belong to the
// watcher who made them: another account signed in on the same phone does not send them.
(function () {
  "use strict";
  var root = document.getElementById("watch");
  if (!root) return;
  var csrf = root.dataset.csrf, county = root.dataset.county, precinct = root.dataset.precinct;
  var user = root.dataset.user;
  // Reports: localStorage, one key each. The roster (names and addresses): sessionStorage,
  // gone when the tab closes.
  var PREFIX = "tusk.watch.r1:" + user + ":", ROSTER = "tusk.watch.roster.v1:" + county + "/" + precinct;
  var BATCH = 200, BACKOFF_MIN_MS = 1000, BACKOFF_MAX_MS = 15000, SEND_TIMEOUT_MS = 20000;
  var statusEl = document.getElementById("watch-status");
  var listEl = document.getElementById("watch-roster");
  var errEl = document.getElementById("watch-error");
  var search = document.getElementById("watch-search");
  var targetsOnly = document.getElementById("watch-targets");
  var countEl = document.getElementById("watch-count");
  var roster = [], sending = false, backoff = 0, timer = null, lastError = "";

  function load(store, key, dflt) {
    try { var v = JSON.parse(store.getItem(key)); return v === null ? dflt : v; } catch (e) { return dflt; }
  }
  function save(store, key, v) {
    try { store.setItem(key, JSON.stringify(v)); return true; } catch (e) { errEl.textContent = "This phone cannot store reports: " + e; return false; }
  }
  // This watcher's reports not yet answered, oldest first.
  function queue() {
    var out = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(PREFIX) === 0) { var r = load(localStorage, k, null); if (r) out.push(r); }
    }
    out.sort(function (a, b) { return a.observed_at < b.observed_at ? -1 : (a.observed_at > b.observed_at ? 1 : 0); });
    return out;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function pendingIds() {
    var s = {}; queue().forEach(function (r) { s[r.voter_id] = r.status; }); return s;
  }
  function showStatus() {
    var n = queue().length;
    if (n === 0) statusEl.textContent = "All reports sent.";
    else statusEl.textContent = n + " report" + (n === 1 ? "" : "s") + " saved on this phone, waiting to send" + (lastError ? " (" + lastError + ")" : "") + ".";
  }
  function render() {
    var q = (search.value || "").trim().toUpperCase(), pend = pendingIds(), shown = 0;
    listEl.textContent = "";
    roster.forEach(function (v) {
      if (targetsOnly.checked && !v.target) return;
      if (q && (v.name + " " + v.address).toUpperCase().indexOf(q) < 0) return;
      if (++shown > 300) return;
      var st = pend[v.voter_id];
      var voted = st ? st === "voted" : v.voted;
      var li = document.createElement("li"), b = document.createElement("button");
      b.type = "button";
      b.dataset.voter = v.voter_id;
      b.className = (voted ? "voted" : "") + (st ? " pending" : "");
      b.setAttribute("aria-pressed", voted ? "true" : "false");
      b.appendChild(document.createTextNode((voted ? "✓ " : "") + v.name + (v.birth_year ? " (" + v.birth_year + ")" : "")));
      var a = document.createElement("span"); a.className = "addr"; a.textContent = v.address; b.appendChild(a);
      b.addEventListener("click", function () { mark(v, !voted); });
      li.appendChild(b); listEl.appendChild(li);
    });
    countEl.textContent = shown > 300 ? "Showing 300 of " + shown + ": type a name to narrow." : shown + " shown.";
  }
  function mark(v, voted) {
    var r = { client_id: uuid(), voter_id: v.voter_id, status: voted ? "voted" : "not_voted", observed_at: new Date().toISOString() };
    if (!save(localStorage, PREFIX + r.client_id, r)) return;
    v.voted = voted;
    render(); showStatus(); flush();
  }
  function later(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; flush(); }, ms);
  }
  function flush() {
    if (sending) return;
    var q = queue();
    if (q.length === 0) { backoff = 0; lastError = ""; showStatus(); return; }
    sending = true;
    var batch = q.slice(0, BATCH);
    var abort = window.AbortController ? new AbortController() : null;
    var timeout = setTimeout(function () { if (abort) abort.abort(); }, SEND_TIMEOUT_MS);
    fetch("/api/v1/turnout/reports", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ reports: batch }),
      signal: abort ? abort.signal : undefined
    }).then(function (resp) {
      clearTimeout(timeout);
      if (resp.status === 200) return resp.json().then(function (body) {
        var done = {}, rejected = [];
        body.results.forEach(function (r) {
          done[r.client_id] = true;
          if (r.status === "rejected") rejected.push(r.reason || r.field);
        });
        Object.keys(done).forEach(function (id) { localStorage.removeItem(PREFIX + id); });
        errEl.textContent = rejected.length ? "Not taken (" + rejected.length + "): " + rejected[0] : "";
        backoff = 0; lastError = "";
        return true;
      });
      var wait = parseInt(resp.headers.get("Retry-After") || "0", 10) * 1000;
      lastError = resp.status === 401 ? "signed out: sign in again, nothing is lost" : "server busy";
      if (resp.status === 401) { errEl.innerHTML = ""; var a = document.createElement("a"); a.href = "/login?next=/watch"; a.textContent = "Sign in again"; errEl.appendChild(a); }
      backoff = Math.max(wait, backoff ? Math.min(backoff * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS);
      return false;
    }).catch(function () {
      clearTimeout(timeout);
      lastError = "no connection";
      backoff = backoff ? Math.min(backoff * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
      return false;
    }).then(function (ok) {
      sending = false; showStatus(); render();
      if (ok) { if (queue().length) flush(); }
      else later(backoff + Math.floor(Math.random() * 250));
    });
  }
  function fetchRoster() {
    var cached = load(sessionStorage, ROSTER, null);
    if (cached) { roster = cached; render(); }
    fetch("/api/v1/turnout/roster?county=" + encodeURIComponent(county) + "&precinct=" + encodeURIComponent(precinct), { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 503) { statusEl.textContent = "The server is starting: retrying…"; setTimeout(fetchRoster, 3000); return null; }
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (body) {
        if (!body) return;
        roster = body.voters; save(sessionStorage, ROSTER, roster); render(); showStatus();
      })
      .catch(function () {
        if (!roster.length) statusEl.textContent = "No connection and no roster saved on this phone yet.";
        setTimeout(fetchRoster, 5000);
      });
  }
  search.addEventListener("input", render);
  targetsOnly.addEventListener("change", render);
  document.getElementById("watch-send").addEventListener("click", function () { backoff = 0; flush(); });
  window.addEventListener("online", function () { backoff = 0; flush(); });
  fetchRoster();
  showStatus();
  flush();
})();
