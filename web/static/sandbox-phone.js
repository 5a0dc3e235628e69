// Phone simulator: refresh the conversation every 2 s from thread.json, and send the text
// form without leaving the page. Without this script the page works with a reload link.
(function () {
  "use strict";
  var list = document.getElementById("phone-thread");
  var form = document.getElementById("phone-compose");
  var empty = document.getElementById("phone-empty");
  var note = document.getElementById("phone-sending");
  var held = document.getElementById("phone-held");
  if (!list || !window.fetch) { return; }
  var url = list.getAttribute("data-url");
  var EVERY = 2000;

  function bubble(m) {
    var li = document.createElement("li");
    li.className = "bubble " + (m.mine ? "bubble-mine" : "bubble-ours");
    li.setAttribute("data-sid", m.sid);
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = m.mine ? "You:" : "From " + m.sender + ":";
    li.appendChild(who);
    var text = document.createElement("p");
    text.className = "bubble-text";
    m.pieces.forEach(function (p) {
      if (p.href && /^https?:\/\//i.test(p.href)) {
        var a = document.createElement("a");
        a.href = p.href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = p.text;
        text.appendChild(a);
      } else {
        text.appendChild(document.createTextNode(p.text));
      }
    });
    li.appendChild(text);
    var meta = document.createElement("p");
    meta.className = "bubble-meta";
    var time = document.createElement("time");
    time.setAttribute("datetime", m.at);
    time.textContent = m.shown_at;
    meta.appendChild(time);
    if (!m.mine && m.status) {
      meta.appendChild(document.createTextNode(" · "));
      var status = document.createElement("span");
      status.className = "bubble-status";
      status.textContent = m.status;
      meta.appendChild(status);
    }
    li.appendChild(meta);
    return li;
  }

  function show(data) {
    var items = list.querySelectorAll("li[data-sid]");
    var same = items.length <= data.messages.length;
    for (var i = 0; same && i < items.length; i++) {
      same = items[i].getAttribute("data-sid") === data.messages[i].sid;
    }
    if (!same) { list.textContent = ""; items = []; }
    data.messages.forEach(function (m, n) {
      if (n < items.length) {
        var status = items[n].querySelector(".bubble-status");
        if (status && status.textContent !== m.status) { status.textContent = m.status; }
      } else {
        list.appendChild(bubble(m));
        list.scrollTop = list.scrollHeight;
      }
    });
    if (empty) { empty.hidden = data.messages.length > 0; }
    if (held && held.textContent !== (data.held || "")) {
      held.textContent = data.held || "";
      held.hidden = !data.held;
    }
  }

  function refresh() {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.messages) { show(data); } })
      .catch(function () { /* the next poll tries again */ });
  }

  function poll() {
    var again = function () { window.setTimeout(poll, EVERY); };
    if (document.hidden) { again(); return; }
    refresh().then(again, again);
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      note.textContent = "Sending…";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
        .then(function (answer) {
          if (answer.ok) {
            form.querySelector("textarea").value = "";
            note.textContent = answer.data.replies ? "Sent. Reply received." : "Sent.";
            return refresh();
          }
          note.textContent = answer.data.error || "The text was not sent.";
        })
        .catch(function () { note.textContent = "The text was not sent: try again."; })
        .then(function () { button.disabled = false; });
    });
  }
  window.setTimeout(poll, EVERY);
})();
