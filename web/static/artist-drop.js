// Drop page: poll drop.json every 5 s while the page is visible and update the figures in
// place. Without this script the page shows the same figures and a Refresh link.
(function () {
  "use strict";
  var root = document.getElementById("drop-status");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-url");
  var zone = root.getAttribute("data-zone");
  var EVERY = 5000, MAX_WAIT = 60000;
  var wait = EVERY, timer = null;

  function part(name) { return root.querySelector('[data-drop="' + name + '"]'); }
  function setText(name, value) { var el = part(name); if (el) { el.textContent = value; } }
  function when(iso) {
    if (!iso) { return ""; }
    try {
      return new Intl.DateTimeFormat("en-GB", {
        weekday: "short", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit", timeZone: zone, timeZoneName: "short"
      }).format(new Date(iso)) + " (" + zone + ")";
    } catch (e) { return iso; }
  }
  function rows(name, list) {
    var body = part(name);
    if (!body) { return; }
    body.textContent = "";
    list.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (text, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { cell.setAttribute("scope", "row"); }
        cell.textContent = String(text);
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }
  function chart(pace) {
    var svg = part("chart");
    if (!svg) { return; }
    var top = Math.max(1, Math.max.apply(null, pace.map(function (m) { return m.saves; })));
    var bars = svg.querySelectorAll("rect");
    pace.forEach(function (m, i) {
      if (!bars[i]) { return; }
      var h = Math.round(m.saves / top * 580) / 10;
      bars[i].setAttribute("y", String(60 - h));
      bars[i].setAttribute("height", String(h));
    });
  }
  function show(d) {
    var p = d.presaves;
    setText("summary", p.saved + " saved, " + p.pending + " waiting, " + p.failed + " not saved.");
    setText("as_of", when(d.as_of));
    setText("presaves.saved", p.saved);
    setText("presaves.pending", p.pending);
    setText("presaves.failed", p.failed);
    setText("detection", d.detected_at ? when(d.detected_at) + " in " + d.detected_market : "Not yet found");
    rows("markets", d.markets.map(function (m) {
      return [m.market === "*" ? "Anywhere (unknown country)" : m.market, m.found_at ? when(m.found_at) : "Not yet found"];
    }));
    rows("pace", d.saves_per_minute.map(function (m) { return [m.minute.slice(11, 16), m.saves]; }));
    var total = 0, most = 0;
    d.saves_per_minute.forEach(function (m) { total += m.saves; most = Math.max(most, m.saves); });
    setText("pace-text", "Last 30 minutes: " + total + " saves, at most " + most + " in a minute.");
    chart(d.saves_per_minute);
    var channels = Object.keys(d.messages);
    if (channels.length) {
      rows("messages", channels.map(function (c) {
        var m = d.messages[c];
        return [c, m.sent, m.delivered, m.failed, m.waiting];
      }));
    }
  }
  function schedule() {
    clearTimeout(timer);
    if (!document.hidden) { timer = setTimeout(poll, wait); }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (d) { show(d); wait = EVERY; })
      .catch(function () { wait = Math.min(wait * 2, MAX_WAIT); })
      .then(schedule);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { clearTimeout(timer); } else { wait = EVERY; poll(); }
  });
  schedule();
})();
