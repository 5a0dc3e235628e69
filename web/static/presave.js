/* Fan pages: a live countdown, release times in the visitor's own zone, "copy link".
   Our own file, no external code: works offline and under a strict CSP. */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function remaining(ms) {
    var s = Math.floor(ms / 1000);
    var days = Math.floor(s / 86400);
    s -= days * 86400;
    var hours = Math.floor(s / 3600);
    s -= hours * 3600;
    var minutes = Math.floor(s / 60);
    s -= minutes * 60;
    return (days ? days + (days === 1 ? " day " : " days ") : "") +
      pad(hours) + "h " + pad(minutes) + "m " + pad(s) + "s";
  }

  function startCountdown(el) {
    var target = Date.parse(el.getAttribute("data-countdown"));
    if (isNaN(target)) {
      return;
    }
    var timer = null;
    function tick() {
      var left = target - Date.now();
      if (left <= 0) {
        el.textContent = "Out now";
        if (timer !== null) {
          clearInterval(timer);
        }
        return;
      }
      el.textContent = remaining(left);
      el.setAttribute("aria-label", "Time until release: " + remaining(left));
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function localTime(el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) {
      return;
    }
    try {
      el.textContent = when.toLocaleString(undefined, {
        weekday: "long", day: "numeric", month: "long", year: "numeric",
        hour: "numeric", minute: "2-digit", timeZoneName: "short"
      });
    } catch (e) {
      /* keep the UTC text the server wrote */
    }
  }

  function zoneNote(el) {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone) {
        el.textContent = "(your time, " + zone.replace(/_/g, " ") + ")";
      }
    } catch (e) {
      /* no Intl: the time stays in UTC and says so */
    }
  }

  function copyButton(button) {
    var status = button.parentNode.querySelector("[data-copy-status]");
    button.addEventListener("click", function () {
      var done = function (text) {
        if (status) {
          status.textContent = text;
        }
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(window.location.href).then(
          function () { done("Copied. Paste it into your browser."); },
          function () { done("Copy failed: press and hold the address to copy it."); }
        );
      } else {
        done("Press and hold the address to copy it.");
      }
    });
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  each("[data-countdown]", startCountdown);
  each("time[data-local]", localTime);
  each("[data-tz]", zoneNote);
  each("[data-copy-link]", copyButton);
}());
