// The load page: sends the chosen file as the body of POST /api/v1/loads with a progress bar
// (sending, then loading), and shows what the load did or why it was refused.
(function () {
  var form = document.getElementById("load-form");
  if (!form) return;
  var kind = document.getElementById("load-kind");
  var file = document.getElementById("load-file");
  var mappingRow = document.getElementById("load-mapping-row");
  var mapping = document.getElementById("load-mapping");
  var mass = document.getElementById("load-mass");
  var button = document.getElementById("load-submit");
  var progress = document.getElementById("load-progress");
  var bar = document.getElementById("load-bar");
  var stage = document.getElementById("load-stage");
  var error = document.getElementById("load-error");
  var result = document.getElementById("load-result");
  var limit = Number(form.dataset.limit) * 1024 * 1024;

  function showMapping() { mappingRow.hidden = kind.value !== "csv"; }
  kind.addEventListener("change", showMapping);
  showMapping();

  function fail(message) {
    progress.hidden = true;
    button.disabled = false;
    error.textContent = message;
    error.hidden = false;
    error.focus();
  }

  function cell(text, label) {
    var td = document.createElement("td");
    td.textContent = String(text);
    td.dataset.label = label;
    return td;
  }

  function show(a) {
    var row = document.getElementById("load-counts");
    row.textContent = "";
    [["load", a.load_id === null ? "—" : a.load_id], ["read", a.read], ["new", a.new], ["updated", a.updated],
     ["unchanged", a.unchanged], ["duplicate", a.duplicate], ["removed", a.removed], ["rejected", a.rejected]]
      .forEach(function (c) { row.appendChild(cell(c[1], c[0])); });
    var rej = document.getElementById("load-rejects");
    rej.textContent = "";
    var p = document.createElement("p");
    p.id = "load-summary";
    p.textContent = a.file_name + ": " + a.read + " rows read, " + a.accepted + " kept, " + a.rejected + " rejected.";
    rej.appendChild(p);
    if (a.rejects.length) {
      var h = document.createElement("h3");
      h.textContent = a.rejects.length < a.rejected ? "The first " + a.rejects.length + " rejected rows" : "Rejected rows";
      rej.appendChild(h);
      var ul = document.createElement("ul");
      ul.id = "load-reject-list";
      a.rejects.forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = "row " + r.row + ": " + r.reason;
        ul.appendChild(li);
      });
      rej.appendChild(ul);
      if (a.rejects_file) {
        var f = document.createElement("p");
        f.className = "hint";
        f.textContent = "All of them, with the rows as read, are in " + a.rejects_file + " on the server.";
        rej.appendChild(f);
      }
    }
    if (a.ignored_columns.length) {
      var ig = document.createElement("p");
      ig.textContent = "Columns not recognised, ignored: " + a.ignored_columns.join(", ");
      rej.appendChild(ig);
    }
    result.hidden = false;
  }

  function send(mappingText) {
    var f = file.files[0];
    var q = "kind=" + encodeURIComponent(kind.value) + "&file_name=" + encodeURIComponent(f.name);
    if (mappingText !== null) q += "&mapping=" + encodeURIComponent(mappingText);
    if (mass.checked) q += "&allow_mass_removal=true";
    var x = new XMLHttpRequest();
    x.open("POST", "/api/v1/loads?" + q);
    x.setRequestHeader("Content-Type", "application/octet-stream");
    x.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    x.upload.onprogress = function (e) {
      if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    };
    x.upload.onload = function () {
      stage.textContent = "Loading: checking and keeping each row";
      bar.removeAttribute("value");
    };
    x.onerror = function () { fail("The server could not be reached: nothing was loaded. Try again."); };
    x.onload = function () {
      var body = null;
      try { body = JSON.parse(x.responseText); } catch (e) { body = null; }
      if (x.status === 201 && body) {
        progress.hidden = true;
        button.disabled = false;
        show(body);
        return;
      }
      var m = body && body.message ? body.message : "the server answered " + x.status;
      fail((body && body.field ? body.field + ": " : "") + m);
    };
    x.send(f);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    error.hidden = true;
    result.hidden = true;
    var f = file.files && file.files[0];
    if (!f) { fail("file: choose a file to load"); return; }
    if (f.size > limit) {
      fail("file: " + f.name + " is larger than " + form.dataset.limit + " MiB: load it with `tusk import " + kind.value + " FILE`");
      return;
    }
    button.disabled = true;
    bar.value = 0;
    stage.textContent = "Sending " + f.name;
    progress.hidden = false;
    if (kind.value === "csv") {
      var m = mapping.files && mapping.files[0];
      if (!m) { fail("mapping: a CSV needs the mapping of its columns (docs/import.md)"); return; }
      var r = new FileReader();
      r.onload = function () { send(String(r.result)); };
      r.onerror = function () { fail("mapping: the file cannot be read"); };
      r.readAsText(m);
    } else {
      send(null);
    }
  });
})();
