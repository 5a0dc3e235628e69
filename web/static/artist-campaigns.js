// Campaign pages: keyword availability as you type, and countdowns that keep up.
// Progressive: without this script the server checks the keyword on submit and the
// countdown shows the time as of the page load.
(function () {
  "use strict";

  function checkKeyword(input) {
    var out = document.getElementById(input.id + "-check");
    var url = input.getAttribute("data-keyword-check");
    var timer = null;
    var asked = 0;
    if (!out || !url) { return; }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var word = input.value.trim();
        var mine = ++asked;
        if (!word) { out.textContent = ""; return; }
        var sep = url.indexOf("?") === -1 ? "?" : "&";
        fetch(url + sep + "keyword=" + encodeURIComponent(word), {
          credentials: "same-origin", headers: { "Accept": "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (mine !== asked || !answer) { return; }
          out.textContent = answer.available
            ? word.toUpperCase() + " is available."
            : "Not available: " + answer.reason + ".";
        }).catch(function () { /* the server checks again on submit */ });
      }, 350);
    });
  }

  function words(seconds) {
    var ahead = seconds >= 0, left = Math.abs(seconds);
    var days = Math.floor(left / 86400), hours = Math.floor(left % 86400 / 3600);
    var minutes = Math.floor(left % 3600 / 60), text;
    if (days) { text = days + (days === 1 ? " day" : " days") + (hours ? " " + hours + " h" : ""); }
    else if (hours) { text = hours + " h" + (minutes ? " " + minutes + " min" : ""); }
    else if (minutes) { text = minutes + " min"; }
    else { return "now"; }
    return ahead ? "in " + text : text + " ago";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("data-countdown"));
      if (!isNaN(at)) { el.textContent = words(Math.round((at - now) / 1000)); }
    });
  }

  document.querySelectorAll("[data-keyword-check]").forEach(checkKeyword);
  if (document.querySelector("[data-countdown]")) { window.setInterval(tick, 60000); }
})();
