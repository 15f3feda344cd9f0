// Live Markdown preview. The draft goes to /api/v1/preview, which renders and sanitises
// it exactly as posting would; the page shows the result. Without JavaScript the
// "Preview" button does the same through the form, so nothing depends on this file.
(function () {
  "use strict";

  function setup(textarea) {
    var target = document.getElementById(textarea.getAttribute("data-preview"));
    var form = textarea.form;
    if (!target || !form) {
      return;
    }
    var csrf = form.querySelector('input[name="_csrf"]');
    var timer = null;
    var latest = 0;

    function render() {
      var body = textarea.value;
      var request = ++latest;
      if (body.trim() === "") {
        target.replaceChildren();
        return;
      }
      fetch("/api/v1/preview", {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": csrf ? csrf.value : ""
        },
        body: JSON.stringify({ body: body })
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("preview " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          // The server's HTML went through the same allow-list as stored posts.
          if (request === latest) {
            target.innerHTML = data.html;
          }
        })
        .catch(function () {
          if (request === latest) {
            target.textContent = target.getAttribute("data-failed") || "";
          }
        });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-preview]").forEach(setup);
  });
})();
