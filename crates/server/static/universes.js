// Live counts on the universe page: after a pause in typing, ask the API for the count and
// show it (or the error with its position). Without script the form's Count button does the same.
(function () {
  var form = document.getElementById("universe-form");
  if (!form || !window.fetch) return;
  var expr = document.getElementById("expression");
  var by = document.getElementById("by");
  var timer = null;
  var seq = 0;
  function show(text, isError) {
    var out = document.getElementById("universe-live");
    if (!out) {
      out = document.createElement("p");
      out.id = "universe-live";
      out.setAttribute("role", "status");
      form.appendChild(out);
    }
    out.textContent = text;
    out.className = isError ? "error" : "note";
  }
  function update() {
    var mine = ++seq;
    var url = "/api/v1/universes/count?expression=" + encodeURIComponent(expr.value) +
      "&by=" + encodeURIComponent(by.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (j) { return [r.status, j]; });
    }).then(function (a) {
      if (mine !== seq) return;
      if (a[0] === 200) {
        show(a[1].count + " of " + a[1].total + " people (" + a[1].milliseconds.toFixed(1) + " ms)", false);
      } else {
        show(a[1].message || "error " + a[0], true);
      }
    }).catch(function () { if (mine === seq) show("could not reach the server", true); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 250); }
  expr.addEventListener("input", later);
  by.addEventListener("input", later);
})();
