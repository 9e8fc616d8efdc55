// newsfold: small progressive enhancement. Every page works without it.
(function () {
  "use strict";

  // Ingest job page: poll the JSON twin instead of reloading the page.
  function setupJob() {
    var status = document.getElementById("job-status");
    if (!status) return;
    var state = status.textContent.trim();
    if (state !== "queued" && state !== "running") return;
    // without JS a <noscript> meta refresh reloads the page; with JS we update in place
    var id = status.dataset.job;
    function tick() {
      fetch("/api/jobs/" + encodeURIComponent(id), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          status.textContent = job.status;
          status.className = "status status-" + job.status;
          var stage = document.getElementById("job-stage");
          var count = document.getElementById("job-count");
          var bar = document.getElementById("job-bar");
          if (stage) stage.textContent = job.stage || "waiting";
          if (count) count.textContent = job.total ? job.done + " / " + job.total : String(job.done);
          if (bar) { bar.max = job.total || 1; bar.value = job.total ? job.done : 0; }
          if (job.status === "done" || job.status === "failed") { window.location.reload(); }
          else { setTimeout(tick, 700); }
        })
        .catch(function () { setTimeout(tick, 2000); });
    }
    setTimeout(tick, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupJob();
  });
})();
