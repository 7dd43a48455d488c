// The share page: a chosen file is read on the phone into the form (nothing is sent before
// "Share" is pressed); the format is guessed from the file name.
(function () {
  var file = document.getElementById("share-file");
  var content = document.getElementById("share-content");
  var format = document.getElementById("share-format");
  if (!file || !content) return;
  file.addEventListener("change", function () {
    var f = file.files && file.files[0];
    if (!f) return;
    var r = new FileReader();
    r.onload = function () {
      content.value = r.result;
      var n = f.name.toLowerCase();
      if (format) format.value = n.endsWith(".vcf") ? "vcard" : n.endsWith(".json") ? "json" : n.endsWith(".csv") ? "csv" : "auto";
    };
    r.readAsText(f);
  });
})();
