// The new-message page's live preview: as the artist types, post the form (its CSRF token
// included) to the preview endpoint and put the HTML it answers into the aria-live region.
// Without this script the Preview button does the same with a full page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  var region = document.getElementById("preview-region");
  if (!form || !region || !window.fetch || !window.FormData) {
    return;
  }
  var timer = null;
  var latest = 0;

  function refresh() {
    var asked = ++latest;
    var data = new FormData(form);
    data.set("action", "preview");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && asked === latest) {  // an older answer never replaces a newer one
          region.innerHTML = html;
        }
      })
      .catch(function () {
        // Offline or refused: the Preview button still works.
      });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
