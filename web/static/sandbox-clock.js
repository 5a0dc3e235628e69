// Sandbox clock: poll the live log every 2 s while the page is visible and redraw the list.
// Without this script the page shows the log as it was and a reload link.
(function () {
  "use strict";
  var root = document.getElementById("clock-log");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var list = root.querySelector('[data-log="entries"]');
  var status = root.querySelector('[data-log="status"]');
  var EVERY = 2000;
  var shown = "";

  function counts(part) {
    var keys = Object.keys(part || {});
    if (!keys.length) { return "none"; }
    return keys.sort().map(function (k) { return k + " " + part[k]; }).join(", ");
  }
  function draw(data) {
    var s = data.status;
    if (s && status) {
      status.textContent = s.fans + (s.fans === 1 ? " fan" : " fans") + "; saves: " +
        counts(s.presaves) + "; messages: " + counts(s.deliveries) + ".";
    }
    var key = JSON.stringify(data.entries);
    if (key === shown || !data.entries.length) { return; }
    shown = key;
    list.textContent = "";
    data.entries.forEach(function (entry) {
      var li = document.createElement("li");
      var time = document.createElement("time");
      time.setAttribute("datetime", entry.at);
      time.textContent = entry.at.slice(11, 19);
      li.appendChild(time);
      li.appendChild(document.createTextNode(" " + entry.text));
      list.appendChild(li);
    });
  }
  function poll() {
    if (document.hidden) { return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { draw(data); } })
      .catch(function () { /* the next poll tries again */ });
  }
  window.setInterval(poll, EVERY);
})();
