// Discord simulator: poll feed.json every 2 s and put each member's roles and DMs and each
// channel's posts in place; show the channel and role options only for /presave-setup.
// Without this script the page still works: reload it to see what arrived.
(function () {
  "use strict";
  var root = document.getElementById("dsim");
  if (!root) { return; }
  var command = document.getElementById("dsim-command");
  function options() {
    var setup = command && command.value === "presave-setup";
    root.querySelectorAll("[data-for='presave-setup']").forEach(function (el) { el.hidden = !setup; });
  }
  if (command) { command.addEventListener("change", options); options(); }
  if (!window.fetch) { return; }
  var url = root.getAttribute("data-feed");
  var status = document.getElementById("dsim-status");
  var last = {};

  function post(item) {
    var li = document.createElement("li");
    li.className = "discord-dm";
    var p = document.createElement("p");
    p.className = "discord-text";
    item.parts.forEach(function (part) {
      var kind = part[0], text = part[1];
      var el = kind === "strong" || kind === "code" ? document.createElement(kind) : null;
      if (el) { el.textContent = text; p.appendChild(el); } else { p.appendChild(document.createTextNode(text)); }
    });
    li.appendChild(p);
    if (item.links.length) {
      var ul = document.createElement("ul");
      ul.className = "dsim-links";
      item.links.forEach(function (link) {
        if (!/^https?:\/\//.test(link.url)) { return; }
        var a = document.createElement("a");
        a.href = link.url;
        a.textContent = link.label;
        var entry = document.createElement("li");
        entry.appendChild(a);
        ul.appendChild(entry);
      });
      li.appendChild(ul);
    }
    return li;
  }
  function fill(list, items, empty) {
    if (!list) { return; }
    var key = JSON.stringify(items);
    var id = list.getAttribute("data-channel") || list.closest("[data-member]").getAttribute("data-member");
    if (last[id] === key) { return; }
    last[id] = key;
    list.textContent = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = empty;
      list.appendChild(none);
    }
    items.forEach(function (item) { list.appendChild(post(item)); });
  }
  function show(feed) {
    feed.members.forEach(function (m) {
      var box = root.querySelector("[data-member='" + m.id + "']");
      if (!box) { return; }
      box.querySelector("[data-part='roles']").textContent = m.roles.length ? m.roles.join(", ") : "none";
      fill(box.querySelector("[data-part='dms']"), m.dms, "None yet.");
    });
    Object.keys(feed.channels).forEach(function (id) {
      fill(root.querySelector("[data-channel='" + id + "']"), feed.channels[id], "No posts yet.");
    });
  }
  function say(text) { if (status && status.textContent !== text) { status.textContent = text; } }
  function tick() {
    if (document.hidden) { window.setTimeout(tick, 2000); return; }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (feed) { show(feed); say("Updates every 2 seconds."); })
      .catch(function () { say("Could not reach the sandbox; trying again."); })
      .then(function () { window.setTimeout(tick, 2000); });
  }
  window.setTimeout(tick, 2000);
}());
